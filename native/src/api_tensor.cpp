// api_tensor.cpp: exported C functions for the shaped kernels: batched lowering and
// layout changes, pooling, softmax and LRN. Each one validates shapes and pointers,
// derives the geometry, and runs the kernel (lowering.cpp, pooling.cpp, softmax.cpp,
// lrn.cpp) inside om::guard.
#include <algorithm>
#include <climits>
#include <cstdint>

#include "internal.h"

using namespace om;

namespace {

ConvGeom conv_geom(int32_t n, int32_t c, int32_t h, int32_t w, int32_t kh, int32_t kw,
                   int32_t ph, int32_t pw, int32_t sh, int32_t sw, int32_t dh, int32_t dw) {
  check_nonneg("n", n);
  check_nonneg("c", c);
  check_nonneg("h", h);
  check_nonneg("w", w);
  check_positive("kh", kh);
  check_positive("kw", kw);
  check_nonneg("ph", ph);
  check_nonneg("pw", pw);
  check_positive("sh", sh);
  check_positive("sw", sw);
  check_positive("dh", dh);
  check_positive("dw", dw);
  ConvGeom g{n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw, 0, 0};
  const int64_t ext_h = g.dh * (g.kh - 1) + 1, ext_w = g.dw * (g.kw - 1) + 1;
  if (g.h + 2 * g.ph < ext_h)
    invalid("dilated kernel height %lld exceeds padded input height h + 2*ph = %lld",
            static_cast<long long>(ext_h), static_cast<long long>(g.h + 2 * g.ph));
  if (g.w + 2 * g.pw < ext_w)
    invalid("dilated kernel width %lld exceeds padded input width w + 2*pw = %lld",
            static_cast<long long>(ext_w), static_cast<long long>(g.w + 2 * g.pw));
  g.oh = (g.h + 2 * g.ph - ext_h) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - ext_w) / g.sw + 1;
  return g;
}

PoolGeom pool_geom(int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow,
                   int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw) {
  check_nonneg("n", n);
  check_nonneg("c", c);
  check_nonneg("h", h);
  check_nonneg("w", w);
  check_nonneg("oh", oh);
  check_nonneg("ow", ow);
  check_positive("kh", kh);
  check_positive("kw", kw);
  check_positive("sh", sh);
  check_positive("sw", sw);
  check_nonneg("ph", ph);
  check_nonneg("pw", pw);
  return PoolGeom{n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw};
}

// AVE pooling divides by the window clipped to [-pad, size+pad); a window that
// starts at or after size+pad would divide by a non-positive count.
void check_ave_windows(const PoolGeom& g) {
  if (g.oh > 0 && (g.oh - 1) * g.sh - g.ph >= g.h + g.ph)
    invalid("oh = %lld puts the last window outside the padded input (h=%lld, sh=%lld, ph=%lld)",
            static_cast<long long>(g.oh), static_cast<long long>(g.h),
            static_cast<long long>(g.sh), static_cast<long long>(g.ph));
  if (g.ow > 0 && (g.ow - 1) * g.sw - g.pw >= g.w + g.pw)
    invalid("ow = %lld puts the last window outside the padded input (w=%lld, sw=%lld, pw=%lld)",
            static_cast<long long>(g.ow), static_cast<long long>(g.w),
            static_cast<long long>(g.sw), static_cast<long long>(g.pw));
}

void check_no_overlap(const char* an, const float* a, const char* bn, const float* b,
                      int64_t count) {
  if (count == 0) return;
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  const auto bytes = static_cast<uintptr_t>(count) * sizeof(float);
  if (pa < pb + bytes && pb < pa + bytes) invalid("%s and %s must not overlap", an, bn);
}

LrnGeom lrn_geom(int32_t n, int32_t c, int32_t h, int32_t w, int32_t size, float alpha,
                 float beta, float k) {
  check_nonneg("n", n);
  check_nonneg("c", c);
  check_nonneg("h", h);
  check_nonneg("w", w);
  check_positive("size", size);
  if (size % 2 == 0) invalid("size must be odd (got %d)", size);
  return LrnGeom{n, c, checked_mul(h, w), size, alpha, beta, k};
}

}  // namespace

extern "C" {

OM_API int32_t om_im2col_batch(float* col, const float* data, int32_t n, int32_t c, int32_t h,
                               int32_t w, int32_t kh, int32_t kw, int32_t ph, int32_t pw,
                               int32_t sh, int32_t sw, int32_t dh, int32_t dw) {
  return guard("om_im2col_batch", [&] {
    const ConvGeom g = conv_geom(n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw);
    check_ptr("data", data, checked_mul(g.n, g.c, g.h, g.w));
    check_ptr("col", col, checked_mul(checked_mul(g.c, g.kh, g.kw), checked_mul(g.n, g.oh, g.ow)));
    im2col_batch(col, data, g);
  });
}

OM_API int32_t om_col2im_batch(float* data, const float* col, int32_t n, int32_t c, int32_t h,
                               int32_t w, int32_t kh, int32_t kw, int32_t ph, int32_t pw,
                               int32_t sh, int32_t sw, int32_t dh, int32_t dw) {
  return guard("om_col2im_batch", [&] {
    const ConvGeom g = conv_geom(n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw);
    check_ptr("data", data, checked_mul(g.n, g.c, g.h, g.w));
    check_ptr("col", col, checked_mul(checked_mul(g.c, g.kh, g.kw), checked_mul(g.n, g.oh, g.ow)));
    col2im_batch(data, col, g);
  });
}

OM_API int32_t om_nchw_to_cnhw(float* dst, const float* src, int32_t n, int32_t c, int64_t hw) {
  return guard("om_nchw_to_cnhw", [&] {
    check_nonneg("n", n);
    check_nonneg("c", c);
    check_nonneg("hw", hw);
    const int64_t count = checked_mul(n, c, hw);
    check_ptr("dst", dst, count);
    check_ptr("src", src, count);
    check_no_overlap("dst", dst, "src", src, count);
    nchw_to_cnhw(dst, src, n, c, hw);
  });
}

OM_API int32_t om_cnhw_to_nchw(float* dst, const float* src, const float* bias, int32_t n,
                               int32_t c, int64_t hw) {
  return guard("om_cnhw_to_nchw", [&] {
    check_nonneg("n", n);
    check_nonneg("c", c);
    check_nonneg("hw", hw);
    const int64_t count = checked_mul(n, c, hw);
    check_ptr("dst", dst, count);
    check_ptr("src", src, count);
    check_no_overlap("dst", dst, "src", src, count);
    cnhw_to_nchw(dst, src, bias, n, c, hw);
  });
}

OM_API int32_t om_row_sums_acc(float* bias_diff, const float* m, int32_t rows, int64_t cols) {
  return guard("om_row_sums_acc", [&] {
    check_nonneg("rows", rows);
    check_nonneg("cols", cols);
    check_ptr("bias_diff", bias_diff, rows);
    check_ptr("m", m, checked_mul(rows, cols));
    row_sums_acc(bias_diff, m, rows, cols);
  });
}

OM_API int32_t om_maxpool_fwd(float* top, int32_t* mask, const float* bottom, int32_t n,
                              int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow,
                              int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t ph,
                              int32_t pw) {
  return guard("om_maxpool_fwd", [&] {
    const PoolGeom g = pool_geom(n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw);
    if (checked_mul(g.h, g.w) > INT32_MAX) invalid("h*w must fit in int32 for the mask");
    check_ptr("top", top, checked_mul(g.n, g.c, g.oh, g.ow));
    check_ptr("bottom", bottom, checked_mul(g.n, g.c, g.h, g.w));
    // mask may be NULL (inference: no backward pass follows).
    maxpool_fwd(top, mask, bottom, g);
  });
}

namespace {
// om_maxpool_bwd and om_maxpool_bwd_relu: the checks, then maxpool_bwd.
int32_t maxpool_bwd_checked(const char* name, bool relu, float* bottom_diff, const float* top_diff,
                            const int32_t* mask, const float* relu_top, int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh,
                            int32_t ow) {
  return guard(name, [&] {
    const PoolGeom g = pool_geom(n, c, h, w, oh, ow, 1, 1, 1, 1, 0, 0);
    const int64_t top_count = checked_mul(g.n, g.c, g.oh, g.ow);
    check_ptr("bottom_diff", bottom_diff, checked_mul(g.n, g.c, g.h, g.w));
    if (relu) check_ptr("top", relu_top, top_count);
    check_ptr("top_diff", top_diff, top_count);
    check_ptr("mask", mask, top_count);
    const int64_t bad = maxpool_bwd(bottom_diff, top_diff, mask, g, relu_top);
    if (bad > 0)
      invalid("mask holds %lld index(es) outside [0, h*w) and not -1", static_cast<long long>(bad));
  });
}
}  // namespace

OM_API int32_t om_maxpool_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                              int32_t n, int32_t c, int32_t h, int32_t w, int32_t oh,
                              int32_t ow) {
  return maxpool_bwd_checked("om_maxpool_bwd", false, bottom_diff, top_diff, mask, nullptr, n, c, h, w, oh, ow);
}

OM_API int32_t om_maxpool_bwd_relu(float* bottom_diff, const float* top_diff, const int32_t* mask,
                                   const float* top, int32_t n, int32_t c, int32_t h,
                                   int32_t w, int32_t oh, int32_t ow) {
  return maxpool_bwd_checked("om_maxpool_bwd_relu", true, bottom_diff, top_diff, mask, top, n, c, h, w, oh, ow);
}

OM_API int32_t om_avepool_fwd(float* top, const float* bottom, int32_t n, int32_t c, int32_t h,
                              int32_t w, int32_t oh, int32_t ow, int32_t kh, int32_t kw,
                              int32_t sh, int32_t sw, int32_t ph, int32_t pw) {
  return guard("om_avepool_fwd", [&] {
    const PoolGeom g = pool_geom(n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw);
    check_ave_windows(g);
    check_ptr("top", top, checked_mul(g.n, g.c, g.oh, g.ow));
    check_ptr("bottom", bottom, checked_mul(g.n, g.c, g.h, g.w));
    avepool_fwd(top, bottom, g);
  });
}

OM_API int32_t om_avepool_bwd(float* bottom_diff, const float* top_diff, int32_t n, int32_t c,
                              int32_t h, int32_t w, int32_t oh, int32_t ow, int32_t kh,
                              int32_t kw, int32_t sh, int32_t sw, int32_t ph, int32_t pw) {
  return guard("om_avepool_bwd", [&] {
    const PoolGeom g = pool_geom(n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw);
    check_ave_windows(g);
    check_ptr("bottom_diff", bottom_diff, checked_mul(g.n, g.c, g.h, g.w));
    check_ptr("top_diff", top_diff, checked_mul(g.n, g.c, g.oh, g.ow));
    avepool_bwd(bottom_diff, top_diff, g);
  });
}

OM_API int32_t om_softmax_fwd(float* top, const float* bottom, int32_t outer, int32_t channels,
                              int32_t inner) {
  return guard("om_softmax_fwd", [&] {
    check_nonneg("outer", outer);
    check_nonneg("channels", channels);
    check_nonneg("inner", inner);
    const int64_t count = checked_mul(outer, channels, inner);
    check_ptr("top", top, count);
    check_ptr("bottom", bottom, count);
    softmax_fwd(top, bottom, outer, channels, inner);
  });
}

OM_API int32_t om_softmax_bwd(float* bottom_diff, const float* top_diff, const float* top,
                              int32_t outer, int32_t channels, int32_t inner) {
  return guard("om_softmax_bwd", [&] {
    check_nonneg("outer", outer);
    check_nonneg("channels", channels);
    check_nonneg("inner", inner);
    const int64_t count = checked_mul(outer, channels, inner);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("top_diff", top_diff, count);
    check_ptr("top", top, count);
    softmax_bwd(bottom_diff, top_diff, top, outer, channels, inner);
  });
}

OM_API int32_t om_lrn_across_fwd(float* top, float* scale, const float* bottom, int32_t n,
                                 int32_t c, int32_t h, int32_t w, int32_t size, float alpha,
                                 float beta, float k) {
  return guard("om_lrn_across_fwd", [&] {
    const LrnGeom g = lrn_geom(n, c, h, w, size, alpha, beta, k);
    const int64_t count = checked_mul(g.n, g.c, g.hw);
    check_ptr("top", top, count);
    check_ptr("scale", scale, count);
    check_ptr("bottom", bottom, count);
    check_no_overlap("scale", scale, "bottom", bottom, count);
    check_no_overlap("scale", scale, "top", top, count);
    lrn_across_fwd(top, scale, bottom, g);
  });
}

OM_API int32_t om_lrn_across_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                 const float* scale, const float* bottom, int32_t n, int32_t c,
                                 int32_t h, int32_t w, int32_t size, float alpha, float beta) {
  return guard("om_lrn_across_bwd", [&] {
    const LrnGeom g = lrn_geom(n, c, h, w, size, alpha, beta, 0.0f);
    const int64_t count = checked_mul(g.n, g.c, g.hw);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("top_diff", top_diff, count);
    check_ptr("top", top, count);
    check_ptr("scale", scale, count);
    check_ptr("bottom", bottom, count);
    lrn_across_bwd(bottom_diff, top_diff, top, scale, bottom, g);
  });
}

}  // extern "C"
