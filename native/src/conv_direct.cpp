// conv_direct.cpp: the packed engine's direct convolution (see conv_direct.h) for layers
// with few lowered rows per group, stride 1, no dilation. Nothing is lowered: the lanes of
// a vector are 16 consecutive output columns of one row, and each kernel offset (c, i, j)
// is one masked load of the input row (lanes outside the image load 0) multiplied into
// up to 12 output channels at once (24 accumulators for rows of up to 32 columns).
//
// - Forward: units of (image, output row), handed out as threads come free (chunks.h).
// - Bias gradient: a unit per output channel; weight gradient: a unit per (block of up to
//   4 output channels, input channel, kernel row), summed over the whole batch with one
//   accumulator per (channel, kernel column), each input load feeding the block's
//   channels. Each unit writes its own weights: the same sums whatever the partitions.
// - Data gradient: units of (image, input row), the adjoint of the forward pass.
// LeNet's conv1 at batch 64 on 2 threads (alternating with the batched 2x1 plan in one
// process, medians of 600): forward 0.84x, backward (no data gradient) 0.81x its time.
#include "conv_direct.h"

#if OM_PACKED_ENGINE
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "chunks.h"
#include "packed_panels.h"
#include "packed_work.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {
namespace {

constexpr int64_t kLanes = 16;
constexpr int kBlock = 12;  // output (forward) or input (data gradient) channels at once

// Lanes [lo, hi) of 16, clamped.
inline __mmask16 span(int64_t lo, int64_t hi) {
  lo = std::clamp<int64_t>(lo, 0, kLanes);
  hi = std::clamp<int64_t>(hi, 0, kLanes);
  return hi <= lo ? 0 : static_cast<__mmask16>((1u << hi) - (1u << lo));
}

// Per 32-column block from x0 of the rows a tile writes: in[h], the lanes of vector h
// inside the row; at[j][h], those of them whose read for kernel column j lands inside the
// row read (the input row forward, the top gradient's row for the data gradient). The
// same for every row, worked out once per pass.
struct Masks {
  __mmask16 in[2];
  __mmask16 at[kDirectMaxKw][2];
};

// The blocks of a row `written` wide whose column x reads column x + shift(j) of a row
// `read` wide, for kernel column j.
template <class Shift>
std::vector<Masks> masks_of(int64_t written, int64_t read, int64_t kw, Shift&& shift) {
  std::vector<Masks> all(static_cast<size_t>(ceil_div(written, 2 * kLanes)));
  for (size_t b = 0; b < all.size(); ++b)
    for (int h = 0; h < 2; ++h) {
      const int64_t base = static_cast<int64_t>(b) * 2 * kLanes + h * kLanes;
      all[b].in[h] = span(0, written - base);
      for (int64_t j = 0; j < kw; ++j) all[b].at[j][h] = all[b].in[h] & span(-shift(j) - base, read - shift(j) - base);
    }
  return all;
}

// Forward (and weight gradient): output column x reads input column x + j - pw.
std::vector<Masks> forward_masks(const Shape& z) {
  return masks_of(z.g.ow, z.g.w, z.g.kw, [&](int64_t j) { return j - z.g.pw; });
}

// Data gradient: input column x reads the top gradient's column x + pw - j.
std::vector<Masks> backward_masks(const Shape& z) {
  return masks_of(z.g.w, z.g.ow, z.g.kw, [&](int64_t j) { return z.g.pw - j; });
}

// The sum of v's lanes, in lane order (GCC 12's _mm512_reduce_add_ps warns of an
// uninitialised operand inside its own header).
inline float sum_lanes(__m512 v) {
  alignas(64) float f[16];
  _mm512_store_ps(f, v);
  float s = 0.0f;
  for (float x : f) s += x;
  return s;
}

inline __m512 relu_of(__m512 v) {  // x > 0 ? x : 0 * x, as the packed kernel
  const __m512 zero = _mm512_setzero_ps();
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), _mm512_mul_ps(zero, v), v);
}

// OB output channels (from the group's o0) of output row oy, columns [x0, x0 + 16 NV), of
// one image. in: the image's group input (C/group planes); wt: weights of channel o0.
template <int OB, int NV>
void forward_tile(float* top, const float* in, const float* wt, const float* bias, const Shape& z,
                  const Masks& m, int64_t oy, int64_t x0, bool relu) {
  const ConvGeom& g = z.g;
  const int64_t cg = g.c / z.group, wstride = cg * z.khw;
  __m512 acc[OB][NV];
#pragma GCC unroll 12
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 2
    for (int h = 0; h < NV; ++h) acc[o][h] = bias != nullptr ? _mm512_set1_ps(bias[o]) : _mm512_setzero_ps();
  for (int64_t c = 0; c < cg; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t iy = oy + i - g.ph;
      if (iy < 0 || iy >= g.h) continue;
      const float* row = in + (c * g.h + iy) * g.w + x0 - g.pw;  // lane L, column j: row[j + L]
      const float* wr = wt + c * z.khw + i * g.kw;
      for (int64_t j = 0; j < g.kw; ++j) {
        __m512 xv[NV];
#pragma GCC unroll 2
        for (int h = 0; h < NV; ++h) xv[h] = _mm512_maskz_loadu_ps(m.at[j][h], row + j + h * kLanes);
#pragma GCC unroll 12
        for (int o = 0; o < OB; ++o) {
          const __m512 wv = _mm512_set1_ps(wr[o * wstride + j]);
#pragma GCC unroll 2
          for (int h = 0; h < NV; ++h) acc[o][h] = _mm512_fmadd_ps(wv, xv[h], acc[o][h]);
        }
      }
    }
  }
#pragma GCC unroll 12
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 2
    for (int h = 0; h < NV; ++h)
      _mm512_mask_storeu_ps(top + o * z.ohw + x0 + h * kLanes, m.in[h], relu ? relu_of(acc[o][h]) : acc[o][h]);
}

// CB input channels (from the group's c0) of input row y, columns [x0, x0 + 16 NV), of one
// image's data gradient. dy: the image's group top gradient; wt: weights of the group's
// first output channel, input channel c0. The forward tile's adjoint, kept apart from it: a
// template for both (sign and strides as arguments) ran the forward pass 1.14x slower.
template <int CB, int NV>
void data_tile(float* dx, const float* dy, const float* wt, const Shape& z, const Masks& m, int64_t y,
               int64_t x0) {
  const ConvGeom& g = z.g;
  const int64_t cg = g.c / z.group, wstride = cg * z.khw;
  __m512 acc[CB][NV];
#pragma GCC unroll 12
  for (int c = 0; c < CB; ++c)
#pragma GCC unroll 2
    for (int h = 0; h < NV; ++h) acc[c][h] = _mm512_setzero_ps();
  for (int64_t o = 0; o < z.m; ++o) {
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t oy = y + g.ph - i;
      if (oy < 0 || oy >= g.oh) continue;
      const float* row = dy + o * z.ohw + oy * g.ow + x0 + g.pw;  // lane L, column j: row[L - j]
      const float* wr = wt + o * wstride + i * g.kw;
      for (int64_t j = 0; j < g.kw; ++j) {
        __m512 dv[NV];
#pragma GCC unroll 2
        for (int h = 0; h < NV; ++h) dv[h] = _mm512_maskz_loadu_ps(m.at[j][h], row - j + h * kLanes);
#pragma GCC unroll 12
        for (int c = 0; c < CB; ++c) {
          const __m512 wv = _mm512_set1_ps(wr[c * z.khw + j]);
#pragma GCC unroll 2
          for (int h = 0; h < NV; ++h) acc[c][h] = _mm512_fmadd_ps(wv, dv[h], acc[c][h]);
        }
      }
    }
  }
#pragma GCC unroll 12
  for (int c = 0; c < CB; ++c)
#pragma GCC unroll 2
    for (int h = 0; h < NV; ++h) _mm512_mask_storeu_ps(dx + c * z.hw + x0 + h * kLanes, m.in[h], acc[c][h]);
}

// Loads lanes m of p: a plain load where m is all 16 (when kFull says the first vector's
// always is: no masked-load cost).
template <bool kFull>
inline __m512 load_lanes(__mmask16 m, const float* p) {
  if constexpr (kFull) return _mm512_loadu_ps(p);
  return _mm512_maskz_loadu_ps(m, p);
}

// The weight gradient of OB output channels (o0..) against one input channel, kernel row
// i, over all n images: OB x KW accumulators (lanes summed at the end), each input load
// feeding OB products. dy: channel o0's top gradient in image 0; x: the input channel in
// image 0; wd: channel o0's weights for that input channel (channels ws apart).
template <int KW, int NV, int OB, bool kFull0 = false>
void weight_block(float* wd, int64_t ws, const float* dy, const float* x, const Shape& z,
                  const std::vector<Masks>& masks, int64_t n, int64_t i) {
  if constexpr (!kFull0) {
    // The first vector of every block whole and inside the image for every kernel column.
    bool full = true;
    for (const Masks& m : masks) {
      full &= m.in[0] == 0xffff;
      for (int j = 0; j < KW; ++j) full &= m.at[j][0] == 0xffff;
    }
    if (full) return weight_block<KW, NV, OB, true>(wd, ws, dy, x, z, masks, n, i);
  }
  const ConvGeom& g = z.g;
  __m512 acc[OB][KW];
#pragma GCC unroll 4
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 16
    for (int j = 0; j < KW; ++j) acc[o][j] = _mm512_setzero_ps();
  // Output rows whose input row oy + i - ph is inside the image.
  const int64_t lo = std::max<int64_t>(0, g.ph - i), hi = std::min<int64_t>(g.oh, g.h + g.ph - i);
  for (int64_t x0 = 0, b = 0; x0 < g.ow; x0 += 2 * kLanes, ++b) {
    const Masks& m = masks[static_cast<size_t>(b)];
    for (int64_t img = 0; img < n; ++img) {
      const float* dyi = dy + img * z.out_per + x0;
      const float* xi = x + img * z.in_per + (i - g.ph) * g.w + x0 - g.pw;  // row oy, lane L, column j: xi[oy w + j + L]
      for (int64_t oy = lo; oy < hi; ++oy) {
        __m512 dv[OB][NV];
#pragma GCC unroll 4
        for (int o = 0; o < OB; ++o)
#pragma GCC unroll 2
          for (int h = 0; h < NV; ++h)
            dv[o][h] = h == 0 ? load_lanes<kFull0>(m.in[0], dyi + o * z.ohw + oy * g.ow)
                              : _mm512_maskz_loadu_ps(m.in[h], dyi + o * z.ohw + oy * g.ow + h * kLanes);
        const float* row = xi + oy * g.w;
#pragma GCC unroll 16
        for (int j = 0; j < KW; ++j)
#pragma GCC unroll 2
          for (int h = 0; h < NV; ++h) {
            const __m512 xv = h == 0 ? load_lanes<kFull0>(m.at[j][0], row + j)
                                     : _mm512_maskz_loadu_ps(m.at[j][h], row + j + h * kLanes);
#pragma GCC unroll 4
            for (int o = 0; o < OB; ++o) acc[o][j] = _mm512_fmadd_ps(dv[o][h], xv, acc[o][j]);
          }
      }
    }
  }
#pragma GCC unroll 4
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 16
    for (int j = 0; j < KW; ++j) wd[o * ws + i * KW + j] += sum_lanes(acc[o][j]);
}

// Output channels per weight-gradient unit for kernels KW wide: OB x KW accumulators and
// OB x 2 top-gradient vectors within the 32 registers.
constexpr int weight_ob(int kw) { return kw <= 5 ? 4 : kw <= 8 ? 2 : 1; }

// Channels [o0, o0 + ob) (ob <= weight_ob(KW)) of a group against one input channel, kernel row i.
template <int KW, int NV>
void weight_unit(int ob, float* wd, int64_t ws, const float* dy, const float* x, const Shape& z,
                 const std::vector<Masks>& masks, int64_t n, int64_t i) {
  constexpr int kOb = weight_ob(KW);
  if (ob == kOb) return weight_block<KW, NV, kOb>(wd, ws, dy, x, z, masks, n, i);
  for (int o = 0; o < ob; ++o) weight_block<KW, NV, 1>(wd + o * ws, ws, dy + o * z.ohw, x, z, masks, n, i);
}

// The bias gradient of channel o: its top gradient summed over all n images, in order.
void bias_unit(float* bd, const float* dy, const Shape& z, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t img = 0; img < n; ++img) {
    const float* p = dy + img * z.out_per;
    int64_t k = 0;
    for (; k + kLanes <= z.ohw; k += kLanes) acc = _mm512_add_ps(acc, _mm512_loadu_ps(p + k));
    if (k < z.ohw) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(span(0, z.ohw - k), p + k));
  }
  *bd += sum_lanes(acc);
}

// Tiles of up to 12 channels: the template for b channels (1..12) and NV vectors.
template <template <int, int> class F, int NV, class... A>
void by_block(int b, A&&... a) {
  switch (b) {
    case 1: F<1, NV>::run(a...); break;
    case 2: F<2, NV>::run(a...); break;
    case 3: F<3, NV>::run(a...); break;
    case 4: F<4, NV>::run(a...); break;
    case 5: F<5, NV>::run(a...); break;
    case 6: F<6, NV>::run(a...); break;
    case 7: F<7, NV>::run(a...); break;
    case 8: F<8, NV>::run(a...); break;
    case 9: F<9, NV>::run(a...); break;
    case 10: F<10, NV>::run(a...); break;
    case 11: F<11, NV>::run(a...); break;
    default: F<12, NV>::run(a...); break;
  }
}

template <int B, int NV>
struct Forward {
  template <class... A>
  static void run(A&&... a) { forward_tile<B, NV>(a...); }
};
template <int B, int NV>
struct Data {
  template <class... A>
  static void run(A&&... a) { data_tile<B, NV>(a...); }
};
template <int KW, int NV>
struct Weight {
  template <class... A>
  static void run(A&&... a) { weight_unit<KW, NV>(a...); }
};

// Columns of a row of width `width` in blocks of 32 (two vectors), the last of one vector
// when 16 columns or fewer are left; body(x0, block, vectors).
template <class Body>
void by_columns(int64_t width, Body&& body) {
  for (int64_t x0 = 0, b = 0; x0 < width; x0 += 2 * kLanes, ++b) body(x0, b, width - x0 > kLanes ? 2 : 1);
}

}  // namespace

bool direct_fits(const om_conv_shape& s) {
  const int64_t khw = int64_t{s.kh} * s.kw;
  return s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.kw <= kDirectMaxKw &&
         s.c / s.group * khw <= kDirectMaxK;
}

void direct_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    int64_t n, const om_conv_shape& s, int64_t partitions, bool relu) {
  const Shape z = shape_of(s);
  const ConvGeom& g = z.g;
  const int64_t cg = g.c / z.group;
  const std::vector<Masks> masks = forward_masks(z);
  for_chunks(team_of(partitions), n * g.oh, 2, [&](int64_t, int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t img = u / g.oh, oy = u % g.oh;
      for (int64_t gr = 0; gr < z.group; ++gr) {
        const float* in = bottom + img * z.in_per + gr * cg * z.hw;
        for (int64_t o0 = 0; o0 < z.m; o0 += kBlock) {
          const int b = static_cast<int>(std::min<int64_t>(kBlock, z.m - o0));
          const int64_t o = gr * z.m + o0;
          float* t = top + img * z.out_per + o * z.ohw + oy * g.ow;
          const float* wt = weights + o * cg * z.khw;
          const float* bs = bias != nullptr ? bias + o : nullptr;
          by_columns(g.ow, [&](int64_t x0, int64_t blk, int nv) {
            const Masks& m = masks[static_cast<size_t>(blk)];
            if (nv == 2) by_block<Forward, 2>(b, t, in, wt, bs, z, m, oy, x0, relu);
            else by_block<Forward, 1>(b, t, in, wt, bs, z, m, oy, x0, relu);
          });
        }
      }
    }
  });
}

void direct_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                     const float* top_diff, const float* bottom, const float* weights,
                     int64_t n, const om_conv_shape& s, int64_t partitions) {
  const Shape z = shape_of(s);
  const ConvGeom& g = z.g;
  const int64_t cg = g.c / z.group;
  const int team = team_of(partitions);
  // Bias gradient: one unit per output channel.
  if (bias_diff != nullptr)
    for_chunks(team, z.cout, 1, [&](int64_t, int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) bias_unit(bias_diff + o, top_diff + o * z.ohw, z, n);
    });
  // Weight gradient: units (block of output channels of a group, input channel, kernel row).
  const std::vector<Masks> fmasks = forward_masks(z);
  const int kw = static_cast<int>(g.kw), ob = weight_ob(kw);
  const int64_t blocks = ceil_div(z.m, ob);
  for_chunks(team, z.group * blocks * cg * g.kh, 1, [&](int64_t, int64_t lo, int64_t hi) {
    for (int64_t v = lo; v < hi; ++v) {
      const int64_t i = v % g.kh, u = v / g.kh;
      const int64_t gr = u / (blocks * cg), o0 = (u / cg) % blocks * ob, c = u % cg;
      const int64_t o = gr * z.m + o0;
      const int b = static_cast<int>(std::min<int64_t>(ob, z.m - o0));
      float* wd = weight_diff + (o * cg + c) * z.khw;
      const float* dy = top_diff + o * z.ohw;
      const float* x = bottom + (gr * cg + c) * z.hw;
      if (g.ow > kLanes) by_block<Weight, 2>(kw, b, wd, cg * z.khw, dy, x, z, fmasks, n, i);
      else by_block<Weight, 1>(kw, b, wd, cg * z.khw, dy, x, z, fmasks, n, i);
    }
  });
  if (bottom_diff == nullptr) return;
  // Data gradient: units (image, input row).
  const std::vector<Masks> bmasks = backward_masks(z);
  for_chunks(team, n * g.h, 2, [&](int64_t, int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t img = u / g.h, y = u % g.h;
      for (int64_t gr = 0; gr < z.group; ++gr) {
        const float* dy = top_diff + img * z.out_per + gr * z.m * z.ohw;
        for (int64_t c0 = 0; c0 < cg; c0 += kBlock) {
          const int b = static_cast<int>(std::min<int64_t>(kBlock, cg - c0));
          float* dx = bottom_diff + img * z.in_per + (gr * cg + c0) * z.hw + y * g.w;
          const float* wt = weights + gr * z.m * cg * z.khw + c0 * z.khw;
          by_columns(g.w, [&](int64_t x0, int64_t blk, int nv) {
            const Masks& m = bmasks[static_cast<size_t>(blk)];
            if (nv == 2) by_block<Data, 2>(b, dx, dy, wt, z, m, y, x0);
            else by_block<Data, 1>(b, dx, dy, wt, z, m, y, x0);
          });
        }
      }
    }
  });
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
