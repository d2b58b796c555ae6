/*
 * omnivore.h: the flat C ABI of Omnivore's native CPU kernel library.
 *
 * Every function returns 0 on success and a non-zero status on failure; the message
 * for the last failure on the calling thread is returned by om_last_error(). No C++
 * exception crosses this boundary. Matrices are row-major. Shapes are given in the
 * comments as (N, C, H, W); "col" is the batched lowering matrix
 * (C*KH*KW, N*OH*OW): one column per output pixel of every image of the batch,
 * so one sgemm convolves the whole batch.
 */
#ifndef OMNIVORE_H
#define OMNIVORE_H

#include <stdint.h>

#ifdef _WIN32
#define OM_API __declspec(dllexport)
#else
#define OM_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum om_status { OM_OK = 0, OM_INVALID_ARGUMENT = 1, OM_INTERNAL = 2 };

/* Message of the last failure on this thread ("" when none), "<function>: <reason>".
 * A later successful call does not clear it: read it only after a non-zero status. */
OM_API const char* om_last_error(void);
/* ABI version, bumped when a signature changes. */
OM_API int32_t om_abi_version(void);
/* Threads used by the BLAS and by the kernels below (<= 0: leave the setting unchanged,
 * still OM_OK). om_get_num_threads returns the thread count itself, not a status. */
OM_API int32_t om_set_num_threads(int32_t n);
OM_API int32_t om_get_num_threads(void);
/* The BLAS in use, e.g. "OpenBLAS 0.3.21 ...", written into buf (NUL-terminated,
 * truncated to len-1 characters; len must be >= 1). */
OM_API int32_t om_blas_info(char* buf, int32_t len);

/* C(M,N) = alpha * op(A) * op(B) + beta * C; trans_a/trans_b are 0 or 1. */
OM_API int32_t om_sgemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k,
                        float alpha, const float* a, int32_t lda, const float* b, int32_t ldb,
                        float beta, float* c, int32_t ldc);

/* Batched lowering. data (N, C, H, W) -> col (C*KH*KW, N*OH*OW), zero padding,
 * OH = (H + 2*PH - (DH*(KH-1)+1)) / SH + 1, likewise OW. */
OM_API int32_t om_im2col_batch(float* col, const float* data,
                               int32_t n, int32_t c, int32_t h, int32_t w,
                               int32_t kh, int32_t kw, int32_t ph, int32_t pw,
                               int32_t sh, int32_t sw, int32_t dh, int32_t dw);
/* Inverse of om_im2col_batch for the backward pass: data is overwritten with the sum
 * of every col entry that came from each pixel. */
OM_API int32_t om_col2im_batch(float* data, const float* col,
                               int32_t n, int32_t c, int32_t h, int32_t w,
                               int32_t kh, int32_t kw, int32_t ph, int32_t pw,
                               int32_t sh, int32_t sw, int32_t dh, int32_t dw);

/* dst (C, N, HW) = src (N, C, HW), transposing the two leading axes. */
OM_API int32_t om_nchw_to_cnhw(float* dst, const float* src, int32_t n, int32_t c, int64_t hw);
/* dst (N, C, HW) = src (C, N, HW) + bias[c] (bias may be NULL). */
OM_API int32_t om_cnhw_to_nchw(float* dst, const float* src, const float* bias,
                               int32_t n, int32_t c, int64_t hw);
/* bias_diff[c] += sum over rows of m (C, cols). */
OM_API int32_t om_row_sums_acc(float* bias_diff, const float* m, int32_t rows, int64_t cols);

/* Pooling over (N, C, H, W) -> (N, C, OH, OW); pad is implicit (-inf for MAX, and for
 * AVE the divisor counts padded cells inside H+PH, W+PW as Caffe does). mask holds the
 * index h*W+w of each maximum inside its plane (first maximum on ties; -1 and -FLT_MAX
 * for a window that misses the image). mask may be NULL in om_maxpool_fwd when no
 * backward pass follows. oh/ow are the caller's (Caffe's ceil-mode sizes); for AVE
 * the last window must start inside H+PH, W+PW. The *_bwd functions overwrite
 * bottom_diff. */
OM_API int32_t om_maxpool_fwd(float* top, int32_t* mask, const float* bottom,
                              int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow,
                              int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw);
OM_API int32_t om_maxpool_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                              int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow);
/* om_maxpool_bwd followed by om_relu_bwd (slope 0) in place on bottom_diff over the ReLU's
 * output x (an in-place ReLU: the pooling's bottom), in one pass: bit for bit the two
 * calls when top (n, c, oh, ow) and mask are om_maxpool_fwd's of x. x itself is not read:
 * each window's argmax holds its top value. */
OM_API int32_t om_maxpool_bwd_relu(float* bottom_diff, const float* top_diff, const int32_t* mask,
                                   const float* top, int32_t n, int32_t c, int32_t h,
                                   int32_t w, int32_t oh, int32_t ow);
OM_API int32_t om_avepool_fwd(float* top, const float* bottom,
                              int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow,
                              int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw);
OM_API int32_t om_avepool_bwd(float* bottom_diff, const float* top_diff,
                              int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow,
                              int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw);

/* Elementwise over count floats. */
OM_API int32_t om_relu_fwd(float* top, const float* bottom, int64_t count, float slope);
OM_API int32_t om_relu_bwd(float* bottom_diff, const float* top_diff, const float* bottom,
                           int64_t count, float slope);
OM_API int32_t om_set(float* y, float value, int64_t count);
OM_API int32_t om_copy(float* y, const float* x, int64_t count);
/* y = alpha * x + beta * y */
OM_API int32_t om_axpby(float* y, float alpha, const float* x, float beta, int64_t count);
/* y = alpha * y */
OM_API int32_t om_scale(float* y, float alpha, int64_t count);
/* y = a * b (elementwise) */
OM_API int32_t om_mul(float* y, const float* a, const float* b, int64_t count);
/* result = sum x*y, and sum |x| */
OM_API int32_t om_dot(double* result, const float* x, const float* y, int64_t count);
OM_API int32_t om_asum(double* result, const float* x, int64_t count);
/* SGD with momentum, one parameter slice: h = momentum*h + lr*g; g = h; w -= g. */
OM_API int32_t om_sgd_update(float* w, float* g, float* h, float momentum, float lr, int64_t count);

/* Softmax over the channel axis of (outer, channels, inner). */
OM_API int32_t om_softmax_fwd(float* top, const float* bottom,
                              int32_t outer, int32_t channels, int32_t inner);
/* bottom_diff = (top_diff - sum_c top_diff*top) * top, same layout. */
OM_API int32_t om_softmax_bwd(float* bottom_diff, const float* top_diff, const float* top,
                              int32_t outer, int32_t channels, int32_t inner);

/* LRN across channels on (N, C, H, W): scale = k + alpha/size * sum of squares over a
 * window of `size` channels centred on c; top = bottom * scale^-beta. scale is kept
 * for the backward pass. size must be odd (as in Caffe): the window is
 * [c - (size-1)/2, c + (size-1)/2] clipped to [0, C). top may alias bottom. */
OM_API int32_t om_lrn_across_fwd(float* top, float* scale, const float* bottom,
                                 int32_t n, int32_t c, int32_t h, int32_t w,
                                 int32_t size, float alpha, float beta, float k);
OM_API int32_t om_lrn_across_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                 const float* scale, const float* bottom,
                                 int32_t n, int32_t c, int32_t h, int32_t w,
                                 int32_t size, float alpha, float beta);

#ifdef __cplusplus
}
#endif

#include "omnivore_solvers.h"
#include "omnivore_lrn_within.h"
#include "omnivore_activations.h"
#include "omnivore_tensor.h"
#include "omnivore_eltwise.h"
#include "omnivore_batchnorm.h"
#include "omnivore_conv_engine.h"
#include "omnivore_peak.h"
#include "omnivore_random.h"
#include "omnivore_loss.h"
#include "omnivore_threads.h"

#endif /* OMNIVORE_H */
