// gemm_small_m.cpp: C (m x n) = alpha * A (m x k) * B^T + beta * C, row-major, for a few
// (at most 64) rows of A against a wide B (n x k): an InnerProduct's forward pass on a small batch
// (CaffeNet's fc6 at batch 64: m 64, n 4096, k 9216). om::sgemm calls it first; it
// returns false for the shapes it does not take, and OpenBLAS does those.
//
// Why: OpenBLAS packs all of B (the weights, 151 MB for fc6) before multiplying, a full
// copy of a matrix the product reads once, and on these shapes ran at 82-93 GFLOP/s on one
// core here (its large products: 135). This path reads B's rows in place as the kernel's
// broadcast operand, 12 rows at a time (12 sequential streams the prefetchers follow),
// packs only A, transposed into 32-lane panels (k x 32 floats each, m/32 of them: small),
// and collects C transposed (12 columns x 32 rows a tile) in a staging buffer that is
// written out at the end. One core, fc6 at batch 64: 44-46 ms against OpenBLAS's 52-59
// (CPU time, best of 5, alternating).
//
// Each element of C is summed by one thread in a fixed order (k ascending, in blocks of
// kKc), so the result does not depend on the thread count. Threads split B's rows.
// Compiled for AVX-512 (the pragma below) and used only when om::packed_supported().
#include "internal.h"

#if OM_PACKED_ENGINE
#include <omp.h>

#include <algorithm>
#include <vector>

#include "packed_kernel.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om {
using namespace packed;
namespace {

// Rows of A taken (2 panels). OpenBLAS was as fast at 128 rows and faster at 100 (a third
// of the fourth panel's lanes idle), 2 threads: 45-50 ms against 47-51, 42 against 48-52.
constexpr int64_t kMaxRows = 64;
constexpr int64_t kKc = 1024;      // k per block: A's panels' block (kKc x 32 each) stays in L2

// S (12 x 32) [+]= sum over kc steps of B's 12 rows (r[i][step]) times the panel's rows.
inline void kernel_rows(int64_t kc, const float* const* r, const float* panel, float* s, bool acc) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
  }
  for (int64_t q = 0; q < kc; ++q) {
    const __m512 b0 = _mm512_loadu_ps(panel + q * NR), b1 = _mm512_loadu_ps(panel + q * NR + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(r[i][q]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    __m512 v0 = c0[i], v1 = c1[i];
    if (acc) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(s + i * NR));
      v1 = _mm512_add_ps(v1, _mm512_loadu_ps(s + i * NR + 16));
    }
    _mm512_storeu_ps(s + i * NR, v0);
    _mm512_storeu_ps(s + i * NR + 16, v1);
  }
}

// Buffers of the calling thread, kept between calls (a fresh allocation of megabytes per
// call would fault its pages in every time).
std::vector<float>& panels_buffer() {
  static thread_local std::vector<float> v;
  return v;
}
std::vector<float>& staging_buffer() {
  static thread_local std::vector<float> v;
  return v;
}

}  // namespace

bool small_m_sgemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (!packed_supported() || m < 1 || m > kMaxRows || n < 4 * MR || k < 64 || n * k < (int64_t{1} << 20))
    return false;
  const int64_t np = ceil_div(m, NR), tiles = ceil_div(n, MR);
  std::vector<float>& pv = panels_buffer();
  std::vector<float>& sv = staging_buffer();
  pv.resize(static_cast<size_t>(np * k * NR));
  sv.resize(static_cast<size_t>(tiles * np * MR * NR));
  float* panels = pv.data();
  float* stage = sv.data();
  const int team = threads();
  const bool par = team > 1;
  // A transposed: panels[p][q][l] = a[(32p + l) * lda + q], rows past m zero.
#pragma omp parallel for collapse(2) schedule(static) num_threads(team) if (par)
  for (int64_t p = 0; p < np; ++p)
    for (int64_t q0 = 0; q0 < k; q0 += 256) {
      const int64_t q1 = std::min(k, q0 + 256);
      for (int64_t l = 0; l < NR; ++l) {
        const int64_t row = p * NR + l;
        float* dst = panels + (p * k + q0) * NR + l;
        if (row >= m) {
          for (int64_t q = q0; q < q1; ++q, dst += NR) *dst = 0.0f;
          continue;
        }
        const float* src = a + row * lda;
        for (int64_t q = q0; q < q1; ++q, dst += NR) *dst = src[q];
      }
    }
  // Each thread its share of B's 12-row tiles, over all of k in blocks.
#pragma omp parallel num_threads(team) if (par)
  {
    const int64_t parts = omp_get_num_threads(), part = omp_get_thread_num();
    const int64_t t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
    const float* r[MR];
    for (int64_t q0 = 0; q0 < k; q0 += kKc) {
      const int64_t kc = std::min(kKc, k - q0);
      for (int64_t t = t0; t < t1; ++t) {
        // Rows past n repeat the last row (read, never written out).
        for (int64_t i = 0; i < MR; ++i) r[i] = b + std::min(t * MR + i, n - 1) * ldb + q0;
        for (int64_t p = 0; p < np; ++p)
          kernel_rows(kc, r, panels + (p * k + q0) * NR, stage + (t * np + p) * MR * NR, q0 > 0);
      }
    }
  }
  // C[row][j] = alpha * stage + beta * C (beta 0: C is not read, as in BLAS).
#pragma omp parallel for schedule(static) num_threads(team) if (par)
  for (int64_t row = 0; row < m; ++row) {
    const int64_t p = row / NR, l = row % NR;
    float* crow = c + row * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const float v = alpha * stage[((j / MR) * np + p) * MR * NR + (j % MR) * NR + l];
      crow[j] = beta == 0.0f ? v : v + beta * crow[j];
    }
  }
  return true;
}

}  // namespace om

#pragma GCC pop_options

#else  // no AVX-512 build: OpenBLAS does every product

namespace om {
bool small_m_sgemm_nt(int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                      float, float*, int64_t) {
  return false;
}
}  // namespace om

#endif  // OM_PACKED_ENGINE
