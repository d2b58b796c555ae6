// packed_weights.cpp: the packed convolution engine's weight layouts: the weights as
// 12-row tiles for the forward pass, transposed for the data gradient, flipped for the
// transposed convolution, and the weight gradient's transposed sums added back into the
// (Cout, K) layout. Declared in packed_panels.h; see conv_packed.cpp for the engine.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <algorithm>

#include "packed_panels.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {
namespace {
// The packers run on all threads, a tile per iteration, and write each tile in order
// (they ran on one thread before the partitions started, and took 2-4% of a layer):
// body(g, t, d) fills tile t of group g, per_tile floats at d.
template <class Body>
void for_tiles(float* ap, int64_t groups, int64_t tiles, int64_t per_tile, Body&& body) {
  const int64_t all = groups * tiles;
#pragma omp parallel for schedule(static) num_threads(threads()) if (all * per_tile >= kParallelMin)
  for (int64_t gt = 0; gt < all; ++gt) body(gt / tiles, gt % tiles, ap + gt * per_tile);
}
}  // namespace

// Weights (Cout, K) of every group as 12-row tiles, K deep: ap[g][tile][k][12].
void pack_weights(float* ap, const float* w, const Shape& z) {
  for_tiles(ap, z.group, z.tiles_m, MR * z.k, [&](int64_t g, int64_t t, float* d) {
    const float* src[MR];
    for (int64_t i = 0; i < MR; ++i) src[i] = w + (g * z.m + std::min(t * MR + i, z.m - 1)) * z.k;
    const int64_t live = std::min(MR, z.m - t * MR);
    for (int64_t k = 0; k < z.k; ++k)
      for (int64_t i = 0; i < MR; ++i) d[k * MR + i] = i < live ? src[i][k] : 0.0f;
  });
}

// Transposed weights (K, M) of every group as 12-row tiles of K, M deep: ap[g][tile][m][12].
void pack_weights_t(float* ap, const float* w, const Shape& z) {
  for_tiles(ap, z.group, z.tiles_k, MR * z.m, [&](int64_t g, int64_t t, float* d) {
    for (int64_t m = 0; m < z.m; ++m) {
      const float* src = w + (g * z.m + m) * z.k + t * MR;
      for (int64_t i = 0; i < MR; ++i) d[m * MR + i] = t * MR + i < z.k ? src[i] : 0.0f;
    }
  });
}

// The transposed convolution's weights (see transposable) as 12-row tiles: row c of
// group g, column (m, i, j) holds w[g*M + m][c][kh-1-i][kw-1-j]. t is transposed(s)'s shape.
void pack_weights_flipped(float* ap, const float* w, const Shape& z, const Shape& t) {
  for_tiles(ap, z.group, t.tiles_m, MR * t.k, [&](int64_t g, int64_t tile, float* d) {
    const int64_t live = std::min(MR, t.m - tile * MR);
    for (int64_t m = 0; m < z.m; ++m) {
      // Row i of the tile reads input channel tile*12 + i of output channel m, reversed.
      const float* src = w + (g * z.m + m) * z.k + tile * MR * z.khw + (z.khw - 1);
      for (int64_t r = 0; r < z.khw; ++r)
        for (int64_t i = 0; i < MR; ++i) d[(m * z.khw + r) * MR + i] = i < live ? src[i * z.khw - r] : 0.0f;
    }
  });
}

// wd[m][k] += dwt[k][m] for a group (dwt is K x mp): 16 values of k at a time by a
// gather down dwt's column, added to wd's row in place. Reading dwt down a column element
// by element took a cache miss each (3-5 ms a call on CaffeNet's conv3); here the 16 rows
// of dwt a block reads stay in L1 over its 16 channels.
void add_transposed(float* wd, const float* dwt, const Shape& z, int64_t mp) {
  const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                          _mm512_set1_epi32(static_cast<int32_t>(mp)));
  constexpr int64_t kB = 16;
  for (int64_t k0 = 0; k0 < z.k; k0 += kB) {
    const int64_t kb = std::min(kB, z.k - k0);
    const __mmask16 live = static_cast<__mmask16>((1u << kb) - 1);
    for (int64_t m = 0; m < z.m; ++m) {
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, rows, dwt + k0 * mp + m, 4);
      float* row = wd + m * z.k + k0;
      _mm512_mask_storeu_ps(row, live, _mm512_add_ps(_mm512_maskz_loadu_ps(live, row), v));
    }
  }
}

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
