// peak.cpp: the machine peak probe (declared in omnivore_peak.h).
//
// - FMA loop: independent vector accumulators updated with acc = acc * one + one, kept
//   in registers, one variant per instruction set (AVX-512F, AVX2+FMA, SSE with separate
//   multiply and add), each compiled with a target attribute because the library is
//   built without -march, and chosen at run time with __builtin_cpu_supports. Twelve
//   accumulators cover the FMA latency (4 cycles) times the two FMA ports of current
//   cores. `one` is read through a volatile so the compiler cannot fold the multiply, and
//   each accumulator starts from its own value (its index): started equal, GCC merged
//   the twelve into one latency-bound FMA per iteration, and the probe counted twelve
//   (it reported 310 GFLOP/s per core on a core that does 64 FLOP per cycle).
// - sgemm: median wall time of a few library sgemms on freshly filled matrices.
#include <algorithm>
#include <chrono>
#include <vector>

#include <immintrin.h>
#include <omp.h>

#include "internal.h"

namespace {

constexpr int kAccs = 12;

#define OM_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// Sum over accumulators and lanes of the multiply-adds each counted, in double (each
// lane holds its start, the accumulator's index, plus an exact count: below 2^24).
template <int Lanes>
double lane_sum(const float (&lanes)[kAccs][Lanes]) {
  double s = 0.0;
  for (int a = 0; a < kAccs; ++a)
    for (int l = 0; l < Lanes; ++l) s += static_cast<double>(lanes[a][l]) - a;
  return s;
}

__attribute__((target("avx512f"))) double fma_avx512(int64_t iters) {
  volatile float one_v = 1.0f;
  const __m512 one = _mm512_set1_ps(one_v);
#define DECL(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
  OM_REPEAT12(DECL)
#undef DECL
  for (int64_t r = 0; r < iters; ++r) {
#define STEP(i) c##i = _mm512_fmadd_ps(c##i, one, one);
    OM_REPEAT12(STEP)
#undef STEP
  }
  float lanes[kAccs][16];
#define STORE(i) _mm512_storeu_ps(lanes[i], c##i);
  OM_REPEAT12(STORE)
#undef STORE
  return lane_sum(lanes);
}

__attribute__((target("avx2,fma"))) double fma_avx2(int64_t iters) {
  volatile float one_v = 1.0f;
  const __m256 one = _mm256_set1_ps(one_v);
#define DECL(i) __m256 c##i = _mm256_set1_ps(static_cast<float>(i));
  OM_REPEAT12(DECL)
#undef DECL
  for (int64_t r = 0; r < iters; ++r) {
#define STEP(i) c##i = _mm256_fmadd_ps(c##i, one, one);
    OM_REPEAT12(STEP)
#undef STEP
  }
  float lanes[kAccs][8];
#define STORE(i) _mm256_storeu_ps(lanes[i], c##i);
  OM_REPEAT12(STORE)
#undef STORE
  return lane_sum(lanes);
}

double fma_sse(int64_t iters) {
  volatile float one_v = 1.0f;
  const __m128 one = _mm_set1_ps(one_v);
#define DECL(i) __m128 c##i = _mm_set1_ps(static_cast<float>(i));
  OM_REPEAT12(DECL)
#undef DECL
  for (int64_t r = 0; r < iters; ++r) {
#define STEP(i) c##i = _mm_add_ps(_mm_mul_ps(c##i, one), one);
    OM_REPEAT12(STEP)
#undef STEP
  }
  float lanes[kAccs][4];
#define STORE(i) _mm_storeu_ps(lanes[i], c##i);
  OM_REPEAT12(STORE)
#undef STORE
  return lane_sum(lanes);
}

#undef OM_REPEAT12

bool isa_supported(int32_t isa) {
  __builtin_cpu_init();
  switch (isa) {
    case OM_ISA_SSE: return true;  // SSE2 is part of x86-64
    case OM_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case OM_ISA_AVX512: return __builtin_cpu_supports("avx512f");
    default: return false;
  }
}

int32_t best_isa() {
  if (isa_supported(OM_ISA_AVX512)) return OM_ISA_AVX512;
  if (isa_supported(OM_ISA_AVX2)) return OM_ISA_AVX2;
  return OM_ISA_SSE;
}

int lanes_of(int32_t isa) { return isa == OM_ISA_AVX512 ? 16 : isa == OM_ISA_AVX2 ? 8 : 4; }

double run_fma(int32_t isa, int64_t iters) {
  switch (isa) {
    case OM_ISA_AVX512: return fma_avx512(iters);
    case OM_ISA_AVX2: return fma_avx2(iters);
    default: return fma_sse(iters);
  }
}

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// Restores the library's thread setting when a measurement ends (also on exceptions).
struct ThreadsRestore {
  int saved = om::threads();
  ~ThreadsRestore() { om::set_threads(saved); }
};

}  // namespace

extern "C" {

OM_API int32_t om_peak_best_isa(void) { return best_isa(); }

OM_API int32_t om_peak_fma(int32_t isa, int32_t threads, int64_t iters, double* flops,
                           double* seconds, double* checksum, int32_t* isa_used) {
  return om::guard("om_peak_fma", [&] {
    if (isa < OM_ISA_BEST || isa > OM_ISA_AVX512) om::invalid("isa must be 0..3 (got %d)", isa);
    om::check_positive("threads", threads);
    om::check_nonneg("iters", iters);
    om::check_ptr("flops", flops, 1);
    om::check_ptr("seconds", seconds, 1);
    om::check_ptr("checksum", checksum, 1);
    const int32_t use = isa == OM_ISA_BEST ? best_isa() : isa;
    if (!isa_supported(use)) om::invalid("this CPU does not support instruction set %d", use);
    double total = 0.0;
    int team = 0;
    const double start = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
#pragma omp single
      team = omp_get_num_threads();
      total += run_fma(use, iters);
    }
    *seconds = now_seconds() - start;
    *flops = 2.0 * static_cast<double>(team) * kAccs * lanes_of(use) * static_cast<double>(iters);
    *checksum = total;
    if (isa_used != nullptr) *isa_used = use;
  });
}

OM_API int32_t om_peak_sgemm(int32_t threads, int32_t m, int32_t n, int32_t k, int32_t reps,
                             double* median_seconds, double* flops) {
  return om::guard("om_peak_sgemm", [&] {
    om::check_positive("threads", threads);
    om::check_positive("m", m);
    om::check_positive("n", n);
    om::check_positive("k", k);
    om::check_positive("reps", reps);
    om::check_ptr("median_seconds", median_seconds, 1);
    om::check_ptr("flops", flops, 1);
    std::vector<float> a(static_cast<size_t>(om::checked_mul(m, k)));
    std::vector<float> b(static_cast<size_t>(om::checked_mul(k, n)));
    std::vector<float> c(static_cast<size_t>(om::checked_mul(m, n)), 0.0f);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7) * 0.125f - 0.375f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 5) * 0.25f - 0.5f;
    ThreadsRestore restore;
    om::set_threads(threads);
    auto once = [&] { om::sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n); };
    once();  // warm-up: thread pool start, page faults
    std::vector<double> times;
    for (int32_t r = 0; r < reps; ++r) {
      const double t0 = now_seconds();
      once();
      times.push_back(now_seconds() - t0);
    }
    std::sort(times.begin(), times.end());
    const size_t mid = times.size() / 2;
    *median_seconds = times.size() % 2 == 1 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
    *flops = 2.0 * m * static_cast<double>(n) * k;
  });
}

}  // extern "C"
