// pooling_512.cpp: MAX pooling with AVX-512 for the common windows: 2x2 at stride 2 tiling
// the plane exactly (H = 2 OH, W = 2 OW, no padding: LeNet's pool1 and pool2), one plane
// per call, and the interior of a row of 3x3 windows at stride 2 (CaffeNet's pool1, pool2,
// pool5). pooling.cpp calls these when om::packed_supported() and its general loops
// otherwise; the results are the same bit for bit (compares and selects).
//
// Forward: per output row, 16 outputs at a time, the two input rows' 32 values are split
// into even and odd columns by permutes, and the four candidates are taken in Caffe's scan
// order (row by row, left to right), a candidate replacing the best only when strictly
// greater, from -FLT_MAX and index -1. The general loop did one output in 13 cycles (27 on
// pool2's 4-wide rows).
// Backward (which knows only H, W, OH, OW: any plane of twice the output's size): every
// input lies in exactly one 2x2 window, so each is written once: the output gradient where
// the mask points at it, else 0; no fill, no scatter. A mask entry that is neither -1 nor
// inside its own window returns false, and pooling.cpp redoes the plane with its general
// loop (which adds the gradient wherever the entry points, or counts it as bad); with every
// entry inside its own window the two write the same values.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <immintrin.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl")

namespace om {
namespace {

// Lane l of the 16 outputs starting at ox0 reads columns 2(ox0 + l) and 2(ox0 + l) + 1.
inline __m512i lanes() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline __m512i evens() { return _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30); }
inline __m512i odds() { return _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31); }
// Interleaves a and b: lanes 0..15 of the result are a0 b0 a1 b1 ... a7 b7, 16..31 a8 b8 ...
inline __m512i interleave_lo() { return _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23); }
inline __m512i interleave_hi() { return _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31); }

inline __mmask16 first_lanes(int64_t n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1); }

}  // namespace

bool halves_plane(const PoolGeom& g) { return g.h == 2 * g.oh && g.w == 2 * g.ow && g.h * g.w <= INT32_MAX; }

bool tiles_2x2(const PoolGeom& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && halves_plane(g);
}

void maxpool_fwd_plane_2x2(float* out, int32_t* idx, const float* in, const PoolGeom& g) {
  const int64_t w = g.w;
  const __m512i lane = lanes(), ev = evens(), od = odds();
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    const float* r0 = in + 2 * oy * w;
    const float* r1 = r0 + w;
    for (int64_t ox0 = 0; ox0 < g.ow; ox0 += 16) {
      const int64_t n = std::min<int64_t>(16, g.ow - ox0);
      const __mmask16 m = first_lanes(n), lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16 > 0 ? 2 * n - 16 : 0);
      const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox0), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox0 + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox0), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox0 + 16);
      const __m512 c[4] = {_mm512_permutex2var_ps(a0, ev, a1), _mm512_permutex2var_ps(a0, od, a1),
                           _mm512_permutex2var_ps(b0, ev, b1), _mm512_permutex2var_ps(b0, od, b1)};
      const __m512i at0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(2 * oy * w + 2 * ox0)),
                                           _mm512_slli_epi32(lane, 1));
      const int32_t step[4] = {0, 1, static_cast<int32_t>(w), static_cast<int32_t>(w + 1)};
      __m512 best = _mm512_set1_ps(-FLT_MAX);
      __m512i at = _mm512_set1_epi32(-1);
      for (int j = 0; j < 4; ++j) {
        const __mmask16 gt = _mm512_cmp_ps_mask(c[j], best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, gt, c[j]);
        at = _mm512_mask_mov_epi32(at, gt, _mm512_add_epi32(at0, _mm512_set1_epi32(step[j])));
      }
      _mm512_mask_storeu_ps(out + oy * g.ow + ox0, m, best);
      if (idx != nullptr) _mm512_mask_storeu_epi32(idx + oy * g.ow + ox0, m, at);
    }
  }
}

bool maxpool_bwd_plane_2x2(float* out, const float* in, const int32_t* idx, const PoolGeom& g) {
  const int64_t w = g.w;
  const __m512i lane = lanes(), il = interleave_lo(), ih = interleave_hi();
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    float* r0 = out + 2 * oy * w;
    float* r1 = r0 + w;
    for (int64_t ox0 = 0; ox0 < g.ow; ox0 += 16) {
      const int64_t n = std::min<int64_t>(16, g.ow - ox0);
      const __mmask16 m = first_lanes(n), lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16 > 0 ? 2 * n - 16 : 0);
      const __m512 dy = _mm512_maskz_loadu_ps(m, in + oy * g.ow + ox0);
      const __m512i at = _mm512_maskz_loadu_epi32(m, idx + oy * g.ow + ox0);
      const __m512i at0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(2 * oy * w + 2 * ox0)),
                                           _mm512_slli_epi32(lane, 1));
      const __mmask16 e00 = _mm512_cmpeq_epi32_mask(at, at0);
      const __mmask16 e01 = _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(at0, _mm512_set1_epi32(1)));
      const __mmask16 e10 = _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(at0, _mm512_set1_epi32(static_cast<int32_t>(w))));
      const __mmask16 e11 = _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(at0, _mm512_set1_epi32(static_cast<int32_t>(w + 1))));
      const __mmask16 none = _mm512_cmpeq_epi32_mask(at, _mm512_set1_epi32(-1));
      if ((m & ~(e00 | e01 | e10 | e11 | none)) != 0) return false;
      // 0 + dy, as the general loop's fill and += give (a -0 gradient becomes +0 there too).
      const __m512 zero = _mm512_setzero_ps();
      const __m512 v00 = _mm512_add_ps(zero, _mm512_maskz_mov_ps(e00, dy)), v01 = _mm512_add_ps(zero, _mm512_maskz_mov_ps(e01, dy));
      const __m512 v10 = _mm512_add_ps(zero, _mm512_maskz_mov_ps(e10, dy)), v11 = _mm512_add_ps(zero, _mm512_maskz_mov_ps(e11, dy));
      _mm512_mask_storeu_ps(r0 + 2 * ox0, lo, _mm512_permutex2var_ps(v00, il, v01));
      _mm512_mask_storeu_ps(r0 + 2 * ox0 + 16, hi, _mm512_permutex2var_ps(v00, ih, v01));
      _mm512_mask_storeu_ps(r1 + 2 * ox0, lo, _mm512_permutex2var_ps(v10, il, v11));
      _mm512_mask_storeu_ps(r1 + 2 * ox0 + 16, hi, _mm512_permutex2var_ps(v10, ih, v11));
    }
  }
  return true;
}

void max_row_3x3s2(float* out, int32_t* idx, const float* in, int64_t w, int64_t y0, int64_t ox_lo,
                   int64_t ox_hi, int64_t pw) {
  const __m512i lane = lanes(), ev = evens(), od = odds();
  const __m512i next = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  for (int64_t ox0 = ox_lo; ox0 < ox_hi; ox0 += 16) {
    const int64_t n = std::min<int64_t>(16, ox_hi - ox0), c0 = 2 * ox0 - pw, cols = 2 * (n - 1) + 3;
    const __mmask16 m = first_lanes(n), l0 = first_lanes(cols), l1 = first_lanes(cols > 16 ? cols - 16 : 0),
                    l2 = first_lanes(cols > 32 ? cols - 32 : 0);
    const __m512i at0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(y0 * w + c0)), _mm512_slli_epi32(lane, 1));
    __m512 best = _mm512_set1_ps(-FLT_MAX);
    __m512i at = _mm512_set1_epi32(-1);
    for (int64_t r = 0; r < 3; ++r) {
      const float* row = in + (y0 + r) * w + c0;
      const __m512 v0 = _mm512_maskz_loadu_ps(l0, row), v1 = _mm512_maskz_loadu_ps(l1, row + 16);
      const __m512 v2 = _mm512_maskz_loadu_ps(l2, row + 32);
      const __m512 e = _mm512_permutex2var_ps(v0, ev, v1);
      const __m512 c[3] = {e, _mm512_permutex2var_ps(v0, od, v1), _mm512_permutex2var_ps(e, next, v2)};
      for (int j = 0; j < 3; ++j) {  // columns 2 ox - pw + j, left to right
        const __mmask16 gt = _mm512_cmp_ps_mask(c[j], best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, gt, c[j]);
        at = _mm512_mask_mov_epi32(at, gt, _mm512_add_epi32(at0, _mm512_set1_epi32(static_cast<int32_t>(r * w + j))));
      }
    }
    _mm512_mask_storeu_ps(out + ox0, m, best);
    if (idx != nullptr) _mm512_mask_storeu_epi32(idx + ox0, m, at);
  }
}

}  // namespace om

#pragma GCC pop_options

#else  // no AVX-512 build: pooling.cpp's general loops do every plane

namespace om {
bool halves_plane(const PoolGeom&) { return false; }
bool tiles_2x2(const PoolGeom&) { return false; }
void maxpool_fwd_plane_2x2(float*, int32_t*, const float*, const PoolGeom&) {}
bool maxpool_bwd_plane_2x2(float*, const float*, const int32_t*, const PoolGeom&) { return false; }
void max_row_3x3s2(float*, int32_t*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t) {}
}  // namespace om

#endif  // OM_PACKED_ENGINE
