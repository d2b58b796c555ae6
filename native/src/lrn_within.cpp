// lrn_within.cpp: local response normalisation within each channel (Caffe's
// WITHIN_CHANNEL) on (N, C, H, W), forward and backward, plus their exports.
//
// Caffe builds the layer as split -> square -> AVE pooling (size x size, stride 1,
// pad (size-1)/2) -> power (shift 1, scale alpha, power -beta) -> product. Per plane,
// with W(p) the size x size window centred on pixel p clipped to the image, and the
// pooling divisor size*size (every window lies inside the padded image):
//   scale_p = 1 + alpha * (sum_{q in W(p)} x_q^2) / size^2,   top_p = x_p * scale_p^-beta.
// Backward, following the same composition (q is in W(p) exactly when p is in W(q)):
//   t_q    = -alpha*beta * dy_q * top_q / scale_q / size^2
//   dx_p   = dy_p * scale_p^-beta + 2 * x_p * sum_{q in W(p)} t_q.
// Every (n, c) plane is an independent task with two planes of per-thread scratch.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "internal.h"

namespace om {
namespace {

struct WithinGeom {
  int64_t n, c, h, w, size, pad;
  float alpha, beta;
};

// Sum of v over the window centred on (y, x), clipped to the h x w plane, row by row.
inline float window_sum(const float* v, const WithinGeom& g, int64_t y, int64_t x) {
  const int64_t y0 = std::max<int64_t>(y - g.pad, 0), y1 = std::min(y + g.pad + 1, g.h);
  const int64_t x0 = std::max<int64_t>(x - g.pad, 0), x1 = std::min(x + g.pad + 1, g.w);
  float sum = 0.0f;
  for (int64_t yy = y0; yy < y1; ++yy)
    for (int64_t xx = x0; xx < x1; ++xx) sum += v[yy * g.w + xx];
  return sum;
}

bool parallel(const WithinGeom& g) {
  return g.n * g.c > 1 && g.n * g.c * g.h * g.w * g.size >= kParallelMin;
}

void lrn_within_fwd(float* top, float* scale, const float* bottom, const WithinGeom& g) {
  const int64_t planes = g.n * g.c, hw = g.h * g.w;
  if (planes == 0 || hw == 0) return;
  const bool par = parallel(g);
  std::vector<float> scratch(static_cast<size_t>((par ? threads() : 1) * hw));
  const float divisor = static_cast<float>(g.size * g.size);
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t p = 0; p < planes; ++p) {
    float* sq = scratch.data() + (par ? omp_get_thread_num() : 0) * hw;
    const float* x = bottom + p * hw;
    float* s = scale + p * hw;
    float* y = top + p * hw;
    for (int64_t i = 0; i < hw; ++i) sq[i] = x[i] * x[i];
    for (int64_t yy = 0; yy < g.h; ++yy)
      for (int64_t xx = 0; xx < g.w; ++xx)
        s[yy * g.w + xx] = g.alpha * (window_sum(sq, g, yy, xx) / divisor) + 1.0f;
    for (int64_t i = 0; i < hw; ++i) y[i] = x[i] * std::pow(s[i], -g.beta);
  }
}

void lrn_within_bwd(float* bottom_diff, const float* top_diff, const float* top,
                    const float* scale, const float* bottom, const WithinGeom& g) {
  const int64_t planes = g.n * g.c, hw = g.h * g.w;
  if (planes == 0 || hw == 0) return;
  const bool par = parallel(g);
  std::vector<float> scratch(static_cast<size_t>((par ? threads() : 1) * 2 * hw));
  const float divisor = static_cast<float>(g.size * g.size);
  const float coeff = -g.alpha * g.beta;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t p = 0; p < planes; ++p) {
    float* t = scratch.data() + (par ? omp_get_thread_num() : 0) * 2 * hw;
    float* acc = t + hw;
    const float* dy = top_diff + p * hw;
    const float* y = top + p * hw;
    const float* s = scale + p * hw;
    const float* x = bottom + p * hw;
    float* dx = bottom_diff + p * hw;
    for (int64_t i = 0; i < hw; ++i) t[i] = coeff * (dy[i] * y[i] / s[i]) / divisor;
    for (int64_t yy = 0; yy < g.h; ++yy)
      for (int64_t xx = 0; xx < g.w; ++xx) acc[yy * g.w + xx] = window_sum(t, g, yy, xx);
    // dy is read before dx is written at each index, so dx may alias dy.
    for (int64_t i = 0; i < hw; ++i)
      dx[i] = dy[i] * std::pow(s[i], -g.beta) + 2.0f * x[i] * acc[i];
  }
}

WithinGeom within_geom(int32_t n, int32_t c, int32_t h, int32_t w, int32_t size, float alpha,
                       float beta) {
  check_nonneg("n", n);
  check_nonneg("c", c);
  check_nonneg("h", h);
  check_nonneg("w", w);
  check_positive("size", size);
  if (size % 2 == 0) invalid("size must be odd (got %d)", size);
  return WithinGeom{n, c, h, w, size, (size - 1) / 2, alpha, beta};
}

}  // namespace
}  // namespace om

using namespace om;

extern "C" {

OM_API int32_t om_lrn_within_fwd(float* top, float* scale, const float* bottom, int32_t n,
                                 int32_t c, int32_t h, int32_t w, int32_t size, float alpha,
                                 float beta) {
  return guard("om_lrn_within_fwd", [&] {
    const WithinGeom g = within_geom(n, c, h, w, size, alpha, beta);
    const int64_t count = checked_mul(g.n, g.c, g.h, g.w);
    check_ptr("top", top, count);
    check_ptr("scale", scale, count);
    check_ptr("bottom", bottom, count);
    if (count > 0 && (scale == bottom || scale == top)) invalid("scale must not alias top or bottom");
    lrn_within_fwd(top, scale, bottom, g);
  });
}

OM_API int32_t om_lrn_within_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                 const float* scale, const float* bottom, int32_t n, int32_t c,
                                 int32_t h, int32_t w, int32_t size, float alpha, float beta) {
  return guard("om_lrn_within_bwd", [&] {
    const WithinGeom g = within_geom(n, c, h, w, size, alpha, beta);
    const int64_t count = checked_mul(g.n, g.c, g.h, g.w);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("top_diff", top_diff, count);
    check_ptr("top", top, count);
    check_ptr("scale", scale, count);
    check_ptr("bottom", bottom, count);
    lrn_within_bwd(bottom_diff, top_diff, top, scale, bottom, g);
  });
}

}  // extern "C"
