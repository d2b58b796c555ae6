// random.cu: counter-based random fills (uniform, gaussian, Bernoulli mask). The value
// at index i is a function of (seed, i) only. The generator is the CPU library's
// (native/src/random.cpp): splitmix64 of the seed gives a key, two rounds of a 32-bit
// multiply-xorshift mixer hash the index, Box-Muller with the same polynomial log and
// sin/cos; with FMA contraction off the arithmetic is the same IEEE float steps, so the
// streams are designed to equal the CPU's (the tests only rely on them being equal to
// within float rounding, and on the distributions).
#include "common.cuh"

__device__ __forceinline__ u64 om_splitmix64(u64 x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ __forceinline__ u32 om_mix32(u32 x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

__device__ __forceinline__ u32 om_hash(u32 i, u64 seed) {
  const u64 h = om_splitmix64(seed);
  const u32 k0 = (u32)h, k1 = (u32)(h >> 32);
  return om_mix32(om_mix32(i * 0x9E3779B9u + k0) ^ k1);
}

// [0, 1) with 24 random bits.
__device__ __forceinline__ float om_uniform01(u32 h) { return (float)(int)(h >> 8) * (1.0f / 16777216.0f); }

// ln(x) for normal positive x: range reduction to [sqrt(1/2), sqrt(2)) and an atanh series.
__device__ __forceinline__ float om_log_pos(float x) {
  const int bits = __float_as_int(x);
  int e = ((bits >> 23) & 0xff) - 127;
  int mbits = (bits & 0x007fffff) | 0x3f800000;
  const bool big = mbits > 0x3fb504f3;
  mbits = big ? mbits - 0x00800000 : mbits;
  e = big ? e + 1 : e;
  const float m = __int_as_float(mbits);
  const float t = (m - 1.0f) / (m + 1.0f);
  const float t2 = t * t;
  const float series =
      1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7 + t2 * (1.0f / 9 + t2 * (1.0f / 11)))));
  return (float)e * 0.693147180559945f + 2.0f * t * series;
}

// cos and sin of 2*pi*u for u in [0, 1).
__device__ __forceinline__ void om_sincos_turn(float u, float* c, float* s) {
  const float v = u * 4.0f + 0.5f;
  const int q = (int)v;
  const float a = (v - (float)q - 0.5f) * 1.5707963267948966f;
  const float a2 = a * a;
  const float sa = a * (1.0f + a2 * (-1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880)))));
  const float ca = 1.0f + a2 * (-0.5f + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320))));
  const int r = q & 3;
  *c = r == 0 ? ca : r == 1 ? -sa : r == 2 ? -ca : sa;
  *s = r == 0 ? sa : r == 1 ? ca : r == 2 ? -sa : -ca;
}

extern "C" __global__ void omk_rng_uniform(float* y, i64 count, float lo, float hi, u64 seed) {
  const float span = hi - lo;
  OM_LOOP(i, count) y[i] = lo + span * om_uniform01(om_hash((u32)i, seed));
}

// One thread per pair (2j, 2j+1); an odd count's last value is the cosine half of its pair.
extern "C" __global__ void omk_rng_gaussian(float* y, i64 count, float mean, float stddev, u64 seed) {
  OM_LOOP(j, (count + 1) / 2) {
    const u32 i0 = (u32)(2 * j);
    const float u0 = 1.0f - om_uniform01(om_hash(i0, seed));
    const float u1 = om_uniform01(om_hash(i0 + 1, seed));
    float c, s;
    om_sincos_turn(u1, &c, &s);
    if (2 * j + 1 < count) {
      const float r = stddev * sqrtf(-2.0f * om_log_pos(u0));
      y[2 * j] = mean + r * c;
      y[2 * j + 1] = mean + r * s;
    } else {
      y[2 * j] = mean + stddev * sqrtf(-2.0f * om_log_pos(u0)) * c;
    }
  }
}

extern "C" __global__ void omk_rng_bernoulli(float* y, i64 count, float p, float value, u64 seed) {
  OM_LOOP(i, count) y[i] = om_uniform01(om_hash((u32)i, seed)) < p ? value : 0.0f;
}
