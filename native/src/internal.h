// internal.h: private declarations shared by the library's sources (not installed).
//
// - Error handling: InvalidArgument, the argument checks, and guard(), which runs an
//   exported function's body, turns any exception into a status code and records the
//   message for om_last_error(). No exception may leave an OpenMP region, so kernels
//   allocate before their parallel loops and report bad data by return value.
// - The thread setting used by every OpenMP loop (num_threads(om::threads())).
// - The kernel entry points, one group per source file. Kernels take 64-bit sizes
//   and assume arguments already validated by the export layer (api_*.cpp).
#pragma once

#include <cstdint>
#include <stdexcept>

#include "omnivore.h"

namespace om {

// ---- errors.cpp ---------------------------------------------------------------------
struct InvalidArgument : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Stores "fn: what" as this thread's last error; never throws.
void record_error(const char* fn, const char* what) noexcept;

// Throws InvalidArgument with a printf-formatted message.
#if defined(__GNUC__)
[[noreturn]] void invalid(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#else
[[noreturn]] void invalid(const char* fmt, ...);
#endif

inline void check_nonneg(const char* name, int64_t v) {
  if (v < 0) invalid("%s must be >= 0 (got %lld)", name, static_cast<long long>(v));
}
inline void check_positive(const char* name, int64_t v) {
  if (v < 1) invalid("%s must be >= 1 (got %lld)", name, static_cast<long long>(v));
}
// A pointer may only be NULL when it addresses no elements.
inline void check_ptr(const char* name, const void* p, int64_t count) {
  if (p == nullptr && count > 0)
    invalid("%s is NULL but %lld elements are required", name, static_cast<long long>(count));
}
// Product of non-negative sizes; throws if it does not fit in int64.
int64_t checked_mul(int64_t a, int64_t b);
int64_t checked_mul(int64_t a, int64_t b, int64_t c, int64_t d = 1);

template <class Body>
int32_t guard(const char* fn, Body&& body) noexcept {
  try {
    body();
    return OM_OK;
  } catch (const InvalidArgument& e) {
    record_error(fn, e.what());
    return OM_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    record_error(fn, "out of memory");
    return OM_INTERNAL;
  } catch (const std::exception& e) {
    record_error(fn, e.what());
    return OM_INTERNAL;
  } catch (...) {
    record_error(fn, "unknown internal error");
    return OM_INTERNAL;
  }
}

// ---- blas.cpp -----------------------------------------------------------------------
int threads();                 // threads for OpenMP loops (>= 1)
void set_threads(int n);       // n >= 1; also sets OpenBLAS's thread count
void set_thread_threads(int n); // calling thread only: n >= 1 overrides threads(), 0 clears
void blas_info(char* buf, int64_t len);
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);
// gemm_small_m.cpp: sgemm's own path for A (m <= 64 rows) times B^T, B (n x k) wide (an
// InnerProduct's forward pass on a small batch); false when it does not take the shape.
bool small_m_sgemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// The same for A (m <= 64 rows) times B (k x n) not transposed (an InnerProduct's data gradient).
bool small_m_sgemm_nn(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Loops over fewer elements than this run on the calling thread only. In a combined
// `parallel for simd` write the clause as if(parallel : ...): a plain if() applies to the
// simd part too and leaves the small (serial) case as a scalar loop.
constexpr int64_t kParallelMin = int64_t{1} << 15;

// Hot kernels marked OM_CLONES are compiled for AVX2 and for the baseline ISA, the
// version picked when the library loads; OM_CLONES_512 adds AVX-512F (the random fills:
// CaffeNet's gaussian DummyData 2.5x faster than AVX2; MAX pooling's short rows ran
// slower with 16 lanes, so the others stay at AVX2). Only for code whose results cannot depend on
// the ISA: IEEE float operations without contraction (the build does not contract
// a*b+c into FMA), compares, selects and integer arithmetic.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define OM_CLONES __attribute__((target_clones("avx2", "default")))
#define OM_CLONES_512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OM_CLONES
#define OM_CLONES_512
#endif

// ---- lowering.cpp -------------------------------------------------------------------
struct ConvGeom {
  int64_t n, c, h, w;      // input
  int64_t kh, kw, ph, pw, sh, sw, dh, dw;
  int64_t oh, ow;          // output, derived by the caller
};
void im2col_batch(float* col, const float* data, const ConvGeom& g);
void col2im_batch(float* data, const float* col, const ConvGeom& g);
void nchw_to_cnhw(float* dst, const float* src, int64_t n, int64_t c, int64_t hw);
void cnhw_to_nchw(float* dst, const float* src, const float* bias, int64_t n, int64_t c,
                  int64_t hw);
void row_sums_acc(float* sums, const float* m, int64_t rows, int64_t cols);

// ---- conv_packed.cpp, conv_packed_backward.cpp (AVX-512; call only when packed_supported(), in conv_engine.cpp) ----
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define OM_PACKED_ENGINE 1
#else
#define OM_PACKED_ENGINE 0
#endif
bool packed_supported();
int64_t packed_workspace_floats(const om_conv_shape& s, int64_t partitions);
// relu: each output x stored as x > 0 ? x : 0 * x (Caffe's ReLU, negative_slope 0, fused).
void packed_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    float* ws, int64_t n, const om_conv_shape& s, int64_t partitions, bool relu);
void packed_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                     const float* top_diff, const float* bottom, const float* weights,
                     float* ws, int64_t n, const om_conv_shape& s, int64_t partitions);

// ---- pooling.cpp --------------------------------------------------------------------
struct PoolGeom {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, ph, pw;
};
void maxpool_fwd(float* top, int32_t* mask, const float* bottom, const PoolGeom& g);
// Returns the number of mask entries that are neither -1 nor inside [0, h*w).
// relu_top (not null): the pooling's top, the maxima of an in-place ReLU's output; the
// ReLU's backward (slope 0) is applied to each plane after it is written, as relu_bwd would
// in a pass of its own over that output (bit for bit: relu_grad's arithmetic).
int64_t maxpool_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                    const PoolGeom& g, const float* relu_top = nullptr);
// pooling_512.cpp (AVX-512; call only when packed_supported()): 2x2 stride-2 windows that
// tile the plane exactly, one plane per call; the backward returns false for a mask entry
// outside its own window (the caller then runs its general loop on that plane). And the
// outputs [ox_lo, ox_hi) of one output row of 3x3 stride-2 windows that lie inside the
// image, the window rows starting at input row y0 (idx may be null).
void max_row_3x3s2(float* out, int32_t* idx, const float* in, int64_t w, int64_t y0, int64_t ox_lo,
                   int64_t ox_hi, int64_t pw);
bool tiles_2x2(const PoolGeom& g);
bool halves_plane(const PoolGeom& g);  // H = 2 OH and W = 2 OW (the backward's condition)
void maxpool_fwd_plane_2x2(float* out, int32_t* idx, const float* in, const PoolGeom& g);
bool maxpool_bwd_plane_2x2(float* out, const float* in, const int32_t* idx, const PoolGeom& g);
void avepool_fwd(float* top, const float* bottom, const PoolGeom& g);
void avepool_bwd(float* bottom_diff, const float* top_diff, const PoolGeom& g);

// ---- elementwise.cpp ----------------------------------------------------------------
void relu_fwd(float* top, const float* bottom, int64_t count, float slope);
void relu_bwd(float* bottom_diff, const float* top_diff, const float* bottom, int64_t count,
              float slope);
// The ReLU's gradient of dy at input x, Caffe's form (a NaN input passes no gradient).
inline float relu_grad(float dy, float x, float slope) {
  return dy * (static_cast<float>(x > 0.0f) + slope * static_cast<float>(x <= 0.0f));
}
void set(float* y, float value, int64_t count);
void copy(float* y, const float* x, int64_t count);
void axpby(float* y, float alpha, const float* x, float beta, int64_t count);
void scale(float* y, float alpha, int64_t count);
void mul(float* y, const float* a, const float* b, int64_t count);
double dot(const float* x, const float* y, int64_t count);
double asum(const float* x, int64_t count);
void sgd_update(float* w, float* g, float* h, float momentum, float lr, int64_t count);

// ---- softmax.cpp --------------------------------------------------------------------
void softmax_fwd(float* top, const float* bottom, int64_t outer, int64_t channels,
                 int64_t inner);
void softmax_bwd(float* bottom_diff, const float* top_diff, const float* top, int64_t outer,
                 int64_t channels, int64_t inner);

// ---- lrn.cpp ------------------------------------------------------------------------
struct LrnGeom {
  int64_t n, c, hw;
  int64_t size;            // odd
  float alpha, beta, k;
};
void lrn_across_fwd(float* top, float* scale, const float* bottom, const LrnGeom& g);
void lrn_across_bwd(float* bottom_diff, const float* top_diff, const float* top,
                    const float* scale, const float* bottom, const LrnGeom& g);

}  // namespace om
