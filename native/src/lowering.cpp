// lowering.cpp: the batched lowering at the heart of Omnivore's convolution.
//
// im2col_batch turns a whole batch (N, C, H, W) into one matrix col of shape
// (C*KH*KW, N*OH*OW): row (c*KH + i)*KW + j, column img*OH*OW + oy*OW + ox holds
// data[img][c][oy*SH - PH + i*DH][ox*SW - PW + j*DW], or 0 outside the image, so a
// single sgemm convolves every image. col2im_batch is its adjoint. The layout
// helpers move between (N, C, HW) and the (C, N, HW) order the GEMM produces, and
// row_sums_acc gives the bias gradient.
//
// Speed. The OpenMP loops hand out (channel, image) planes; each plane is one call to a
// kernel compiled for AVX2 and the baseline ISA (OM_CLONES). Rows are short on small
// nets (LeNet's conv2 writes rows of 8 floats), so the copies are plain loops the
// compiler vectorises rather than memcpy calls, and stride 1 has its own loop.
#include <algorithm>
#include <cstring>

#include "internal.h"

namespace om {
namespace {

// ceil(a / b) for b > 0 and any sign of a.
inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The output positions o in [0, out) whose input o*stride + offset lies in [0, len)
// form the range [lo, hi).
inline void valid_range(int64_t offset, int64_t stride, int64_t len, int64_t out,
                        int64_t& lo, int64_t& hi) {
  lo = std::clamp<int64_t>(ceil_div(-offset, stride), 0, out);
  hi = std::clamp<int64_t>(ceil_div(len - offset, stride), 0, out);
  if (hi < lo) hi = lo;
}

// Row copies and adds in chunks of 8 floats (one AVX2 vector, two SSE ones) and a scalar
// tail: far less loop overhead per row than a general vectorised loop on rows this short.
inline void copy_row(float* __restrict out, const float* __restrict in, int64_t count) {
  int64_t k = 0;
  for (; k + 8 <= count; k += 8)
    for (int t = 0; t < 8; ++t) out[k + t] = in[k + t];
  for (; k < count; ++k) out[k] = in[k];
}

inline void add_row(float* __restrict out, const float* __restrict in, int64_t count) {
  int64_t k = 0;
  for (; k + 8 <= count; k += 8)
    for (int t = 0; t < 8; ++t) out[k + t] += in[k + t];
  for (; k < count; ++k) out[k] += in[k];
}

// Gathers count floats at the given stride; strides 2 and 4 (CaffeNet's conv1, AlexNet,
// ResNet's stride-2 layers) get loops with the stride fixed, which vectorise.
template <int S>
inline void gather_fixed(float* __restrict out, const float* __restrict in, int64_t count) {
  for (int64_t k = 0; k < count; ++k) out[k] = in[k * S];
}

inline void copy_strided(float* __restrict out, const float* __restrict in, int64_t count,
                         int64_t stride) {
  if (stride == 4) {
    gather_fixed<4>(out, in, count);
  } else if (stride == 2) {
    gather_fixed<2>(out, in, count);
  } else {
    for (int64_t k = 0; k < count; ++k) out[k] = in[k * stride];
  }
}

inline void zero_row(float* __restrict out, int64_t count) {
  for (int64_t k = 0; k < count; ++k) out[k] = 0.0f;
}

// Unit stride and dilation (most conv layers): the valid output rows [oy_lo, oy_hi) and
// columns [x_lo, x_hi) of each kernel offset are computed once per plane, so a row costs
// a bounds-free copy (or add) and nothing else.
constexpr int64_t kMaxKernel = 16;

struct UnitRanges {
  int64_t oy_lo[kMaxKernel], oy_hi[kMaxKernel], x_lo[kMaxKernel], x_hi[kMaxKernel];
};

inline bool unit_stride(const ConvGeom& g) {
  return g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.kh <= kMaxKernel &&
         g.kw <= kMaxKernel;
}

inline UnitRanges unit_ranges(const ConvGeom& g) {
  UnitRanges r;
  for (int64_t i = 0; i < g.kh; ++i) valid_range(i - g.ph, 1, g.h, g.oh, r.oy_lo[i], r.oy_hi[i]);
  for (int64_t j = 0; j < g.kw; ++j) valid_range(j - g.pw, 1, g.w, g.ow, r.x_lo[j], r.x_hi[j]);
  return r;
}

OM_CLONES void im2col_plane_unit(float* __restrict dst, const float* __restrict src,
                                 const ConvGeom& g, int64_t row_len, const UnitRanges& r) {
  const int64_t ow = g.ow, w = g.w;
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t y0 = r.oy_lo[i], y1 = r.oy_hi[i];
    for (int64_t j = 0; j < g.kw; ++j) {
      float* __restrict seg = dst + (i * g.kw + j) * row_len;
      const int64_t x0 = r.x_lo[j], x1 = r.x_hi[j];
      zero_row(seg, y0 * ow);
      const float* __restrict in = src + (y0 + i - g.ph) * w + (j - g.pw);
      float* __restrict out = seg + y0 * ow;
      if (x0 == 0 && x1 == ow) {
        for (int64_t oy = y0; oy < y1; ++oy, out += ow, in += w) copy_row(out, in, ow);
      } else {
        for (int64_t oy = y0; oy < y1; ++oy, out += ow, in += w) {
          zero_row(out, x0);
          copy_row(out + x0, in + x0, x1 - x0);
          zero_row(out + x1, ow - x1);
        }
      }
      zero_row(seg + y1 * ow, (g.oh - y1) * ow);
    }
  }
}

OM_CLONES void col2im_plane_unit(float* __restrict dst, const float* __restrict src,
                                 const ConvGeom& g, int64_t row_len, const UnitRanges& r) {
  const int64_t ow = g.ow, w = g.w;
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t y0 = r.oy_lo[i], y1 = r.oy_hi[i];
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t x0 = r.x_lo[j], x1 = r.x_hi[j];
      const float* __restrict in = src + (i * g.kw + j) * row_len + y0 * ow + x0;
      float* __restrict out = dst + (y0 + i - g.ph) * w + (j - g.pw) + x0;
      for (int64_t oy = y0; oy < y1; ++oy, out += w, in += ow) add_row(out, in, x1 - x0);
    }
  }
}

// Lowers one input plane (H, W) of one channel and image: KH*KW row segments of
// OH*OW floats, segment (i, j) at dst + (i*KW + j)*row_len.
OM_CLONES void im2col_plane(float* __restrict dst, const float* __restrict src,
                            const ConvGeom& g, int64_t row_len) {
  for (int64_t i = 0; i < g.kh; ++i) {
    for (int64_t j = 0; j < g.kw; ++j) {
      float* seg = dst + (i * g.kw + j) * row_len;
      const int64_t x_off = j * g.dw - g.pw;
      int64_t x_lo, x_hi;
      valid_range(x_off, g.sw, g.w, g.ow, x_lo, x_hi);
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        float* __restrict out = seg + oy * g.ow;
        const int64_t iy = oy * g.sh - g.ph + i * g.dh;
        if (iy < 0 || iy >= g.h) {
          zero_row(out, g.ow);
          continue;
        }
        const float* __restrict row = src + iy * g.w + x_off;
        zero_row(out, x_lo);
        if (g.sw == 1) {
          copy_row(out + x_lo, row + x_lo, x_hi - x_lo);
        } else {
          copy_strided(out + x_lo, row + x_lo * g.sw, x_hi - x_lo, g.sw);
        }
        zero_row(out + x_hi, g.ow - x_hi);
      }
    }
  }
}

// Adds the KH*KW row segments of one (channel, image) back into its plane, which the
// caller has zeroed. Within a segment the columns hit distinct inputs, so the stride-1
// loop vectorises; segments run in the same order as the naive adjoint.
OM_CLONES void col2im_plane(float* __restrict dst, const float* __restrict src,
                            const ConvGeom& g, int64_t row_len) {
  for (int64_t i = 0; i < g.kh; ++i) {
    for (int64_t j = 0; j < g.kw; ++j) {
      const float* seg = src + (i * g.kw + j) * row_len;
      const int64_t x_off = j * g.dw - g.pw;
      int64_t x_lo, x_hi;
      valid_range(x_off, g.sw, g.w, g.ow, x_lo, x_hi);
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const int64_t iy = oy * g.sh - g.ph + i * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        const float* __restrict in = seg + oy * g.ow;
        float* __restrict row = dst + iy * g.w + x_off;
        if (g.sw == 1) {
          add_row(row + x_lo, in + x_lo, x_hi - x_lo);
        } else {
          for (int64_t ox = x_lo; ox < x_hi; ++ox) row[ox * g.sw] += in[ox];
        }
      }
    }
  }
}

// Sum of one row in a fixed order: 16 interleaved partial sums, then the lanes in
// order, then the tail. The same on every ISA (no contraction, fixed association).
OM_CLONES float row_sum(const float* __restrict row, int64_t cols) {
  constexpr int kLanes = 16;
  float lane[kLanes] = {};
  int64_t p = 0;
  for (; p + kLanes <= cols; p += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] += row[p + k];
  float acc = 0.0f;
  for (int k = 0; k < kLanes; ++k) acc += lane[k];
  for (; p < cols; ++p) acc += row[p];
  return acc;
}

OM_CLONES void copy_add_bias(float* __restrict out, const float* __restrict in, float b,
                             int64_t hw) {
  for (int64_t p = 0; p < hw; ++p) out[p] = in[p] + b;
}

OM_CLONES void copy_floats(float* __restrict out, const float* __restrict in, int64_t count) {
  copy_row(out, in, count);
}

}  // namespace

void im2col_batch(float* col, const float* data, const ConvGeom& g) {
  const int64_t plane_out = g.oh * g.ow;
  const int64_t row_len = g.n * plane_out;
  const int64_t plane_in = g.h * g.w;
  const bool par = g.n * g.c > 1 && row_len * g.c * g.kh * g.kw >= kParallelMin;
  const bool unit = unit_stride(g);
  const UnitRanges r = unit ? unit_ranges(g) : UnitRanges{};
  // Each (channel, image) task writes its own block of KH*KW row segments.
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t ch = 0; ch < g.c; ++ch)
    for (int64_t img = 0; img < g.n; ++img)
      if (unit)
        im2col_plane_unit(col + ch * g.kh * g.kw * row_len + img * plane_out,
                          data + (img * g.c + ch) * plane_in, g, row_len, r);
      else
        im2col_plane(col + ch * g.kh * g.kw * row_len + img * plane_out,
                   data + (img * g.c + ch) * plane_in, g, row_len);
}

void col2im_batch(float* data, const float* col, const ConvGeom& g) {
  const int64_t plane_out = g.oh * g.ow;
  const int64_t row_len = g.n * plane_out;
  const int64_t plane_in = g.h * g.w;
  const bool par = g.n * g.c > 1 && row_len * g.c * g.kh * g.kw >= kParallelMin;
  const bool unit = unit_stride(g);
  const UnitRanges r = unit ? unit_ranges(g) : UnitRanges{};
  // Every entry that lands in plane (img, ch) comes from rows of channel ch and
  // columns of image img, so the planes are independent tasks.
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t img = 0; img < g.n; ++img) {
    for (int64_t ch = 0; ch < g.c; ++ch) {
      float* dst = data + (img * g.c + ch) * plane_in;
      zero_row(dst, plane_in);
      const float* src = col + ch * g.kh * g.kw * row_len + img * plane_out;
      if (unit)
        col2im_plane_unit(dst, src, g, row_len, r);
      else
        col2im_plane(dst, src, g, row_len);
    }
  }
}

void nchw_to_cnhw(float* dst, const float* src, int64_t n, int64_t c, int64_t hw) {
  const bool par = n * c > 1 && n * c * hw >= kParallelMin;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t img = 0; img < n; ++img)
    for (int64_t ch = 0; ch < c; ++ch)
      copy_floats(dst + (ch * n + img) * hw, src + (img * c + ch) * hw, hw);
}

void cnhw_to_nchw(float* dst, const float* src, const float* bias, int64_t n, int64_t c,
                  int64_t hw) {
  const bool par = n * c > 1 && n * c * hw >= kParallelMin;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t img = 0; img < n; ++img) {
    for (int64_t ch = 0; ch < c; ++ch) {
      float* out = dst + (img * c + ch) * hw;
      const float* in = src + (ch * n + img) * hw;
      if (bias == nullptr) {
        copy_floats(out, in, hw);
      } else {
        copy_add_bias(out, in, bias[ch], hw);
      }
    }
  }
}

void row_sums_acc(float* sums, const float* m, int64_t rows, int64_t cols) {
  const bool par = rows > 1 && rows * cols >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t r = 0; r < rows; ++r) sums[r] += row_sum(m + r * cols, cols);
}

}  // namespace om
