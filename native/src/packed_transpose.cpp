// packed_transpose.cpp: the packed engine's weight-gradient operand: the top gradient's
// columns of a panel transposed to (channel, column) rows, 16 x 16 blocks at a time in
// registers, with each channel's sum for the bias gradient (see packed_panels.h).
// Compiled for AVX-512; called only when om::packed_supported().
#include "packed_panels.h"

#if OM_PACKED_ENGINE
#include <algorithm>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {

namespace {
// r[0..15] (rows) transposed in place: r[j] becomes column j of the 16 x 16 block.
inline void transpose16(__m512 (&r)[16]) {
  // (The masked forms with every lane set: GCC 12's plain ones warn of an undefined source.)
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_mask_unpacklo_ps(r[2 * i], 0xffff, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_mask_unpackhi_ps(r[2 * i], 0xffff, r[2 * i], r[2 * i + 1]);
  }
  // Then r[4i + j], in its 128-bit lane L: rows 4i..4i+3 of column 4L + j.
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_mask_shuffle_ps(t[4 * i], 0xffff, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_mask_shuffle_ps(t[4 * i], 0xffff, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_mask_shuffle_ps(t[4 * i + 1], 0xffff, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_mask_shuffle_ps(t[4 * i + 1], 0xffff, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // Column 4L + j gathers lane L of r[j], r[4 + j], r[8 + j], r[12 + j].
  __m512 out[16];
  for (int j = 0; j < 4; ++j) {
    const __m512 x0 = _mm512_mask_shuffle_f32x4(r[j], 0xffff, r[j], r[4 + j], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 x1 = _mm512_mask_shuffle_f32x4(r[j], 0xffff, r[j], r[4 + j], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 y0 = _mm512_mask_shuffle_f32x4(r[8 + j], 0xffff, r[8 + j], r[12 + j], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 y1 = _mm512_mask_shuffle_f32x4(r[8 + j], 0xffff, r[8 + j], r[12 + j], _MM_SHUFFLE(3, 1, 3, 1));
    out[j] = _mm512_mask_shuffle_f32x4(x0, 0xffff, x0, y0, _MM_SHUFFLE(2, 0, 2, 0));
    out[8 + j] = _mm512_mask_shuffle_f32x4(x0, 0xffff, x0, y0, _MM_SHUFFLE(3, 1, 3, 1));
    out[4 + j] = _mm512_mask_shuffle_f32x4(x1, 0xffff, x1, y1, _MM_SHUFFLE(2, 0, 2, 0));
    out[12 + j] = _mm512_mask_shuffle_f32x4(x1, 0xffff, x1, y1, _MM_SHUFFLE(3, 1, 3, 1));
  }
  for (int j = 0; j < 16; ++j) r[j] = out[j];
}
}  // namespace

// The weight gradient's vector operand: columns [n0, n0 + cols) of the top gradient's
// channels [m0, m0 + mc) (mc <= 32), transposed to d[c][32] (lanes past mc and columns up
// to width are 0); and each channel's sum over those columns, in column order, added to
// bias[0, mc) (when not null). 16 columns of one image at a time: the 16 channels' rows
// loaded whole and transposed in registers; a column that does not make a run of 16 in
// its image by two 16-channel gathers. (A scalar loop of strided stores was a quarter of
// CaffeNet conv1's backward pass; the gathers for every column, 5-6% of it.)
void transpose_top_diff(float* d, float* bias, const float* top_diff, const Shape& z, int64_t m0, int64_t mc,
                        int64_t n0, int64_t cols, int64_t width) {
  const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(static_cast<int>(z.ohw)));
  const __mmask16 k0 = static_cast<__mmask16>(lane_bits(0, std::min<int64_t>(mc, 16)));
  const __mmask16 k1 = static_cast<__mmask16>(lane_bits(0, std::max<int64_t>(mc - 16, 0)));
  const int64_t halves[2] = {std::min<int64_t>(mc, 16), std::max<int64_t>(mc - 16, 0)};
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int64_t img = n0 / z.ohw, q = n0 % z.ohw;
  for (int64_t c = 0; c < cols;) {
    const float* src = top_diff + img * z.out_per + m0 * z.ohw + q;
    const int64_t run = c + 16 <= cols && q + 16 <= z.ohw ? 16 : 1;
    if (run == 16) {
      for (int h = 0; h < 2; ++h) {
        __m512 r[16];
        for (int64_t i = 0; i < 16; ++i)
          r[i] = i < halves[h] ? _mm512_loadu_ps(src + (16 * h + i) * z.ohw) : _mm512_setzero_ps();
        if (halves[h] > 0) transpose16(r);
        for (int64_t j = 0; j < 16; ++j) _mm512_storeu_ps(d + (c + j) * NR + 16 * h, r[j]);
      }
      for (int64_t j = 0; j < 16; ++j) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(d + (c + j) * NR));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(d + (c + j) * NR + 16));
      }
    } else {
      const __m512 v0 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k0, rows, src, 4);
      const __m512 v1 = k1 == 0 ? _mm512_setzero_ps()
                                : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k1, rows, src + 16 * z.ohw, 4);
      _mm512_storeu_ps(d + c * NR, v0);
      _mm512_storeu_ps(d + c * NR + 16, v1);
      s0 = _mm512_add_ps(s0, v0);
      s1 = _mm512_add_ps(s1, v1);
    }
    c += run;
    q += run;
    if (q == z.ohw) {
      q = 0;
      ++img;
    }
  }
  for (int64_t c = cols; c < width; ++c) {
    _mm512_storeu_ps(d + c * NR, _mm512_setzero_ps());
    _mm512_storeu_ps(d + c * NR + 16, _mm512_setzero_ps());
  }
  if (bias == nullptr) return;
  alignas(64) float sums[NR];
  _mm512_store_ps(sums, s0);
  _mm512_store_ps(sums + 16, s1);
  for (int64_t m = 0; m < mc; ++m) bias[m] += sums[m];
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
