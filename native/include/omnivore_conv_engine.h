/*
 * omnivore_conv_engine.h: a whole convolution layer pass (forward, or backward with
 * weight, bias and data gradients) run by one call under an execution plan:
 *
 *   partitions P, images per lowering B. The batch of N images is split into P
 *   contiguous partitions of floor/ceil(N/P) images. With P > 1 the partitions run
 *   concurrently on OpenMP threads, each with its own slice of the workspace and a
 *   single-threaded sgemm (OpenBLAS's thread count is set to 1 for the parallel region
 *   and restored after it: the setting is process-global, so no other thread may call
 *   a multithreaded sgemm meanwhile). With P = 1 the partition runs on the calling
 *   thread with the multithreaded sgemm and kernels. Inside a partition, B images at a
 *   time are lowered into one matrix (C*KH*KW, B*OH*OW) and convolved with one sgemm per
 *   group. P = 1, B = 1 is Caffe's strategy (one image at a time, multithreaded sgemm).
 *
 * Weights (Cout, C/group, KH, KW), bias (Cout) or NULL, bottom (N, C, H, W),
 * top (N, Cout, OH, OW) with OH, OW as in om_im2col_batch. The workspace holds
 * om_conv_workspace_floats() floats, 64-byte alignment recommended; its contents are
 * scratch (nothing is kept between calls). Same conventions as omnivore.h; included at
 * the end of omnivore.h.
 *
 * The packed engine (om_conv_packed_*) is the same batched lowering fused into its own
 * AVX-512 GEMM kernel: each partition lowers 32 output columns at a time into a block
 * that stays in cache and multiplies it at once, writing the output in place (no lowered
 * matrix in memory, no transposes); its backward pass works panel by panel the same way.
 * P partitions as above, each on one thread; no BLAS. Available when
 * om_conv_packed_supported() returns 1 (a CPU with AVX-512F/DQ/BW/VL).
 */
#ifndef OMNIVORE_CONV_ENGINE_H
#define OMNIVORE_CONV_ENGINE_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* The shape of one convolution layer (2-D, zero padding, dilation, groups). */
typedef struct om_conv_shape {
  int32_t c, h, w;          /* input channels and size */
  int32_t kh, kw, ph, pw, sh, sw, dh, dw;
  int32_t cout, group;      /* output channels; group divides c and cout */
} om_conv_shape;

/* Floats of workspace a plan needs: per partition one lowered matrix of B images, a
 * (Cout, B*OH*OW) staging matrix when B > 1, and with P > 1 private weight and bias
 * gradients. */
OM_API int32_t om_conv_workspace_floats(int64_t* floats, const om_conv_shape* s,
                                        int32_t partitions, int32_t images_per_lowering);

/* top = conv(bottom, weights) + bias. */
OM_API int32_t om_conv_forward(float* top, const float* bottom, const float* weights,
                               const float* bias, float* workspace, int64_t workspace_floats,
                               int32_t n, const om_conv_shape* s, int32_t partitions,
                               int32_t images_per_lowering);

/* weight_diff += dL/dweights, bias_diff += dL/dbias (bias_diff may be NULL), and when
 * bottom_diff is not NULL it is overwritten with dL/dbottom. */
OM_API int32_t om_conv_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                                const float* top_diff, const float* bottom,
                                const float* weights, float* workspace,
                                int64_t workspace_floats, int32_t n, const om_conv_shape* s,
                                int32_t partitions, int32_t images_per_lowering);

/* 1 when this CPU runs the packed engine, else 0 (its calls then fail). */
OM_API int32_t om_conv_packed_supported(void);

/* Floats of workspace the packed engine needs for P partitions (a few MiB at most). */
OM_API int32_t om_conv_packed_workspace_floats(int64_t* floats, const om_conv_shape* s,
                                               int32_t partitions);

/* As om_conv_forward / om_conv_backward, under the packed engine. */
OM_API int32_t om_conv_packed_forward(float* top, const float* bottom, const float* weights,
                                      const float* bias, float* workspace,
                                      int64_t workspace_floats, int32_t n,
                                      const om_conv_shape* s, int32_t partitions);
/* om_conv_packed_forward followed by Caffe's ReLU (negative_slope 0) on top, in the same
   pass: each output is x > 0 ? x : 0 * x (so -0 and NaN come out as the ReLU layer's). */
OM_API int32_t om_conv_packed_forward_relu(float* top, const float* bottom, const float* weights,
                                           const float* bias, float* workspace,
                                           int64_t workspace_floats, int32_t n,
                                           const om_conv_shape* s, int32_t partitions);
OM_API int32_t om_conv_packed_backward(float* bottom_diff, float* weight_diff,
                                       float* bias_diff, const float* top_diff,
                                       const float* bottom, const float* weights,
                                       float* workspace, int64_t workspace_floats, int32_t n,
                                       const om_conv_shape* s, int32_t partitions);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_CONV_ENGINE_H */
