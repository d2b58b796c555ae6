// packed_kernel.h: the packed convolution engine's register-blocked AVX-512 kernel and
// what it needs: tile sizes, lane masks, where a tile's rows go (Dst). Included only by
// the engine's sources (conv_packed.cpp, conv_packed_backward.cpp, packed_panels.cpp), compiled for AVX-512 by the
// pragma below and used only when om::packed_supported(); see conv_packed.cpp.
#pragma once

#include "internal.h"

#if OM_PACKED_ENGINE
#include <immintrin.h>

#include <cstdint>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {

constexpr int64_t MR = 12;         // rows of a kernel tile (broadcast operand)
constexpr int64_t NR = 32;         // columns of a kernel tile (two zmm vectors)
constexpr int64_t kMacro = 8;       // panels lowered (or packed) together: 256 columns
constexpr int64_t kL2Bytes = 512 << 10;  // a block of packed weights meant to stay in L2
constexpr int kMaxSegs = NR + 2;
constexpr int64_t kMaxKw = 16;  // kernel widths the stride-phase copy takes (wider: gathers)

inline int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }
inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Bits [lo, hi) of a 32-lane mask.
inline uint32_t lane_bits(int64_t lo, int64_t hi) {
  if (hi <= lo) return 0;
  const uint64_t ones = (hi - lo >= 32) ? 0xffffffffull : ((1ull << (hi - lo)) - 1);
  return static_cast<uint32_t>(ones << lo);
}

// Where a kernel tile's rows go: lane L of row i at p0 + i*ldc + L when bit L of m0 is
// set, at p1 + i*ldc + L when bit L of m1 is set (two images of the output in one panel).
struct Dst {
  float* p0;
  float* p1;
  int64_t ldc;
  uint32_t m0, m1;
};

// C tile (mr x 32, masked by dst) = [C +] A (kc x R) x B (kc x 32, packed) [+ bias], R
// rows a tile (12; gemm_small_m.cpp's A * B uses 8, a multiple of its 64 rows).
// A packed (kPanelA false): step k's R values at a[k*R .. k*R + R-1]. A as lowered
// panels (kPanelA true, the weight gradient): kc is a multiple of 32, step k reads row i
// at a[(k / 32) * a_stride + i*32 + k % 32], i.e. 12 rows of consecutive panels.
// relu: each stored x becomes x > 0 ? x : 0 * x (the ReLU layer's arithmetic, fused).
template <bool kPanelA, int R = MR>
inline void kernel_t(int64_t kc, const float* a, int64_t a_stride, const float* b, const Dst& d,
                     int64_t mr, const float* bias, bool acc, bool relu = false) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
  }
  if constexpr (kPanelA) {
    for (int64_t p = 0; p < kc; p += NR, a += a_stride) {
      for (int64_t n = 0; n < NR; n += 2) {
#pragma GCC unroll 2
        for (int u = 0; u < 2; ++u) {
          const __m512 b0 = _mm512_loadu_ps(b + u * NR);
          const __m512 b1 = _mm512_loadu_ps(b + u * NR + 16);
#pragma GCC unroll 12
          for (int i = 0; i < R; ++i) {
            const __m512 ai = _mm512_set1_ps(a[i * NR + n + u]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
          }
        }
        b += 2 * NR;
      }
    }
  } else {
  // Two steps per iteration: half the loop overhead (the loop is 24 FMAs and 14 loads a
  // step, close to the core's issue width). No software prefetch: B's block is in L1.
  // (The step is written out in each loop on purpose: as a shared lambda GCC 12 added
  // register moves to the loop, 1-3% slower on CaffeNet conv2.)
  int64_t k = 0;
  for (; k + 2 <= kc; k += 2) {
#pragma GCC unroll 2
    for (int u = 0; u < 2; ++u) {
      const __m512 b0 = _mm512_loadu_ps(b + u * NR);
      const __m512 b1 = _mm512_loadu_ps(b + u * NR + 16);
#pragma GCC unroll 12
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(a[u * R + i]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
    }
    a += 2 * R;
    b += 2 * NR;
  }
  if (k < kc) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
  }
  const __mmask16 a0 = static_cast<__mmask16>(d.m0), a1 = static_cast<__mmask16>(d.m0 >> 16);
  const __mmask16 b0 = static_cast<__mmask16>(d.m1), b1 = static_cast<__mmask16>(d.m1 >> 16);
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    if (i >= mr) break;
    float* r0 = d.p0 + i * d.ldc;
    float* r1 = d.p1 + i * d.ldc;
    __m512 v0 = c0[i], v1 = c1[i];
    if (bias != nullptr) {
      const __m512 bb = _mm512_set1_ps(bias[i]);
      v0 = _mm512_add_ps(v0, bb);
      v1 = _mm512_add_ps(v1, bb);
    }
    if (acc) {
      v0 = _mm512_add_ps(v0, _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(a0, r0), b0, r1));
      v1 = _mm512_add_ps(v1, _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(a1, r0 + 16), b1, r1 + 16));
    }
    if (relu) {
      const __m512 zero = _mm512_setzero_ps();
      v0 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v0, zero, _CMP_GT_OQ), _mm512_mul_ps(zero, v0), v0);
      v1 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v1, zero, _CMP_GT_OQ), _mm512_mul_ps(zero, v1), v1);
    }
    _mm512_mask_storeu_ps(r0, a0, v0);
    _mm512_mask_storeu_ps(r0 + 16, a1, v1);
    if (d.m1 != 0) {
      _mm512_mask_storeu_ps(r1, b0, v0);
      _mm512_mask_storeu_ps(r1 + 16, b1, v1);
    }
  }
}

inline void kernel(int64_t kc, const float* a, const float* b, const Dst& d, int64_t mr,
                   const float* bias, bool acc, bool relu = false) {
  kernel_t<false>(kc, a, 0, b, d, mr, bias, acc, relu);
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
