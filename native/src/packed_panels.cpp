// packed_panels.cpp: the packed convolution engine's panels (see packed_panels.h): the
// shape, segments and taps of a panel, the stride-phase copy, the lowering of a panel and
// its adjoint by taps (by windows where they fit: packed_window.cpp), and where a panel's
// outputs go (the weight gradient's transposed operand: packed_transpose.cpp). Compiled
// for AVX-512 (the pragma below); called only when om::packed_supported().
#include "packed_panels.h"

#if OM_PACKED_ENGINE
#include <algorithm>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {
namespace {

// The lanes of seg whose input column x = xs + j*sw (j = lane - seg.lane) lies in [0, w).
inline uint32_t valid_lanes(const Seg& seg, int64_t xs, int64_t sw, int64_t w) {
  int64_t jl, jh;
  if (xs >= 0 && xs + (seg.len - 1) * sw < w) {  // inside the row (most taps): no division
    jl = 0;
    jh = seg.len;
  } else if (sw == 1) {
    jl = std::clamp<int64_t>(-xs, 0, seg.len);
    jh = std::clamp<int64_t>(w - xs, 0, seg.len);
  } else {
    jl = std::clamp<int64_t>(ceil_div(-xs, sw), 0, seg.len);
    jh = std::clamp<int64_t>(ceil_div(w - xs, sw), 0, seg.len);
  }
  return lane_bits(seg.lane + jl, seg.lane + jh);
}

// Lane L (0..15) of a half: L * stride.
inline __m512i lane_times(int64_t stride) {
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  return _mm512_mullo_epi32(iota, _mm512_set1_epi32(static_cast<int>(stride)));
}

}  // namespace

Shape shape_of(const om_conv_shape& s) {
  Shape z{};
  ConvGeom& g = z.g;
  g.c = s.c; g.h = s.h; g.w = s.w;
  g.kh = s.kh; g.kw = s.kw; g.ph = s.ph; g.pw = s.pw;
  g.sh = s.sh; g.sw = s.sw; g.dh = s.dh; g.dw = s.dw;
  g.oh = (g.h + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1;
  z.group = s.group;
  z.cout = s.cout;
  z.m = s.cout / s.group;
  z.khw = g.kh * g.kw;
  z.k = g.c / s.group * z.khw;
  z.ohw = g.oh * g.ow;
  z.hw = g.h * g.w;
  z.in_per = g.c * z.hw;
  z.out_per = z.cout * z.ohw;
  z.tiles_m = ceil_div(z.m, MR);
  z.tiles_k = ceil_div(z.k, MR);
  return z;
}

bool transposable(const om_conv_shape& s) {
  return s.sh == 1 && s.sw == 1 && int64_t{s.dh} * (s.kh - 1) >= s.ph && int64_t{s.dw} * (s.kw - 1) >= s.pw &&
         s.c / s.group >= kMinTransposedRows;
}

om_conv_shape transposed(const om_conv_shape& s) {
  const Shape z = shape_of(s);
  return om_conv_shape{s.cout, static_cast<int32_t>(z.g.oh), static_cast<int32_t>(z.g.ow), s.kh, s.kw,
                       s.dh * (s.kh - 1) - s.ph, s.dw * (s.kw - 1) - s.pw, 1, 1, s.dh, s.dw, s.c, s.group};
}

int segments(const Shape& z, int64_t n0, int64_t nr, Seg* out) {
  int count = 0;
  const ConvGeom& g = z.g;
  for (int64_t lane = 0, n = n0; lane < nr;) {
    const int64_t img = n / z.ohw, q = n % z.ohw, oy = q / g.ow, ox = q % g.ow;
    const int64_t len = std::min(g.ow - ox, nr - lane);
    out[count++] = Seg{img * z.in_per, oy * g.sh - g.ph, ox * g.sw - g.pw, len, lane};
    lane += len;
    n += len;
  }
  return count;
}

// Floats of workspace for one panel's taps (at most kMaxSegs per offset) and its window.
int64_t taps_floats(const Shape& z) {
  const int64_t taps = round_up(z.khw * kMaxSegs * int64_t{sizeof(Tap) / sizeof(float)} + z.khw + 1, 16);
  return taps + round_up(int64_t{sizeof(Window) / sizeof(float)}, 16);
}

Taps taps_at(float* at, const Shape& z) {
  Tap* tap = reinterpret_cast<Tap*>(at);
  const int64_t taps = round_up(z.khw * kMaxSegs * int64_t{sizeof(Tap) / sizeof(float)} + z.khw + 1, 16);
  Taps t{z.khw, tap, reinterpret_cast<int32_t*>(tap + z.khw * kMaxSegs), reinterpret_cast<Window*>(at + taps)};
  t.win->keyed = 0;  // the workspace may hold another layer's window
  return t;
}

namespace {
// A row split into its stride phases 16 output columns at a time by permutes: phase p's
// column q at dr[p * wq + q] = src[q * sw + p]. They return how many columns q they did
// (the caller does the rest). Stride 4 (CaffeNet's conv1): 4 loads, 8 permutes and 4
// stores per 64 floats, where the scalar loop did 64 loads and 64 stores; the copy's
// share of conv1's forward pass went from 5.7% to 4.0% (perf, one thread).
int64_t split_row2(float* dr, const float* src, int64_t w, int64_t wq) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  int64_t q = 0;
  for (; (q + 16) * 2 <= w; q += 16) {
    const __m512 a = _mm512_loadu_ps(src + 2 * q), b = _mm512_loadu_ps(src + 2 * q + 16);
    _mm512_storeu_ps(dr + q, _mm512_permutex2var_ps(a, even, b));
    _mm512_storeu_ps(dr + wq + q, _mm512_permutex2var_ps(a, odd, b));
  }
  return q;
}

int64_t split_row4(float* dr, const float* src, int64_t w, int64_t wq) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  int64_t q = 0;
  for (; (q + 16) * 4 <= w; q += 16) {
    const float* s = src + 4 * q;
    const __m512 a = _mm512_loadu_ps(s), b = _mm512_loadu_ps(s + 16);
    const __m512 c = _mm512_loadu_ps(s + 32), d = _mm512_loadu_ps(s + 48);
    const __m512 ab0 = _mm512_permutex2var_ps(a, even, b), ab1 = _mm512_permutex2var_ps(a, odd, b);
    const __m512 cd0 = _mm512_permutex2var_ps(c, even, d), cd1 = _mm512_permutex2var_ps(c, odd, d);
    _mm512_storeu_ps(dr + q, _mm512_permutex2var_ps(ab0, even, cd0));
    _mm512_storeu_ps(dr + wq + q, _mm512_permutex2var_ps(ab1, even, cd1));
    _mm512_storeu_ps(dr + 2 * wq + q, _mm512_permutex2var_ps(ab0, odd, cd0));
    _mm512_storeu_ps(dr + 3 * wq + q, _mm512_permutex2var_ps(ab1, odd, cd1));
  }
  return q;
}
}  // namespace

void Phases::hold(const float* bottom, const Shape& z, int64_t cg, int64_t first, int64_t last) {
  const ConvGeom& g = z.g;
  for (int64_t img = first; img <= last; ++img) {
    if (held[img % 2] == img) continue;
    held[img % 2] = img;
    float* d = buf + (img % 2) * slot;
    for (int64_t c = 0; c < g.c / z.group; ++c)
      for (int64_t y = 0; y < g.h; ++y) {
        const float* src = bottom + img * z.in_per + (cg + c) * z.hw + y * g.w;
        float* dr = d + c * plane + y * row;
        int64_t q0 = 0;  // columns x < q0 * sw done by the vector loops
        if (g.sw == 2) q0 = split_row2(dr, src, g.w, wq);
        if (g.sw == 4) q0 = split_row4(dr, src, g.w, wq);
        for (int64_t p = 0; p < g.sw; ++p)
          for (int64_t q = q0, x = p + q0 * g.sw; x < g.w; ++q, x += g.sw) dr[p * wq + q] = src[x];
      }
  }
}

void make_taps(Taps& t, const Shape& z, const Seg* segs, int nseg, const Phases& ph) {
  const ConvGeom& g = z.g;
  const bool phased = ph.buf != nullptr && g.kw <= kMaxKw;
  // A stride-1 panel that fits a window is lowered and scattered by it: no taps.
  if (ph.buf == nullptr && g.sw == 1 && g.sh == 1 && g.dw == 1 && g.dh == 1) {
    make_window(*t.win, z, segs, nseg);
    if (t.win->ok) return;
  } else {
    t.win->ok = 0;
  }
  // Where segment s's lane 0 reads for kernel column j (in the phase copy: phase and
  // position; else the input column), and which of its lanes are inside the row.
  const auto column = [&](int s, int64_t j, int32_t& x, uint32_t& m) {
    const Seg& seg = segs[s];
    const int64_t xs = seg.xs0 + j * g.dw;
    m = valid_lanes(seg, xs, g.sw, g.w);
    if (phased) {
      // lane L reads phase xs mod sw of its row at position floor(xs / sw) + (L - seg.lane)
      const int64_t slot = (seg.img / z.in_per) % 2 * ph.slot, phase = ((xs % g.sw) + g.sw) % g.sw;
      x = static_cast<int32_t>(slot + phase * ph.wq + (xs - phase) / g.sw - seg.lane);
    } else {
      x = static_cast<int32_t>(xs - seg.lane * g.sw);
    }
  };
  // The columns' part is the same for every kernel row: worked out once per panel (kw <=
  // kMaxKw), then each row adds its own. CaffeNet's conv1 (11 x 11): make_taps' share of
  // the layer's time (perf) fell from 5.2% to 3.2% against working out every pair.
  int32_t xs_of[kMaxSegs][kMaxKw];
  uint32_t mask_of[kMaxSegs][kMaxKw];
  const bool table = g.kw <= kMaxKw;
  if (table)
    for (int s = 0; s < nseg; ++s)
      for (int64_t j = 0; j < g.kw; ++j) column(s, j, xs_of[s][j], mask_of[s][j]);
  int32_t count = 0;
  for (int64_t i = 0, r = 0; i < g.kh; ++i) {
    int64_t row[kMaxSegs];
    bool inside[kMaxSegs];
    for (int s = 0; s < nseg; ++s) {
      const int64_t iy = segs[s].iy0 + i * g.dh;
      inside[s] = iy >= 0 && iy < g.h;
      row[s] = phased ? iy * ph.row : segs[s].img + iy * g.w;
    }
    for (int64_t j = 0; j < g.kw; ++j, ++r) {
      t.start[r] = count;
      for (int s = 0; s < nseg; ++s) {
        if (!inside[s]) continue;
        int32_t x;
        uint32_t m;
        if (table) {
          x = xs_of[s][j];
          m = mask_of[s][j];
        } else {
          column(s, j, x, m);
        }
        if (m != 0) t.tap[count++] = Tap{row[s], x, m};
      }
    }
  }
  t.start[z.khw] = count;
}

// Rows [k0, k1) of a group's lowered input for one panel: bp[k - k0][32] (lanes outside
// 0). The group's input is bottom's channels from cg on, or ph's copy when it holds one.
void lower_panel(float* bp, const float* bottom, const Shape& z, int64_t cg, const Taps& t,
                 const Phases& ph, int64_t k0, int64_t k1) {
  if (t.win->ok) return lower_window(bp, bottom, z, cg, *t.win, k0, k1);
  const ConvGeom& g = z.g;
  const bool unit = g.sw == 1 || ph.buf != nullptr;
  const __m512i step = lane_times(g.sw);
  const __m512i half = _mm512_set1_epi32(static_cast<int>(16 * g.sw));
  for (int64_t c = k0 / t.khw, k = k0; k < k1; ++c) {
    const float* plane = ph.buf != nullptr ? ph.buf + c * ph.plane : bottom + (cg + c) * z.hw;
    for (int64_t r = k % t.khw; r < t.khw && k < k1; ++r, ++k) {
      __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
      for (int32_t s = t.start[r]; s < t.start[r + 1]; ++s) {
        const Tap& tp = t.tap[s];
        const __mmask16 m0 = static_cast<__mmask16>(tp.mask), m1 = static_cast<__mmask16>(tp.mask >> 16);
        if (unit) {
          const float* src = plane + tp.row + tp.x;  // lane L reads src[L]
          if (m0) v0 = _mm512_mask_loadu_ps(v0, m0, src);
          if (m1) v1 = _mm512_mask_loadu_ps(v1, m1, src + 16);
        } else {
          const float* row = plane + tp.row;  // lane L reads row[x + L * sw]
          const __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(tp.x)), step);
          v0 = _mm512_mask_i32gather_ps(v0, m0, x0, row, 4);
          v1 = _mm512_mask_i32gather_ps(v1, m1, _mm512_add_epi32(x0, half), row, 4);
        }
      }
      _mm512_storeu_ps(bp + (k - k0) * NR, v0);
      _mm512_storeu_ps(bp + (k - k0) * NR + 16, v1);
    }
  }
}

// bottom_diff += rows [k0, k1) of one panel's lowered gradient (dcol[k - k0][32]), for
// the group whose first channel is cg.
void col2im_panel(float* bottom_diff, const float* dcol, const Shape& z, int64_t cg,
                  int64_t k0, int64_t k1, const Taps& t) {
  if (t.win->ok) return col2im_window(bottom_diff, dcol, z, cg, *t.win, k0, k1);
  const ConvGeom& g = z.g;
  const __m512i step = lane_times(g.sw);
  const __m512i half = _mm512_set1_epi32(static_cast<int>(16 * g.sw));
  // Kernel offset outermost: rows r and r + 1 of one channel add into overlapping, shifted
  // spans, and a masked load that overlaps the store just before it cannot be forwarded
  // (it waits for the store to retire). Each element still gets its offsets in order.
  for (int64_t r = 0; r < t.khw; ++r) {
  const int64_t first = k0 + ((r - k0 % t.khw) % t.khw + t.khw) % t.khw;  // of channel first / khw
  float* plane = bottom_diff + (cg + first / t.khw) * z.hw;
  for (int64_t k = first; k < k1; k += t.khw, plane += z.hw) {
    const float* dk = dcol + (k - k0) * NR;
    const __m512 d0 = _mm512_loadu_ps(dk), d1 = _mm512_loadu_ps(dk + 16);
    for (int32_t s = t.start[r]; s < t.start[r + 1]; ++s) {
      const Tap& tp = t.tap[s];
      const __mmask16 m0 = static_cast<__mmask16>(tp.mask), m1 = static_cast<__mmask16>(tp.mask >> 16);
      if (g.sw == 1) {
        float* dst = plane + tp.row + tp.x;
        if (m0) _mm512_mask_storeu_ps(dst, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, dst), d0));
        if (m1) _mm512_mask_storeu_ps(dst + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, dst + 16), d1));
      } else {
        float* row = plane + tp.row;
        const __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(tp.x)), step);
        const __m512i x1 = _mm512_add_epi32(x0, half);
        if (m0) {
          const __m512 cur = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, x0, row, 4);
          _mm512_mask_i32scatter_ps(row, m0, x0, _mm512_add_ps(cur, d0), 4);
        }
        if (m1) {
          const __m512 cur = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, x1, row, 4);
          _mm512_mask_i32scatter_ps(row, m1, x1, _mm512_add_ps(cur, d1), 4);
        }
      }
    }
  }
  }
}

// Where the panel's 32 output columns lie in an (N, channels, OH*OW) tensor: channel ch of
// the panel's first image at p0 (+ lane), of the next image at p1 (+ lane). False when the
// panel spans more than two images (OH*OW < 32): the caller goes lane by lane.
bool panel_dst(const Shape& z, float* base, int64_t n0, int64_t nr, int64_t ch, Dst& d) {
  const int64_t img = n0 / z.ohw, q = n0 % z.ohw, split = z.ohw - q;
  if (nr > split && nr - split > z.ohw) return false;
  d.p0 = base + img * z.out_per + ch * z.ohw + q;
  d.ldc = z.ohw;
  if (nr <= split) {
    d.p1 = d.p0;
    d.m0 = lane_bits(0, nr);
    d.m1 = 0;
  } else {
    d.p1 = base + (img + 1) * z.out_per + ch * z.ohw - split;
    d.m0 = lane_bits(0, split);
    d.m1 = lane_bits(split, nr);
  }
  return true;
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
