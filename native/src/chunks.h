// chunks.h: work handed out in chunks to the threads of an OpenMP team as they come free,
// for loops whose iterations are independent (each output written by one thread, in an
// order that does not depend on which thread or on where a chunk starts), so that the
// results do not depend on the scheduling.
//
// Why not an even split: the cores of a shared machine seldom run at one speed for long
// (other tenants, frequency), and with an even split the faster waits for the slower at
// the end of every loop (8-9% of CaffeNet's convolution time on the 2-core machine here).
// Guided chunks: a quarter of what is left (with two threads), at least `least` units, so
// the first chunks are long (cache reuse, few starts) and the last short (even ends).
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "internal.h"

namespace om {

// Sums across the batch (weight gradients) split into fixed chunks, each summed into its own
// copy by whichever thread is free and the copies added in a fixed order, so that the
// result does not depend on the scheduling or on P up to kGradChunks partitions: at least
// kGradChunks chunks (so up to that many threads have work), when all the copies take at
// most kGradChunkFloats. The convolution engines use it for small weight gradients.
constexpr int64_t kGradChunks = 64;
constexpr int64_t kGradChunkFloats = int64_t{1} << 22;

// Chunks for P partitions: kGradChunks, or P where there are more.
inline int64_t grad_chunks(int64_t partitions) { return std::max(kGradChunks, partitions); }

// The private copies of a weight gradient (wcount floats, then the bias's cout) added up
// in a fixed order, copy 0 first, and into the caller's: weight_diff[i] += sum of copy(c)[i]
// (bias_diff likewise, when not null). copy(c): where copy c starts.
template <class Copy>
void add_copies(float* weight_diff, float* bias_diff, int64_t wcount, int64_t cout, int64_t copies, Copy&& copy) {
  const int64_t total = wcount + cout;
#pragma omp parallel for schedule(static) num_threads(threads()) if (total >= kParallelMin)
  for (int64_t i = 0; i < total; ++i) {
    float acc = 0.0f;
    for (int64_t c = 0; c < copies; ++c) acc += copy(c)[i];
    if (i < wcount) {
      weight_diff[i] += acc;
    } else if (bias_diff != nullptr) {
      bias_diff[i - wcount] += acc;
    }
  }
}

// Called by every thread of a parallel region: body(thread, lo, hi) for units [lo, hi)
// of [0, units), chunk by chunk, until none is left. next starts at 0, shared by the team.
template <class Body>
void take_chunks(std::atomic<int64_t>& next, int64_t units, int64_t least, Body&& body) {
  const int64_t team = omp_get_num_threads(), thread = omp_get_thread_num();
  for (;;) {
    int64_t lo = next.load(std::memory_order_relaxed), take = 0;
    do {
      const int64_t left = units - lo;
      if (left <= 0) return;
      take = std::min(left, std::max(least, left / (2 * team)));
    } while (!next.compare_exchange_weak(lo, lo + take, std::memory_order_relaxed));
    body(thread, lo, lo + take);
  }
}

// The same in a parallel region of its own, on `team` threads (the caller's alone if 1).
template <class Body>
void for_chunks(int team, int64_t units, int64_t least, Body&& body) {
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(team) if (team > 1)
  take_chunks(next, units, least, body);
}

}  // namespace om
