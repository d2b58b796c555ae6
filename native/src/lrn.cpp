// lrn.cpp: local response normalisation across channels (Caffe's ACROSS_CHANNELS) on
// (N, C, H, W), forward and backward.
//
// With pre = (size-1)/2 (size is odd) the window of channel c is
// W(c) = [c - pre, c + pre] clipped to [0, C):
//   scale_c = k + alpha/size * sum_{c' in W(c)} x_{c'}^2,   top_c = x_c * scale_c^-beta.
// Differentiating, and using that j is in W(c) exactly when c is in W(j):
//   dL/dx_j = dy_j * scale_j^-beta
//             - (2*alpha*beta/size) * x_j * sum_{c in W(j)} dy_c * top_c / scale_c.
// Tasks are (image, block of pixels); within a task the channel loops run over
// contiguous pixels, and scale^-beta has fast vectorisable forms for beta 0.75, 0.5
// and 1. Forward may run in place (top == bottom); backward may write
// bottom_diff over top_diff or bottom.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "internal.h"

namespace om {
namespace {
constexpr int64_t kBlock = 256;  // pixels per task

// s^-beta. The exponents nets use (0.75 above all) get exact-to-a-few-ulp forms built
// from sqrt and division, which vectorise; any other beta calls std::pow.
enum class Beta { kAny, k075, k05, k1 };

template <Beta B>
inline float pow_neg(float s, float beta) {
  if (B == Beta::k075) {
    const float r = std::sqrt(s);
    return 1.0f / (r * std::sqrt(r));
  } else if (B == Beta::k05) {
    return 1.0f / std::sqrt(s);
  } else if (B == Beta::k1) {
    return 1.0f / s;
  } else {
    return std::pow(s, -beta);
  }
}

template <class F>
void with_beta(float beta, F&& f) {
  if (beta == 0.75f)
    f(std::integral_constant<Beta, Beta::k075>{});
  else if (beta == 0.5f)
    f(std::integral_constant<Beta, Beta::k05>{});
  else if (beta == 1.0f)
    f(std::integral_constant<Beta, Beta::k1>{});
  else
    f(std::integral_constant<Beta, Beta::kAny>{});
}
}  // namespace

namespace {

// One task of the forward pass: pixels [begin, begin + len) of one image, every channel.
// Compiled for AVX-512, AVX2 and the baseline ISA (OM_CLONES_512: the same IEEE operations,
// square roots and divisions included, so the same results; on one core, CPU time, best
// of 10: CaffeNet b64 norm1 forward 11.8-12.5 ms -> 9.0-9.5, norm2 6.9-7.8 -> 4.7,
// backward 8-15% faster). A function of its own because the
// clones do not reach into an OpenMP region's outlined body.
OM_CLONES_512 void lrn_fwd_task(float* __restrict y, float* __restrict s, const float* x, const LrnGeom& g,
                                int64_t len, float alpha_over_size, int64_t pre) {
  // All scales first (they read neighbouring channels of x), then top, so that
  // top may overwrite bottom.
  float acc[kBlock];
  for (int64_t ch = 0; ch < g.c; ++ch) {
    std::fill(acc, acc + len, 0.0f);
    const int64_t lo = std::max<int64_t>(ch - pre, 0);
    const int64_t hi = std::min(ch + pre, g.c - 1);
    for (int64_t cc = lo; cc <= hi; ++cc) {
      const float* xc = x + cc * g.hw;
      for (int64_t i = 0; i < len; ++i) acc[i] += xc[i] * xc[i];
    }
    float* sc = s + ch * g.hw;
    for (int64_t i = 0; i < len; ++i) sc[i] = g.k + alpha_over_size * acc[i];
  }
  for (int64_t ch = 0; ch < g.c; ++ch) {
    const float* xc = x + ch * g.hw;
    const float* sc = s + ch * g.hw;
    float* yc = y + ch * g.hw;
    with_beta(g.beta, [&](auto b) {
      for (int64_t i = 0; i < len; ++i) yc[i] = xc[i] * pow_neg<decltype(b)::value>(sc[i], g.beta);
    });
  }
}

// One task of the backward pass (as lrn_fwd_task); ratio: c x kBlock floats of scratch.
OM_CLONES_512 void lrn_bwd_task(float* bottom_diff, const float* top_diff, const float* top, const float* scale,
                                const float* bottom, const LrnGeom& g, int64_t base, int64_t len,
                                float cache_ratio, int64_t pre, float* __restrict ratio) {
  for (int64_t ch = 0; ch < g.c; ++ch) {
    const int64_t off = base + ch * g.hw;
    for (int64_t i = 0; i < len; ++i)
      ratio[ch * kBlock + i] = top_diff[off + i] * top[off + i] / scale[off + i];
  }
  float acc[kBlock];
  for (int64_t ch = 0; ch < g.c; ++ch) {
    std::fill(acc, acc + len, 0.0f);
    const int64_t lo = std::max<int64_t>(ch - pre, 0);
    const int64_t hi = std::min(ch + pre, g.c - 1);
    for (int64_t cc = lo; cc <= hi; ++cc)
      for (int64_t i = 0; i < len; ++i) acc[i] += ratio[cc * kBlock + i];
    const int64_t off = base + ch * g.hw;
    with_beta(g.beta, [&](auto b) {
      for (int64_t i = 0; i < len; ++i) {
        const float x = bottom[off + i];
        bottom_diff[off + i] =
            top_diff[off + i] * pow_neg<decltype(b)::value>(scale[off + i], g.beta) -
            cache_ratio * x * acc[i];
      }
    });
  }
}

}  // namespace

void lrn_across_fwd(float* top, float* scale, const float* bottom, const LrnGeom& g) {
  if (g.c == 0 || g.hw == 0) return;
  const int64_t pre = (g.size - 1) / 2;
  const float alpha_over_size = g.alpha / static_cast<float>(g.size);
  const int64_t blocks = (g.hw + kBlock - 1) / kBlock;
  const int64_t tasks = g.n * blocks;
  const bool par = tasks > 1 && g.n * g.c * g.hw >= kParallelMin;
#pragma omp parallel for schedule(guided) num_threads(threads()) if (par)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t img = t / blocks;
    const int64_t begin = (t % blocks) * kBlock;
    const int64_t len = std::min(kBlock, g.hw - begin);
    const int64_t base = img * g.c * g.hw + begin;
    lrn_fwd_task(top + base, scale + base, bottom + base, g, len, alpha_over_size, pre);
  }
}

void lrn_across_bwd(float* bottom_diff, const float* top_diff, const float* top,
                    const float* scale, const float* bottom, const LrnGeom& g) {
  if (g.c == 0 || g.hw == 0) return;
  const int64_t pre = (g.size - 1) / 2;
  const float cache_ratio = 2.0f * g.alpha * g.beta / static_cast<float>(g.size);
  const int64_t blocks = (g.hw + kBlock - 1) / kBlock;
  const int64_t tasks = g.n * blocks;
  const bool par = tasks > 1 && g.n * g.c * g.hw >= kParallelMin;
  const int nthreads = par ? threads() : 1;
  // ratio_c = dy_c * top_c / scale_c for every channel of one task's pixel block;
  // allocated here because nothing may throw inside the parallel region.
  std::vector<float> ratio_buf(static_cast<size_t>(nthreads) * g.c * kBlock);
#pragma omp parallel for schedule(guided) num_threads(nthreads) if (par)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t img = t / blocks;
    const int64_t begin = (t % blocks) * kBlock;
    const int64_t len = std::min(kBlock, g.hw - begin);
    const int64_t base = img * g.c * g.hw + begin;
    float* ratio = ratio_buf.data() + static_cast<size_t>(omp_get_thread_num()) * g.c * kBlock;
    lrn_bwd_task(bottom_diff, top_diff, top, scale, bottom, g, base, len, cache_ratio, pre, ratio);
  }
}

}  // namespace om
