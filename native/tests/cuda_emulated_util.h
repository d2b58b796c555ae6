// cuda_emulated_util.h: what the emulated CUDA kernel tests share. The .cu files are
// compiled into the test by including them after cuda_emulation.h; run() launches a
// kernel with small blocks and at most a few blocks, so that every grid-stride loop
// wraps; each test's body runs under all three thread orders of the emulator (in order,
// reversed, scrambled), so a kernel whose result depends on the order fails.
#pragma once

#include "../cuda/emulate/cuda_emulation.h"
#include "test_util.h"

#include <array>
#include <vector>

template <class... P, class... A>
void run(void (*kernel)(P...), int64_t n, A... args) {
  const unsigned block = 32;
  const int64_t want = n <= 0 ? 1 : (n + block - 1) / block;
  launch(kernel, dim3(static_cast<unsigned>(std::min<int64_t>(want, 5))), dim3(block), args...);
}

// The same kernel under a large launch as well (one thread per element, no wrapping).
template <class... P, class... A>
void run_wide(void (*kernel)(P...), int64_t n, A... args) {
  const unsigned block = 64;
  const int64_t want = n <= 0 ? 1 : (n + block - 1) / block;
  launch(kernel, dim3(static_cast<unsigned>(want)), dim3(block), args...);
}

// Runs body() under every emulator thread order.
template <class F>
void each_order(F&& body) {
  for (int order = 0; order < 3; ++order) {
    emu_order = order;
    body();
  }
  emu_order = 2;
}

inline std::vector<float> ints(Rng& r, size_t n, int lo, int hi) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(static_cast<int>(r.uniform(static_cast<float>(lo), static_cast<float>(hi) + 0.999f)));
  return v;
}

// Sums the dot/asum partials the way CudaDevice does: slots on the device, then the
// folded doubles on the host in order.
inline double finish_on_host(const std::vector<double>& partial, int64_t n, int64_t fold) {
  std::vector<double> out(static_cast<size_t>(fold));
  double total = 0.0;
  for (int64_t s = 0; s < fold; ++s) {
    double acc = 0.0;
    for (int64_t j = s; j < n; j += fold) acc += partial[static_cast<size_t>(j)];
    total += acc;
  }
  return total;
}
