// pooling.cpp: MAX and AVE pooling over (N, C, H, W) planes with Caffe's CPU
// semantics, forward and backward.
//
// MAX: the window [oy*SH - PH, +KH) is clipped to the image; the first strict
// maximum wins (start value -FLT_MAX, mask -1, so an empty window gives -FLT_MAX and
// mask -1). AVE: the divisor is the window size clipped to [-PH, H+PH) (padding
// counts), the sum runs over the window clipped to the image. Backward passes
// overwrite bottom_diff. Every (n, c) plane is an independent task. MAX forward runs
// the windows that lie inside the image through a branch-free row kernel (specialised
// for the common 2x2 and 3x3 stride-2 windows) and only the edge windows through the
// clipped loop; 2x2 stride-2 windows that tile the plane exactly (LeNet) go to
// pooling_512.cpp's AVX-512 planes where the CPU has them, forward and backward, and
// the interior rows of 3x3 stride-2 windows (CaffeNet) to its AVX-512 row kernel.
#include <algorithm>
#include <cfloat>

#include "internal.h"

namespace om {
namespace {

// Planes per OpenMP task group: a parallel region only when there is enough work for
// two threads to beat the cost of waking the second one (passive waits: ~10-50 us).
inline bool parallel_planes(const PoolGeom& g) {
  return g.n * g.c > 1 && g.n * g.c * std::max(g.h * g.w, g.oh * g.ow) >= kParallelMin;
}

// One output row of MAX pooling over windows that lie wholly inside the image, with the
// window and stride fixed at compile time (KH, KW, SW > 0) or given at run time (0).
// The window is scanned row by row, left to right, from -FLT_MAX, and a value replaces
// the best only when strictly greater, so the first maximum wins as in Caffe; the
// compares are selects, so the loop over ox vectorises.
template <int KH, int KW, int SW, bool kMask>
void max_row_interior(float* __restrict out, int32_t* __restrict idx,
                      const float* __restrict in, int64_t w, int64_t y0, int64_t ox0,
                      int64_t ox1, int64_t pw, int64_t kh_rt, int64_t kw_rt, int64_t sw_rt) {
  const int32_t kh = KH > 0 ? KH : static_cast<int32_t>(kh_rt);
  const int32_t kw = KW > 0 ? KW : static_cast<int32_t>(kw_rt);
  const int32_t sw = SW > 0 ? SW : static_cast<int32_t>(sw_rt);
  const int32_t w32 = static_cast<int32_t>(w);
  const int32_t first = static_cast<int32_t>(y0 * w + ox0 * sw - pw);  // window start of ox0
  const float* win0 = in + first;
  const int32_t n = static_cast<int32_t>(ox1 - ox0);
  out += ox0;
  if (kMask) idx += ox0;
  for (int32_t k = 0; k < n; ++k) {
    const float* win = win0 + k * sw;
    float best = -FLT_MAX;
    int32_t at = -1;
    for (int32_t i = 0; i < kh; ++i) {
      for (int32_t j = 0; j < kw; ++j) {
        const float v = win[i * w32 + j];
        const bool gt = v > best;
        best = gt ? v : best;
        if (kMask) at = gt ? first + k * sw + i * w32 + j : at;
      }
    }
    out[k] = best;
    if (kMask) idx[k] = at;
  }
}

// One output position with its window clipped to the image (edges, padding).
inline void max_clipped(float* out, int32_t* idx, const float* in, const PoolGeom& g,
                        int64_t oy, int64_t ox) {
  const int64_t y0 = std::max<int64_t>(oy * g.sh - g.ph, 0);
  const int64_t y1 = std::min(oy * g.sh - g.ph + g.kh, g.h);
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

// Output columns [ox_lo, ox_hi) and rows [oy_lo, oy_hi) have windows inside the image.
struct Interior {
  int64_t ox_lo, ox_hi, oy_lo, oy_hi;
};

inline Interior interior(const PoolGeom& g) {
  Interior r;
  r.ox_lo = std::min(g.ow, (g.pw + g.sw - 1) / g.sw);
  r.ox_hi = std::max(r.ox_lo, std::min(g.ow, g.w + g.pw >= g.kw ? (g.w + g.pw - g.kw) / g.sw + 1 : 0));
  r.oy_lo = std::min(g.oh, (g.ph + g.sh - 1) / g.sh);
  r.oy_hi = std::max(r.oy_lo, std::min(g.oh, g.h + g.ph >= g.kh ? (g.h + g.ph - g.kh) / g.sh + 1 : 0));
  return r;
}

// One plane: the edge windows through max_clipped, the interior of each row through
// row(out_row, idx_row, y0) (outputs [r.ox_lo, r.ox_hi), window rows from input row y0).
template <class Row>
inline void max_plane_rows(float* out, int32_t* idx, const float* in, const PoolGeom& g,
                           const Interior& r, Row&& row) {
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    if (oy < r.oy_lo || oy >= r.oy_hi) {
      for (int64_t ox = 0; ox < g.ow; ++ox) max_clipped(out, idx, in, g, oy, ox);
      continue;
    }
    for (int64_t ox = 0; ox < r.ox_lo; ++ox) max_clipped(out, idx, in, g, oy, ox);
    row(out + oy * g.ow, idx != nullptr ? idx + oy * g.ow : nullptr, oy * g.sh - g.ph);
    for (int64_t ox = r.ox_hi; ox < g.ow; ++ox) max_clipped(out, idx, in, g, oy, ox);
  }
}

template <int KH, int KW, int SW, bool kMask>
inline void max_plane(float* out, int32_t* idx, const float* in, const PoolGeom& g,
                      const Interior& r) {
  max_plane_rows(out, kMask ? idx : nullptr, in, g, r, [&](float* o, int32_t* i, int64_t y0) {
    max_row_interior<KH, KW, SW, kMask>(o, i, in, g.w, y0, r.ox_lo, r.ox_hi, g.pw, g.kh, g.kw, g.sw);
  });
}

// One plane per call, compiled for AVX2 and the baseline ISA (same results: compares and
// selects only).
using PlaneFn = void (*)(float*, int32_t*, const float*, const PoolGeom&, const Interior&);
#define OM_MAX_PLANE(name, KH, KW, SW, MASK)                                             \
  OM_CLONES void name(float* out, int32_t* idx, const float* in, const PoolGeom& g,       \
                      const Interior& r) {                                                \
    max_plane<KH, KW, SW, MASK>(out, idx, in, g, r);                                      \
  }
OM_MAX_PLANE(max_plane_k2s2_mask, 2, 2, 2, true)
OM_MAX_PLANE(max_plane_k2s2, 2, 2, 2, false)
OM_MAX_PLANE(max_plane_k3s2_mask, 3, 3, 2, true)
OM_MAX_PLANE(max_plane_k3s2, 3, 3, 2, false)
OM_MAX_PLANE(max_plane_any_mask, 0, 0, 0, true)
OM_MAX_PLANE(max_plane_any, 0, 0, 0, false)
#undef OM_MAX_PLANE

void max_plane_2x2(float* out, int32_t* idx, const float* in, const PoolGeom& g, const Interior&) {
  maxpool_fwd_plane_2x2(out, idx, in, g);
}

// 3x3 stride-2 windows: the edge windows as max_plane, the interior rows by AVX-512.
void max_plane_3x3s2_512(float* out, int32_t* idx, const float* in, const PoolGeom& g, const Interior& r) {
  max_plane_rows(out, idx, in, g, r, [&](float* o, int32_t* i, int64_t y0) {
    max_row_3x3s2(o, i, in, g.w, y0, r.ox_lo, r.ox_hi, g.pw);
  });
}

}  // namespace

void maxpool_fwd(float* top, int32_t* mask, const float* bottom, const PoolGeom& g) {
  const bool m = mask != nullptr;
  PlaneFn fn;
  if (tiles_2x2(g) && packed_supported())
    fn = max_plane_2x2;
  else if (g.kh == 2 && g.kw == 2 && g.sw == 2)
    fn = m ? max_plane_k2s2_mask : max_plane_k2s2;
  else if (g.kh == 3 && g.kw == 3 && g.sw == 2 && packed_supported() && g.h * g.w <= INT32_MAX)
    fn = max_plane_3x3s2_512;
  else if (g.kh == 3 && g.kw == 3 && g.sw == 2)
    fn = m ? max_plane_k3s2_mask : max_plane_k3s2;
  else
    fn = m ? max_plane_any_mask : max_plane_any;
  const Interior r = interior(g);
  const int64_t planes = g.n * g.c;
#pragma omp parallel for schedule(guided) num_threads(threads()) if (parallel_planes(g))
  for (int64_t p = 0; p < planes; ++p)
    fn(top + p * g.oh * g.ow, m ? mask + p * g.oh * g.ow : nullptr, bottom + p * g.h * g.w, g, r);
}

int64_t maxpool_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                    const PoolGeom& g, const float* relu_top) {
  const int64_t planes = g.n * g.c;
  const int64_t plane_in = g.h * g.w;
  const int64_t plane_out = g.oh * g.ow;
  int64_t bad = 0;
  // Rows of fewer than 8 outputs (LeNet's pool2: 4) were faster through the general loop.
  const bool fast = halves_plane(g) && g.ow >= 8 && packed_supported();
#pragma omp parallel for schedule(guided) num_threads(threads()) if (parallel_planes(g)) \
    reduction(+ : bad)
  for (int64_t p = 0; p < planes; ++p) {
    float* out = bottom_diff + p * plane_in;
    const float* in = top_diff + p * plane_out;
    const int32_t* idx = mask + p * plane_out;
    if (!(fast && maxpool_bwd_plane_2x2(out, in, idx, g))) {
      std::fill(out, out + plane_in, 0.0f);
      for (int64_t q = 0; q < plane_out; ++q) {
        const int64_t at = idx[q];
        if (at >= 0 && at < plane_in)
          out[at] += in[q];
        else if (at != -1)
          ++bad;
      }
    }
    if (relu_top != nullptr) {
      // The ReLU's backward while the plane is in cache, from the windows' maxima: an input
      // that is no window's argmax holds +0, which the ReLU's backward leaves +0 whatever
      // its input; an argmax's input is its window's top value, bit for bit. Applied once
      // per window (twice to an input that two windows pick: relu_grad gives the same bits
      // again). The ReLU's output (4 times the top's size) is not read.
      const float* x = relu_top + p * plane_out;
      for (int64_t q = 0; q < plane_out; ++q) {
        const int64_t at = idx[q];
        if (at >= 0 && at < plane_in) out[at] = relu_grad(out[at], x[q], 0.0f);
      }
    }
  }
  return bad;
}

void avepool_fwd(float* top, const float* bottom, const PoolGeom& g) {
  const int64_t planes = g.n * g.c;
#pragma omp parallel for schedule(guided) num_threads(threads()) if (parallel_planes(g))
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
#pragma omp parallel for schedule(guided) num_threads(threads()) if (parallel_planes(g))
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
