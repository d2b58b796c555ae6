// packed_window.cpp: the packed engine's lowering of a panel by windows (see Window in
// packed_panels.h). On a stride-1 layer with small images, the 16 lanes of a panel half
// read, for kernel row i and column j, floats base + i*w + off[L] + j of a channel plane,
// and off[L] + j stays below 32: two loads of the window [base + i*w, + 32) and one permute
// per kernel column make each lowered row, where the taps path did a masked load per
// segment (LeNet's conv2 has 4 segments of 8 lanes a row). Lanes reading outside the image
// (padding, a partial last panel) come out 0, as there.
#include "packed_panels.h"

#if OM_PACKED_ENGINE
#include <algorithm>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {

// Bits [lo, hi) of 16 (or of 32 for the window), clamped.
inline uint32_t bits(int64_t lo, int64_t hi, int64_t n) {
  lo = std::clamp<int64_t>(lo, 0, n);
  hi = std::clamp<int64_t>(hi, 0, n);
  return hi <= lo ? 0 : static_cast<uint32_t>(((uint64_t{1} << hi) - 1) & ~((uint64_t{1} << lo) - 1));
}

namespace {

void fill_window(Window& w, const Shape& z, const Seg* segs, int nseg) {
  const ConvGeom& g = z.g;
  w.ok = 0;
  if (g.kh > kMaxWindowKh || g.kw > kMaxKw) return;
  for (int h = 0; h < 2; ++h) {
    const int64_t l0 = 16 * h, l1 = l0 + 16;
    int64_t img = -1, first = 0;  // the half's image, its first lane's read for (0, 0) from the plane's start
    bool any = false;
    for (int64_t r = 0; r < z.khw; ++r) w.lanes[r][h] = 0, w.pos[r][h] = 0;
    for (int L = 0; L < 16; ++L) w.idx[h][L] = 0;
    for (int s = 0; s < nseg; ++s) {
      const Seg& seg = segs[s];
      const int64_t a = std::max(l0, seg.lane), b = std::min(l1, seg.lane + seg.len);
      if (a >= b) continue;
      // Lane L reads (iy0 + i, x(L) + j), x(L) = xs0 + L - lane: consecutive floats of a row.
      const int64_t at = seg.iy0 * g.w + seg.xs0 + (a - seg.lane);
      if (!any) {
        any = true;
        img = seg.img;
        first = at;
      }
      const int64_t off = at - first;
      if (seg.img != img || off < 0 || off + (b - a) + g.kw - 2 >= 32) return;  // lowered by taps
      for (int64_t L = a; L < b; ++L) w.idx[h][L - l0] = static_cast<int32_t>(off + (L - a));
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t iy = seg.iy0 + i;
        if (iy < 0 || iy >= g.h) continue;
        for (int64_t j = 0; j < g.kw; ++j) {
          // 0 <= xs0 + L - lane + j < w
          const int64_t lo = std::max(a, seg.lane - seg.xs0 - j), hi = std::min(b, seg.lane + g.w - seg.xs0 - j);
          w.lanes[i * g.kw + j][h] |= static_cast<uint16_t>(bits(lo - l0, hi - l0, 16));
          if (lo < hi) w.pos[i * g.kw + j][h] |= bits(off + (lo - a) + j, off + (hi - a) + j, 32);
        }
      }
    }
    w.base[h] = any ? img + first : 0;
    for (int64_t i = 0; i < g.kh; ++i)  // window floats inside the plane: no load outside the buffer
      w.wmask[i][h] = any ? bits(-(first + i * g.w), z.hw - (first + i * g.w), 32) : 0;
  }
  w.ok = 1;
}

}  // namespace

// On a stride-1 layer a panel's window depends only on where the panel starts in its image
// and how many columns it has (and the image, through base): a slot of the workspace that
// gets a panel like its last one (LeNet's conv2: every other panel) only moves base.
void make_window(Window& w, const Shape& z, const Seg* segs, int nseg) {
  int64_t columns = 0;
  for (int s = 0; s < nseg; ++s) columns += segs[s].len;
  if (w.keyed && w.key[0] == segs[0].iy0 && w.key[1] == segs[0].xs0 && w.key[2] == columns) {
    for (int h = 0; h < 2; ++h) w.base[h] = segs[0].img + w.rel[h];
    return;
  }
  fill_window(w, z, segs, nseg);
  w.keyed = 1;
  w.key[0] = segs[0].iy0;
  w.key[1] = segs[0].xs0;
  w.key[2] = columns;
  for (int h = 0; h < 2; ++h) w.rel[h] = w.base[h] - segs[0].img;
}

void lower_window(float* bp, const float* bottom, const Shape& z, int64_t cg, const Window& w,
                  int64_t k0, int64_t k1) {
  const ConvGeom& g = z.g;
  const __m512i idx0 = _mm512_loadu_si512(w.idx[0]), idx1 = _mm512_loadu_si512(w.idx[1]);
  int64_t c = k0 / z.khw, i = k0 % z.khw / g.kw, j = k0 % g.kw;
  for (int64_t k = k0; k < k1; ++c, i = 0) {
    const float* plane = bottom + (cg + c) * z.hw;
    for (; i < g.kh && k < k1; ++i, j = 0) {
      const float* p0 = plane + w.base[0] + i * g.w;
      const float* p1 = plane + w.base[1] + i * g.w;
      const uint32_t m0 = w.wmask[i][0], m1 = w.wmask[i][1];
      const __m512 a0 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m0), p0);
      const __m512 b0 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m0 >> 16), p0 + 16);
      const __m512 a1 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m1), p1);
      const __m512 b1 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m1 >> 16), p1 + 16);
      for (; j < g.kw && k < k1; ++j, ++k) {
        const int64_t r = i * g.kw + j;
        const __m512i jj = _mm512_set1_epi32(static_cast<int>(j));
        float* row = bp + (k - k0) * NR;
        _mm512_storeu_ps(row, _mm512_maskz_permutex2var_ps(w.lanes[r][0], a0, _mm512_add_epi32(idx0, jj), b0));
        _mm512_storeu_ps(row + 16, _mm512_maskz_permutex2var_ps(w.lanes[r][1], a1, _mm512_add_epi32(idx1, jj), b1));
      }
    }
  }
}

// The adjoint: per kernel row i and half, the window is loaded once, each of the kw rows'
// valid lanes are packed (compress) and spread to their places in the window (expand), and
// the window is stored back. A float's terms are added kernel row by kernel row, the first
// half's before the second's within a row (a fixed order per panel, whatever the
// partitions); a half's window may overlap the other's, which is stored before it loads.
void col2im_window(float* bottom_diff, const float* dcol, const Shape& z, int64_t cg, const Window& w,
                   int64_t k0, int64_t k1) {
  const ConvGeom& g = z.g;
  int64_t c = k0 / z.khw, i = k0 % z.khw / g.kw, j0 = k0 % g.kw;
  for (int64_t k = k0; k < k1; ++c, i = 0) {
    float* plane = bottom_diff + (cg + c) * z.hw;
    for (; i < g.kh && k < k1; ++i, j0 = 0) {
      const int64_t j1 = std::min<int64_t>(g.kw, j0 + (k1 - k));  // this kernel row's columns in the block
      for (int h = 0; h < 2; ++h) {
        float* p = plane + w.base[h] + i * g.w;
        const uint32_t m = w.wmask[i][h];
        __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), p);
        __m512 hi = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m >> 16), p + 16);
        for (int64_t j = j0; j < j1; ++j) {
          const int64_t r = i * g.kw + j;
          const __m512 d = _mm512_maskz_compress_ps(w.lanes[r][h], _mm512_loadu_ps(dcol + (k + j - j0 - k0) * NR + 16 * h));
          const uint32_t at = w.pos[r][h];
          const __mmask16 below = static_cast<__mmask16>(at);
          lo = _mm512_add_ps(lo, _mm512_maskz_expand_ps(below, d));
          // The lanes past the first popcount(below) go to the window's upper half.
          const __mmask16 rest = static_cast<__mmask16>(0xffffu << __builtin_popcount(below));
          hi = _mm512_add_ps(hi, _mm512_maskz_expand_ps(static_cast<__mmask16>(at >> 16), _mm512_maskz_compress_ps(rest, d)));
        }
        _mm512_mask_storeu_ps(p, static_cast<__mmask16>(m), lo);
        _mm512_mask_storeu_ps(p + 16, static_cast<__mmask16>(m >> 16), hi);
      }
      k += j1 - j0;
    }
  }
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
