// lowering.cpp: the batched lowering at the heart of Omnivore's convolution.
//
// im2col_batch turns a whole batch (N, C, H, W) into one matrix col of shape
// (C*KH*KW, N*OH*OW): row (c*KH + i)*KW + j, column img*OH*OW + oy*OW + ox holds
// data[img][c][oy*SH - PH + i*DH][ox*SW - PW + j*DW], or 0 outside the image, so a
// single sgemm convolves every image. col2im_batch is its adjoint. The layout
// helpers move between (N, C, HW) and the (C, N, HW) order the GEMM produces, and
// row_sums_acc gives the bias gradient.
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

}  // namespace

void im2col_batch(float* col, const float* data, const ConvGeom& g) {
  const int64_t plane_out = g.oh * g.ow;
  const int64_t row_len = g.n * plane_out;
  const int64_t plane_in = g.h * g.w;
  const bool par = g.n * g.c > 1 && row_len * g.c * g.kh * g.kw >= kParallelMin;
  // Each (channel, image) task writes its own block of KH*KW row segments.
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t ch = 0; ch < g.c; ++ch) {
    for (int64_t img = 0; img < g.n; ++img) {
      const float* src = data + (img * g.c + ch) * plane_in;
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          float* dst = col + ((ch * g.kh + i) * g.kw + j) * row_len + img * plane_out;
          const int64_t x_off = j * g.dw - g.pw;
          int64_t x_lo, x_hi;
          valid_range(x_off, g.sw, g.w, g.ow, x_lo, x_hi);
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            float* out = dst + oy * g.ow;
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) {
              std::fill(out, out + g.ow, 0.0f);
              continue;
            }
            const float* row = src + iy * g.w;
            std::fill(out, out + x_lo, 0.0f);
            if (x_hi <= x_lo) {
              // nothing inside the image on this row
            } else if (g.sw == 1) {
              std::memcpy(out + x_lo, row + x_lo + x_off,
                          static_cast<size_t>(x_hi - x_lo) * sizeof(float));
            } else {
              for (int64_t ox = x_lo; ox < x_hi; ++ox) out[ox] = row[ox * g.sw + x_off];
            }
            std::fill(out + x_hi, out + g.ow, 0.0f);
          }
        }
      }
    }
  }
}

void col2im_batch(float* data, const float* col, const ConvGeom& g) {
  const int64_t plane_out = g.oh * g.ow;
  const int64_t row_len = g.n * plane_out;
  const int64_t plane_in = g.h * g.w;
  const bool par = g.n * g.c > 1 && row_len * g.c * g.kh * g.kw >= kParallelMin;
  // Every entry that lands in plane (img, ch) comes from rows of channel ch and
  // columns of image img, so the planes are independent tasks.
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t img = 0; img < g.n; ++img) {
    for (int64_t ch = 0; ch < g.c; ++ch) {
      float* dst = data + (img * g.c + ch) * plane_in;
      std::fill(dst, dst + plane_in, 0.0f);
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const float* src = col + ((ch * g.kh + i) * g.kw + j) * row_len + img * plane_out;
          const int64_t x_off = j * g.dw - g.pw;
          int64_t x_lo, x_hi;
          valid_range(x_off, g.sw, g.w, g.ow, x_lo, x_hi);
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            const float* in = src + oy * g.ow;
            float* row = dst + iy * g.w;
            for (int64_t ox = x_lo; ox < x_hi; ++ox) row[ox * g.sw + x_off] += in[ox];
          }
        }
      }
    }
  }
}

void nchw_to_cnhw(float* dst, const float* src, int64_t n, int64_t c, int64_t hw) {
  const bool par = n * c > 1 && n * c * hw >= kParallelMin;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads()) if (par)
  for (int64_t img = 0; img < n; ++img)
    for (int64_t ch = 0; ch < c; ++ch)
      std::memcpy(dst + (ch * n + img) * hw, src + (img * c + ch) * hw,
                  static_cast<size_t>(hw) * sizeof(float));
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
        std::memcpy(out, in, static_cast<size_t>(hw) * sizeof(float));
      } else {
        const float b = bias[ch];
        for (int64_t p = 0; p < hw; ++p) out[p] = in[p] + b;
      }
    }
  }
}

void row_sums_acc(float* sums, const float* m, int64_t rows, int64_t cols) {
  const bool par = rows > 1 && rows * cols >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = m + r * cols;
    double acc = 0.0;
    for (int64_t p = 0; p < cols; ++p) acc += row[p];
    sums[r] += static_cast<float>(acc);
  }
}

}  // namespace om
