// tensor.cpp: kernels and exports of omnivore_tensor.h: strided block copies for
// Concat/Slice, the per-channel broadcast y = x*scale[c] + bias[c] and the per-channel
// reduction sum x*y over an (outer, channels, inner) view (Bias, Scale, BatchNorm), and
// Caffe's top-k ArgMax. Large loops split over OpenMP threads by block or by channel,
// so every output element is written by one thread and results are deterministic.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "internal.h"

using namespace om;

namespace {

void copy_blocks(float* dst, int64_t dst_stride, const float* src, int64_t src_stride,
                 int64_t blocks, int64_t block_len) {
  const bool par = blocks > 1 && blocks * block_len >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t b = 0; b < blocks; ++b)
    std::memcpy(dst + b * dst_stride, src + b * src_stride,
                static_cast<size_t>(block_len) * sizeof(float));
}

void channel_affine(float* y, const float* x, const float* scale, const float* bias,
                    int64_t outer, int64_t channels, int64_t inner) {
  const int64_t rows = outer * channels;
  const bool par = rows > 1 && rows * inner >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const float s = scale ? scale[c] : 1.0f, b = bias ? bias[c] : 0.0f;
    const float* xr = x + r * inner;
    float* yr = y + r * inner;
    if (bias == nullptr) {
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * s;
    } else if (scale == nullptr) {
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] + b;
    } else {
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * s + b;
    }
  }
}

void channel_sums(float* sums, const float* x, const float* y, int64_t outer, int64_t channels,
                  int64_t inner, float alpha, float beta) {
  const bool par = channels > 1 && outer * channels * inner >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t c = 0; c < channels; ++c) {
    double acc = 0.0;
    for (int64_t o = 0; o < outer; ++o) {
      const float* xr = x + (o * channels + c) * inner;
      if (y == nullptr) {
#pragma omp simd reduction(+ : acc)
        for (int64_t i = 0; i < inner; ++i) acc += xr[i];
      } else {
        const float* yr = y + (o * channels + c) * inner;
#pragma omp simd reduction(+ : acc)
        for (int64_t i = 0; i < inner; ++i)
          acc += static_cast<double>(xr[i]) * static_cast<double>(yr[i]);
      }
    }
    const float s = static_cast<float>(static_cast<double>(alpha) * acc);
    sums[c] = beta == 0.0f ? s : s + beta * sums[c];
  }
}

// std::greater on (value, index) pairs as Caffe, made a strict weak order with NaN
// above every number (Caffe leaves NaN undefined).
bool before(const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) {
  const bool an = std::isnan(a.first), bn = std::isnan(b.first);
  if (an != bn) return an;
  if (!an && a.first != b.first) return a.first > b.first;
  return a.second > b.second;
}

void argmax_fwd(float* top, const float* bottom, int64_t outer, int64_t dim, int64_t inner,
                int64_t top_k, int32_t mode) {
  std::vector<std::pair<float, int64_t>> v(static_cast<size_t>(dim));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t j = 0; j < dim; ++j) v[j] = {bottom[(o * dim + j) * inner + i], j};
      std::partial_sort(v.begin(), v.begin() + top_k, v.end(), before);
      for (int64_t j = 0; j < top_k; ++j) {
        const float index = static_cast<float>(v[j].second);
        if (mode == 2) {
          top[2 * o * top_k + j] = index;
          top[2 * o * top_k + top_k + j] = v[j].first;
        } else {
          top[(o * top_k + j) * inner + i] = mode == 1 ? v[j].first : index;
        }
      }
    }
}

// Whether the float spans [a, a + an) and [b, b + bn) share memory.
bool spans_overlap(const float* a, int64_t an, const float* b, int64_t bn) {
  if (an == 0 || bn == 0) return false;
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + static_cast<uintptr_t>(bn) * sizeof(float) &&
         pb < pa + static_cast<uintptr_t>(an) * sizeof(float);
}

// Elements spanned by `blocks` blocks of `len` at `stride`.
int64_t span(int64_t stride, int64_t blocks, int64_t len) {
  if (blocks == 0 || len == 0) return 0;
  return checked_mul(blocks - 1, stride) + len;
}

void check_shape(int64_t outer, int64_t channels, int64_t inner) {
  check_nonneg("outer", outer);
  check_nonneg("channels", channels);
  check_nonneg("inner", inner);
}

}  // namespace

extern "C" {

OM_API int32_t om_copy_blocks(float* dst, int64_t dst_stride, const float* src,
                              int64_t src_stride, int64_t blocks, int64_t block_len) {
  return guard("om_copy_blocks", [&] {
    check_nonneg("dst_stride", dst_stride);
    check_nonneg("src_stride", src_stride);
    check_nonneg("blocks", blocks);
    check_nonneg("block_len", block_len);
    if (blocks > 1 && block_len > 0 && dst_stride < block_len)
      invalid("dst_stride (%lld) must be >= block_len (%lld)", static_cast<long long>(dst_stride),
              static_cast<long long>(block_len));
    const int64_t dn = span(dst_stride, blocks, block_len), sn = span(src_stride, blocks, block_len);
    check_ptr("dst", dst, dn);
    check_ptr("src", src, sn);
    if (spans_overlap(dst, dn, src, sn)) invalid("dst and src must not overlap");
    if (dn > 0) copy_blocks(dst, dst_stride, src, src_stride, blocks, block_len);
  });
}

OM_API int32_t om_channel_affine(float* y, const float* x, const float* scale, const float* bias,
                                 int64_t outer, int64_t channels, int64_t inner) {
  return guard("om_channel_affine", [&] {
    check_shape(outer, channels, inner);
    const int64_t count = checked_mul(outer, channels, inner);
    check_ptr("y", y, count);
    check_ptr("x", x, count);
    if (y != x && spans_overlap(y, count, x, count)) invalid("y must be x or not overlap it");
    channel_affine(y, x, scale, bias, outer, channels, inner);
  });
}

OM_API int32_t om_channel_sums(float* sums, const float* x, const float* y, int64_t outer,
                               int64_t channels, int64_t inner, float alpha, float beta) {
  return guard("om_channel_sums", [&] {
    check_shape(outer, channels, inner);
    const int64_t count = checked_mul(outer, channels, inner);
    check_ptr("sums", sums, channels);
    check_ptr("x", x, count);
    if (spans_overlap(sums, channels, x, count)) invalid("sums must not overlap x");
    if (y != nullptr && spans_overlap(sums, channels, y, count)) invalid("sums must not overlap y");
    channel_sums(sums, x, y, outer, channels, inner, alpha, beta);
  });
}

OM_API int32_t om_argmax_fwd(float* top, const float* bottom, int64_t outer, int64_t dim,
                             int64_t inner, int64_t top_k, int32_t mode) {
  return guard("om_argmax_fwd", [&] {
    check_nonneg("outer", outer);
    check_positive("dim", dim);
    check_nonneg("inner", inner);
    check_positive("top_k", top_k);
    if (top_k > dim)
      invalid("top_k (%lld) must be <= dim (%lld)", static_cast<long long>(top_k),
              static_cast<long long>(dim));
    if (mode < 0 || mode > 2) invalid("mode must be 0, 1 or 2 (got %d)", mode);
    if (mode == 2 && inner != 1) invalid("mode 2 needs inner == 1 (got %lld)", static_cast<long long>(inner));
    const int64_t in = checked_mul(outer, dim, inner);
    const int64_t out = checked_mul(outer, top_k, inner, mode == 2 ? 2 : 1);
    check_ptr("top", top, out);
    check_ptr("bottom", bottom, in);
    if (spans_overlap(top, out, bottom, in)) invalid("top must not overlap bottom");
    argmax_fwd(top, bottom, outer, dim, inner, top_k, mode);
  });
}

}  // extern "C"
