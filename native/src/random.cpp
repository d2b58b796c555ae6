// random.cpp: counter-based random fills (uniform, gaussian, Bernoulli mask) and their
// exports (declared in omnivore_random.h). The value at index i is hash(i; seed): two
// rounds of a 32-bit multiply-xorshift mixer keyed by the seed, so the loops have no
// carried state, vectorise, and split across threads without changing the result.
// Gaussians use Box-Muller with a vectorisable log (range reduction to [sqrt(1/2),
// sqrt(2)) and an atanh series) and sin/cos (octant reduction and Taylor polynomials),
// accurate to a few float ulps, which is far below the sampling noise.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "internal.h"

namespace om {
namespace {

struct Key {
  uint32_t k0, k1;
};

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline Key make_key(uint64_t seed) {
  const uint64_t h = splitmix64(seed);
  return {static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
}

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

inline uint32_t hash(uint32_t i, Key k) { return mix32(mix32(i * 0x9E3779B9u + k.k0) ^ k.k1); }

constexpr float kTwoM24 = 1.0f / 16777216.0f;

// [0, 1) with 24 random bits.
inline float uniform01(uint32_t h) { return static_cast<float>(static_cast<int32_t>(h >> 8)) * kTwoM24; }

// ln(x) for normal positive x.
inline float log_pos(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  int32_t mbits = (bits & 0x007fffff) | 0x3f800000;  // m in [1, 2)
  const bool big = mbits > 0x3fb504f3;                // m > sqrt(2): use m/2, e+1
  mbits = big ? mbits - 0x00800000 : mbits;
  e = big ? e + 1 : e;
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  const float t = (m - 1.0f) / (m + 1.0f);  // |t| <= 0.1716
  const float t2 = t * t;
  const float series =
      1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7 + t2 * (1.0f / 9 + t2 * (1.0f / 11)))));
  return static_cast<float>(e) * 0.693147180559945f + 2.0f * t * series;
}

// cos and sin of 2*pi*u for u in [0, 1).
inline void sincos_turn(float u, float& c, float& s) {
  const float v = u * 4.0f + 0.5f;              // quarter turns, shifted by half a quarter
  const int32_t q = static_cast<int32_t>(v);    // v >= 0.5: truncation is floor
  const float a = (v - static_cast<float>(q) - 0.5f) * 1.5707963267948966f;  // [-pi/4, pi/4)
  const float a2 = a * a;
  const float sa = a * (1.0f + a2 * (-1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880)))));
  const float ca = 1.0f + a2 * (-0.5f + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320))));
  const int32_t r = q & 3;  // rotate by r quarter turns
  const float c1 = r == 0 ? ca : r == 1 ? -sa : r == 2 ? -ca : sa;
  const float s1 = r == 0 ? sa : r == 1 ? ca : r == 2 ? -sa : -ca;
  c = c1;
  s = s1;
}

// Each fill runs in blocks of kBlock values; the block kernels are compiled for AVX-512,
// AVX2 and the baseline ISA and picked at load time (the arithmetic is the same IEEE float
// operations either way, without contraction, so the values do not depend on the ISA).
constexpr int64_t kBlock = 8192;

OM_CLONES_512 void uniform_block(float* __restrict y, int64_t begin, int64_t end, float lo,
                             float span, Key k) {
  for (int64_t i = begin; i < end; ++i)
    y[i] = lo + span * uniform01(hash(static_cast<uint32_t>(i), k));
}

// Pairs [begin, end): values 2j and 2j+1.
OM_CLONES_512 void gaussian_block(float* __restrict y, int64_t begin, int64_t end, float mean,
                              float stddev, Key k) {
  for (int64_t j = begin; j < end; ++j) {
    const uint32_t i0 = static_cast<uint32_t>(2 * j);
    // 1 - u in (0, 1] keeps the log finite.
    const float u0 = 1.0f - uniform01(hash(i0, k));
    const float u1 = uniform01(hash(i0 + 1, k));
    const float r = stddev * std::sqrt(-2.0f * log_pos(u0));
    float c, s;
    sincos_turn(u1, c, s);
    y[2 * j] = mean + r * c;
    y[2 * j + 1] = mean + r * s;
  }
}

OM_CLONES_512 void bernoulli_block(float* __restrict y, int64_t begin, int64_t end, float p,
                               float value, Key k) {
  for (int64_t i = begin; i < end; ++i)
    y[i] = uniform01(hash(static_cast<uint32_t>(i), k)) < p ? value : 0.0f;
}

template <class F>
void blocks(int64_t count, F&& f) {
  const int64_t nblocks = (count + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) num_threads(threads()) if (nblocks > 1 && count >= kParallelMin)
  for (int64_t b = 0; b < nblocks; ++b) f(b * kBlock, std::min(count, (b + 1) * kBlock));
}

void rng_uniform(float* y, int64_t count, float lo, float hi, uint64_t seed) {
  const Key k = make_key(seed);
  blocks(count, [&](int64_t b, int64_t e) { uniform_block(y, b, e, lo, hi - lo, k); });
}

void rng_gaussian(float* y, int64_t count, float mean, float stddev, uint64_t seed) {
  const Key k = make_key(seed);
  blocks(count / 2, [&](int64_t b, int64_t e) { gaussian_block(y, b, e, mean, stddev, k); });
  if (count % 2 != 0) {
    const uint32_t i0 = static_cast<uint32_t>(count - 1);
    const float u0 = 1.0f - uniform01(hash(i0, k));
    const float u1 = uniform01(hash(i0 + 1, k));
    float c, s;
    sincos_turn(u1, c, s);
    y[count - 1] = mean + stddev * std::sqrt(-2.0f * log_pos(u0)) * c;
  }
}

void rng_bernoulli(float* y, int64_t count, float p, float value, uint64_t seed) {
  const Key k = make_key(seed);
  blocks(count, [&](int64_t b, int64_t e) { bernoulli_block(y, b, e, p, value, k); });
}

// Indices are hashed as 32-bit counters.
void check_count(int64_t count) {
  check_nonneg("count", count);
  if (count > (int64_t{1} << 32)) invalid("count must be <= 2^32 (got %lld)", static_cast<long long>(count));
}

}  // namespace
}  // namespace om

using namespace om;

extern "C" {

OM_API int32_t om_rng_uniform(float* y, int64_t count, float lo, float hi, uint64_t seed) {
  return guard("om_rng_uniform", [&] {
    check_count(count);
    check_ptr("y", y, count);
    if (!(lo <= hi)) invalid("lo must be <= hi (got %g, %g)", lo, hi);
    rng_uniform(y, count, lo, hi, seed);
  });
}

OM_API int32_t om_rng_gaussian(float* y, int64_t count, float mean, float std, uint64_t seed) {
  return guard("om_rng_gaussian", [&] {
    check_count(count);
    check_ptr("y", y, count);
    if (!(std >= 0.0f)) invalid("std must be >= 0 (got %g)", std);
    rng_gaussian(y, count, mean, std, seed);
  });
}

OM_API int32_t om_rng_bernoulli(float* y, int64_t count, float p, float value, uint64_t seed) {
  return guard("om_rng_bernoulli", [&] {
    check_count(count);
    check_ptr("y", y, count);
    if (!(p >= 0.0f && p <= 1.0f)) invalid("p must be in [0, 1] (got %g)", p);
    rng_bernoulli(y, count, p, value, seed);
  });
}

}  // extern "C"
