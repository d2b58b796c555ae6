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
// kKc), so the result does not depend on the thread count. Chunks of B's rows go to the threads as they come free (chunks.h).
// Compiled for AVX-512 (the pragma below) and used only when om::packed_supported().
#include "internal.h"

#if OM_PACKED_ENGINE
#include <omp.h>

#include <algorithm>
#include <vector>

#include "chunks.h"
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

// The shapes these paths take: 1 to 64 rows of A, at least min_n columns of C, k >= 64, and
// B of at least 2^20 elements (smaller products stay with OpenBLAS).
bool takes(int64_t m, int64_t n, int64_t k, int64_t min_n) {
  return packed_supported() && m >= 1 && m <= kMaxRows && n >= min_n && k >= 64 && n * k >= (int64_t{1} << 20);
}

// A's rows in tiles of `width`, interleaved: dst[t][q][i] = scale * a[(width t + i) * lda + q]
// for the ceil(m / width) tiles, rows past m zero.
void pack_rows(float* dst, const float* a, int64_t lda, int64_t m, int64_t k, int64_t width, float scale, int team) {
  const int64_t tiles = ceil_div(m, width);
#pragma omp parallel for collapse(2) schedule(static) num_threads(team) if (team > 1)
  for (int64_t t = 0; t < tiles; ++t)
    for (int64_t q0 = 0; q0 < k; q0 += 256) {
      const int64_t q1 = std::min(k, q0 + 256);
      for (int64_t i = 0; i < width; ++i) {
        const int64_t row = t * width + i;
        float* d = dst + (t * k + q0) * width + i;
        if (row >= m) {
          for (int64_t q = q0; q < q1; ++q, d += width) *d = 0.0f;
          continue;
        }
        const float* src = a + row * lda;
        for (int64_t q = q0; q < q1; ++q, d += width) *d = scale * src[q];
      }
    }
}

// Buffers of the calling thread, kept between calls (a fresh allocation of megabytes per
// call would fault its pages in every time).
// (Id: 0 A's panels or tiles, 1 the staging of C, 2 the copied block of B.)
template <int Id>
std::vector<float>& buffer() {
  static thread_local std::vector<float> v;
  return v;
}

}  // namespace

bool small_m_sgemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (!takes(m, n, k, 4 * MR)) return false;
  const int64_t np = ceil_div(m, NR), tiles = ceil_div(n, MR);
  std::vector<float>& pv = buffer<0>();
  std::vector<float>& sv = buffer<1>();
  pv.resize(static_cast<size_t>(np * k * NR));
  sv.resize(static_cast<size_t>(tiles * np * MR * NR));
  float* panels = pv.data();
  float* stage = sv.data();
  const int team = threads();
  const bool par = team > 1;
  // A transposed: panels[p][q][l] = a[(32p + l) * lda + q], rows past m zero.
  pack_rows(panels, a, lda, m, k, NR, 1.0f, team);
  // Chunks of B's 12-row tiles for the threads as they come free (chunks.h), each over
  // all of k in blocks.
  for_chunks(team, tiles, 8, [&](int, int64_t t0, int64_t t1) {
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
  });
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

// C = alpha * A * B + beta * C with B (k x n) not transposed: an InnerProduct's data
// gradient on a small batch (fc6 at batch 64: m 64, n 9216, k 4096, B the weights).
// OpenBLAS splits these poorly over threads: 2 threads ran fc6's in 42-50 ms against 60
// on one (CPU time), fc8's (k 1000) at 58 GFLOP/s. Here C's columns go in blocks of kNb
// panels to the threads as they come free (chunks.h). Per block of kNb panels and kKb rows of k, the block of B is
// copied into panels (each row's part read as one run, rows ahead prefetched; the block
// stays in L2), and every 8-row tile of A (packed once, alpha folded in) is multiplied
// with each panel by the packed engine's kernel, straight into C (the block of C stays in
// L2 over k). 2 threads, wall, 4 alternating runs (best of 9 each), batch 64: fc6 35-42
// ms against OpenBLAS's 42-50, fc7 15-18 against 20-24, fc8 3.6-4.2 against 7.2-9.4. On
// one thread OpenBLAS was 5% faster (fc6 60 ms against 63, CPU time); this path still
// takes that case, so that the result does not depend on the thread count: each element
// of C is summed by one thread in a fixed order (k ascending, in blocks of kKb).
// Where the time goes (fc6, 2 threads): the copies of B's blocks read the weights at about
// 10 GB/s and take a third of it (40-42 ms with them, 25-28 without); prefetching the
// next block into L2 during the products was slower (49-54 ms), rows 2 or 4 ahead in the
// copy instead of 8 no different.
namespace {
constexpr int64_t kKb = 256;  // rows of B per block: a panel (kKb x 32) stays in L1
constexpr int64_t kNb = 8;    // panels per block of B: 256 columns, 256 KB with kKb rows
constexpr int64_t kAhead = 8; // rows of B prefetched ahead while copying a block
constexpr int64_t kRows = 8;  // rows of an A tile: 64 rows in 8 tiles, none idle (12: 11% idle)

// bp[p][q][l] = B[k0 + q][c0 + 32p + l] for the kb rows and np panels; columns past n zero.
void pack_b_block(float* bp, const float* b, int64_t ldb, int64_t k0, int64_t kb, int64_t c0, int64_t np, int64_t n) {
  for (int64_t q = 0; q < kb; ++q) {
    const float* row = b + (k0 + q) * ldb + c0;
    if (q + kAhead < kb) {  // the row kAhead ahead, a run of np * 128 bytes
      const char* ahead = reinterpret_cast<const char*>(row + kAhead * ldb);
      for (int64_t off = 0; off < np * NR * 4; off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    }
    for (int64_t p = 0; p < np; ++p) {
      const int64_t col = c0 + p * NR;
      float* dst = bp + (p * kb + q) * NR;
      if (col + NR <= n) {
        _mm512_storeu_ps(dst, _mm512_loadu_ps(row + p * NR));
        _mm512_storeu_ps(dst + 16, _mm512_loadu_ps(row + p * NR + 16));
      } else {
        const uint32_t bits = lane_bits(0, n - col);
        _mm512_storeu_ps(dst, _mm512_maskz_loadu_ps(static_cast<__mmask16>(bits), row + p * NR));
        _mm512_storeu_ps(dst + 16, _mm512_maskz_loadu_ps(static_cast<__mmask16>(bits >> 16), row + p * NR + 16));
      }
    }
  }
}
}  // namespace

bool small_m_sgemm_nn(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (!takes(m, n, k, 2 * NR)) return false;
  const int64_t tiles = ceil_div(m, kRows), panels = ceil_div(n, NR);
  std::vector<float>& av = buffer<0>();
  av.resize(static_cast<size_t>(tiles * k * kRows));
  float* ap = av.data();
  const int team = threads();
  // A in 8-row tiles, alpha folded in: ap[t][q][i] = alpha * a[(8t + i) * lda + q].
  pack_rows(ap, a, lda, m, k, kRows, alpha, team);
  // Blocks of kNb panels (C's columns) for the threads as they come free (chunks.h).
  for_chunks(team, ceil_div(panels, kNb), 1, [&](int, int64_t b0, int64_t b1) {
    std::vector<float>& bv = buffer<2>();
    bv.resize(static_cast<size_t>(kKb * kNb * NR));
    float* bp = bv.data();
    for (int64_t pb = b0 * kNb; pb < std::min(panels, b1 * kNb); pb += kNb) {
      const int64_t np = std::min(kNb, panels - pb), c0 = pb * NR, c1 = std::min(n, (pb + np) * NR);
      if (beta != 0.0f && beta != 1.0f)
        for (int64_t row = 0; row < m; ++row)
          for (int64_t j = c0; j < c1; ++j) c[row * ldc + j] *= beta;
      for (int64_t k0 = 0; k0 < k; k0 += kKb) {
        const int64_t kb = std::min(kKb, k - k0);
        pack_b_block(bp, b, ldb, k0, kb, c0, np, n);
        const bool acc = k0 > 0 || beta != 0.0f;
        for (int64_t p = 0; p < np; ++p) {
          const int64_t col = c0 + p * NR;
          const uint32_t lanes = lane_bits(0, std::min(NR, n - col));
          for (int64_t t = 0; t < tiles; ++t) {
            const Dst d{c + t * kRows * ldc + col, nullptr, ldc, lanes, 0};
            kernel_t<false, kRows>(kb, ap + (t * k + k0) * kRows, 0, bp + p * kb * NR, d, std::min(kRows, m - t * kRows), nullptr, acc);
          }
        }
      }
    }
  });
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
bool small_m_sgemm_nn(int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                      float, float*, int64_t) {
  return false;
}
}  // namespace om

#endif  // OM_PACKED_ENGINE
