// softmax.cpp: softmax over the channel axis of an (outer, channels, inner) tensor,
// forward and backward. Work is split into (outer index, block of inner positions)
// tasks; within a task the channel loop runs over contiguous inner positions so the
// compiler can vectorise it. top may alias bottom, bottom_diff may alias top_diff.
#include <algorithm>
#include <cmath>

#include "internal.h"

namespace om {
namespace {
constexpr int64_t kBlock = 128;  // inner positions per task
}  // namespace

void softmax_fwd(float* top, const float* bottom, int64_t outer, int64_t channels,
                 int64_t inner) {
  if (channels == 0 || inner == 0) return;
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  const int64_t tasks = outer * blocks;
  const bool par = tasks > 1 && outer * channels * inner >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t o = t / blocks;
    const int64_t begin = (t % blocks) * kBlock;
    const int64_t len = std::min(kBlock, inner - begin);
    const float* x = bottom + o * channels * inner + begin;
    float* y = top + o * channels * inner + begin;
    float mx[kBlock];
    float sum[kBlock];
    for (int64_t i = 0; i < len; ++i) {
      mx[i] = x[i];
      sum[i] = 0.0f;
    }
    for (int64_t ch = 1; ch < channels; ++ch)
      for (int64_t i = 0; i < len; ++i) mx[i] = std::max(mx[i], x[ch * inner + i]);
    for (int64_t ch = 0; ch < channels; ++ch) {
      for (int64_t i = 0; i < len; ++i) {
        const float e = std::exp(x[ch * inner + i] - mx[i]);
        y[ch * inner + i] = e;
        sum[i] += e;
      }
    }
    for (int64_t ch = 0; ch < channels; ++ch)
      for (int64_t i = 0; i < len; ++i) y[ch * inner + i] /= sum[i];
  }
}

void softmax_bwd(float* bottom_diff, const float* top_diff, const float* top, int64_t outer,
                 int64_t channels, int64_t inner) {
  if (channels == 0 || inner == 0) return;
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  const int64_t tasks = outer * blocks;
  const bool par = tasks > 1 && outer * channels * inner >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t o = t / blocks;
    const int64_t begin = (t % blocks) * kBlock;
    const int64_t len = std::min(kBlock, inner - begin);
    const int64_t base = o * channels * inner + begin;
    const float* dy = top_diff + base;
    const float* y = top + base;
    float* dx = bottom_diff + base;
    float dot[kBlock];
    for (int64_t i = 0; i < len; ++i) dot[i] = 0.0f;
    for (int64_t ch = 0; ch < channels; ++ch)
      for (int64_t i = 0; i < len; ++i) dot[i] += dy[ch * inner + i] * y[ch * inner + i];
    for (int64_t ch = 0; ch < channels; ++ch)
      for (int64_t i = 0; i < len; ++i)
        dx[ch * inner + i] = (dy[ch * inner + i] - dot[i]) * y[ch * inner + i];
  }
}

}  // namespace om
