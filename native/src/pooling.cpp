// pooling.cpp: MAX and AVE pooling over (N, C, H, W) planes with Caffe's CPU
// semantics, forward and backward.
//
// MAX: the window [oy*SH - PH, +KH) is clipped to the image; the first strict
// maximum wins (start value -FLT_MAX, mask -1, so an empty window gives -FLT_MAX and
// mask -1). AVE: the divisor is the window size clipped to [-PH, H+PH) (padding
// counts), the sum runs over the window clipped to the image. Backward passes
// overwrite bottom_diff. Every (n, c) plane is an independent task.
#include <algorithm>
#include <cfloat>

#include "internal.h"

namespace om {
namespace {

inline bool parallel_planes(const PoolGeom& g) {
  return g.n * g.c > 1 && g.n * g.c * std::max(g.h * g.w, g.oh * g.ow) >= kParallelMin;
}

}  // namespace

void maxpool_fwd(float* top, int32_t* mask, const float* bottom, const PoolGeom& g) {
  const int64_t planes = g.n * g.c;
#pragma omp parallel for schedule(static) num_threads(threads()) if (parallel_planes(g))
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = bottom + p * g.h * g.w;
    float* out = top + p * g.oh * g.ow;
    int32_t* idx = mask != nullptr ? mask + p * g.oh * g.ow : nullptr;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      const int64_t y0 = std::max<int64_t>(oy * g.sh - g.ph, 0);
      const int64_t y1 = std::min(oy * g.sh - g.ph + g.kh, g.h);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t x0 = std::max<int64_t>(ox * g.sw - g.pw, 0);
        const int64_t x1 = std::min(ox * g.sw - g.pw + g.kw, g.w);
        float best = -FLT_MAX;
        int64_t best_at = -1;
        for (int64_t y = y0; y < y1; ++y) {
          for (int64_t x = x0; x < x1; ++x) {
            const float v = in[y * g.w + x];
            if (v > best) {
              best = v;
              best_at = y * g.w + x;
            }
          }
        }
        out[oy * g.ow + ox] = best;
        if (idx != nullptr) idx[oy * g.ow + ox] = static_cast<int32_t>(best_at);
      }
    }
  }
}

int64_t maxpool_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                    const PoolGeom& g) {
  const int64_t planes = g.n * g.c;
  const int64_t plane_in = g.h * g.w;
  const int64_t plane_out = g.oh * g.ow;
  int64_t bad = 0;
#pragma omp parallel for schedule(static) num_threads(threads()) if (parallel_planes(g)) \
    reduction(+ : bad)
  for (int64_t p = 0; p < planes; ++p) {
    float* out = bottom_diff + p * plane_in;
    const float* in = top_diff + p * plane_out;
    const int32_t* idx = mask + p * plane_out;
    std::fill(out, out + plane_in, 0.0f);
    for (int64_t q = 0; q < plane_out; ++q) {
      const int64_t at = idx[q];
      if (at >= 0 && at < plane_in)
        out[at] += in[q];
      else if (at != -1)
        ++bad;
    }
  }
  return bad;
}

void avepool_fwd(float* top, const float* bottom, const PoolGeom& g) {
  const int64_t planes = g.n * g.c;
#pragma omp parallel for schedule(static) num_threads(threads()) if (parallel_planes(g))
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = bottom + p * g.h * g.w;
    float* out = top + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      int64_t y0 = oy * g.sh - g.ph;
      int64_t y1 = std::min(y0 + g.kh, g.h + g.ph);
      const int64_t rows = y1 - y0;
      y0 = std::max<int64_t>(y0, 0);
      y1 = std::min(y1, g.h);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t x0 = ox * g.sw - g.pw;
        int64_t x1 = std::min(x0 + g.kw, g.w + g.pw);
        const int64_t pool_size = rows * (x1 - x0);
        x0 = std::max<int64_t>(x0, 0);
        x1 = std::min(x1, g.w);
        float sum = 0.0f;
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t x = x0; x < x1; ++x) sum += in[y * g.w + x];
        out[oy * g.ow + ox] = sum / static_cast<float>(pool_size);
      }
    }
  }
}

void avepool_bwd(float* bottom_diff, const float* top_diff, const PoolGeom& g) {
  const int64_t planes = g.n * g.c;
#pragma omp parallel for schedule(static) num_threads(threads()) if (parallel_planes(g))
  for (int64_t p = 0; p < planes; ++p) {
    float* out = bottom_diff + p * g.h * g.w;
    const float* in = top_diff + p * g.oh * g.ow;
    std::fill(out, out + g.h * g.w, 0.0f);
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      int64_t y0 = oy * g.sh - g.ph;
      int64_t y1 = std::min(y0 + g.kh, g.h + g.ph);
      const int64_t rows = y1 - y0;
      y0 = std::max<int64_t>(y0, 0);
      y1 = std::min(y1, g.h);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t x0 = ox * g.sw - g.pw;
        int64_t x1 = std::min(x0 + g.kw, g.w + g.pw);
        const int64_t pool_size = rows * (x1 - x0);
        x0 = std::max<int64_t>(x0, 0);
        x1 = std::min(x1, g.w);
        const float share = in[oy * g.ow + ox] / static_cast<float>(pool_size);
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t x = x0; x < x1; ++x) out[y * g.w + x] += share;
      }
    }
  }
}

}  // namespace om
