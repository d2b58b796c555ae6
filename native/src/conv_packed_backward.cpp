// conv_packed_backward.cpp: the packed convolution engine's backward pass (AVX-512; the
// engine, its workspace and forward pass are in conv_packed.cpp, what both share in
// packed_work.h).
//
// Weight gradient. The same lowered panels are the kernel's broadcast operand and the
// top gradient, transposed to (column, 32 channels), its vector operand; the product
// accumulates into the weight gradient transposed, added to the caller's at the end.
// Data gradient. For stride-1 layers with enough input channels, the transposed
// convolution run through the forward path (see transposable). Otherwise per panel:
// the top gradient's 32 columns are packed (M x 32), the kernel multiplies the packed
// transposed weights with them into blocks of the lowered gradient, and those are added
// back into the image at once (col2im of one panel, still in cache).
//
// The weight gradient splits the output columns evenly among partitions (or, small, goes
// in fixed chunks: see Work); the data gradient hands out chunks of columns (or of images)
// to whichever thread is free (take_chunks, chunks.h). Nothing here calls BLAS.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <algorithm>
#include <atomic>
#include <vector>
#include <omp.h>

#include "chunks.h"
#include "conv_direct.h"
#include "packed_kernel.h"
#include "packed_panels.h"
#include "packed_work.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om {
using namespace packed;

void packed_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                     const float* top_diff, const float* bottom, const float* weights,
                     float* ws, int64_t n, const om_conv_shape& s, int64_t partitions) {
  if (direct_fits(s))
    return direct_backward(bottom_diff, weight_diff, bias_diff, top_diff, bottom, weights, n, s, partitions);
  const Shape z = shape_of(s);
  const Work w = work_of(s, partitions);
  const int64_t wcount = z.group * z.m * z.k;
  const bool conv_t = transposable(s);
  const Shape zt = conv_t ? shape_of(transposed(s)) : z;
  float* awt = ws;
  if (bottom_diff != nullptr) {
    if (conv_t) {
      pack_weights_flipped(awt, weights, z, zt);
    } else {
      pack_weights_t(awt, weights, z);
    }
  }
  const ConvGeom& g = z.g;
  std::vector<Phases> phases = phases_of(ws, w, z, partitions);
  const auto taps_of = [&](float* base, Taps (&taps)[kMacro]) {
    for (int64_t j = 0; j < kMacro; ++j)
      taps[j] = taps_at(base + (w.per_part - w.grad - w.taps) + j * taps_floats(z), z);
  };
  // The weight and bias gradients of output columns [nlo, nhi), added into wd and bd, in
  // partition part's workspace.
  const auto weight_grad = [&](int64_t part, int64_t nlo, int64_t nhi, float* wd, float* bd) {
    float* base = ws + w.shared + part * w.per_part;
    Taps taps[kMacro];
    taps_of(base, taps);
    Seg segs[kMaxSegs];

    // ---- weight and bias gradients, kMacro panels at a time: the lowered input's panels
    // (as in the forward pass) are the kernel's broadcast operand, the top gradient
    // transposed to (column, 32 channels) its vector operand, and the product accumulates
    // into dwt (K x mp: the group's weight gradient transposed), added to wd at the end.
    {
      const int64_t mp = round_up(z.m, NR), cols_max = NR * kMacro;
      float* lp = base;
      float* dyt = lp + w.panels;  // [mp / 32][cols_max][32]
      float* dwt = dyt + w.dyt;
      Phases& ph = phases[part];
      for (int64_t gi = 0; gi < z.group; ++gi) {
        const int64_t cg = gi * (g.c / z.group);
        std::fill(dwt, dwt + z.k * mp, 0.0f);
        if (z.group > 1) ph.new_group();
        for (int64_t mac = nlo; mac < nhi; mac += cols_max) {
          const int64_t panels = std::min(kMacro, ceil_div(nhi - mac, NR));
          const int64_t cols = std::min(cols_max, nhi - mac);
          if (ph.buf != nullptr) ph.hold(bottom, z, cg, mac / z.ohw, (mac + cols - 1) / z.ohw);
          for (int64_t j = 0; j < panels; ++j) {
            const int64_t n0 = mac + j * NR;
            make_taps(taps[j], z, segs, segments(z, n0, std::min(NR, nhi - n0), segs), ph);
          }
          for (int64_t mt = 0; mt < mp / NR; ++mt)
            transpose_top_diff(dyt + mt * cols_max * NR, bd == nullptr ? nullptr : bd + gi * z.m + mt * NR, top_diff,
                               z, gi * z.m + mt * NR, std::min(NR, z.m - mt * NR), mac, cols, panels * NR);
          // K in blocks of kr lowered rows, lowered just before use so that the kernel
          // reads them from L2: all of K when its panels fit in kL2Bytes (conv1), else
          // blocks filling half of it (all of conv3's K, 2304 x 256 floats, went out to L3:
          // conv2-conv5 dW 1-5% faster in blocks). In a block, the order keeps the top
          // gradient's 32-channel blocks (mt) outermost when the block's panels are the
          // smaller operand to re-read, else the tiles of K.
          const int64_t mts = mp / NR;
          const bool whole = z.k * cols_max * 4 <= kL2Bytes;
          const int64_t kr = whole ? z.k : std::max<int64_t>(MR, kL2Bytes / 2 / (cols_max * 4) / MR * MR);
          const bool lp_small = whole || kr <= mp;
          for (int64_t k0 = 0; k0 < z.k; k0 += kr) {
            const int64_t k1 = std::min(z.k, k0 + kr), t0 = k0 / MR, tiles = ceil_div(k1 - k0, MR);
            for (int64_t j = 0; j < panels; ++j) lower_panel(lp + j * kr * NR, bottom, z, cg, taps[j], ph, k0, k1);
            for (int64_t o = 0; o < tiles * mts; ++o) {
              const int64_t t = lp_small ? o % tiles : o / mts, mt = lp_small ? o / tiles : o % mts;
              float* c0 = dwt + (t0 + t) * MR * mp + mt * NR;
              kernel_t<true>(panels * NR, lp + t * MR * NR, kr * NR, dyt + mt * cols_max * NR,
                             Dst{c0, c0, mp, lane_bits(0, std::min(NR, z.m - mt * NR)), 0},
                             std::min(MR, z.k - (t0 + t) * MR), nullptr, true);
            }
          }
        }
        add_transposed(wd + gi * z.m * z.k, dwt, z, mp);
      }
    }
  };

  // The data gradient in chunks (see take_chunks): of the transposed convolution's output
  // columns [lo, hi), or of fixed groups of images [lo, hi) (no two threads add into one
  // image, and the group's panels start at its first column whatever the chunk).
  const auto data_grad = [&](int64_t part, int64_t lo, int64_t hi) {
    float* base = ws + w.shared + part * w.per_part;
    // ---- a stride-1 layer: the transposed convolution, as a forward pass
    if (conv_t) {
      Phases none;
      forward_part(zt, bottom_diff, top_diff, awt, nullptr, base, base + w.panels,
                   base + (w.per_part - w.grad - w.taps), none, lo, hi, false);
      return;
    }
    // ---- otherwise: kMacro panels at a time, in blocks of kb lowered rows (the block's
    // packed weights stay in L2 over the panels), added into the image
    Taps taps[kMacro];
    taps_of(base, taps);
    Seg segs[kMaxSegs];
    std::fill(bottom_diff + lo * z.in_per, bottom_diff + hi * z.in_per, 0.0f);
    const int64_t nlo = lo * z.ohw, nhi = hi * z.ohw;
    const int64_t kb_max = backward_kb(z);
    float* dy = base;         // kMacro panels of M x 32
    float* dcol = dy + w.dy;  // kMacro blocks of kb x 32
    for (int64_t gi = 0; gi < z.group; ++gi) {
      const int64_t cg = gi * (g.c / z.group);
      for (int64_t mac = nlo; mac < nhi; mac += NR * kMacro) {
        const int64_t panels = std::min(kMacro, ceil_div(nhi - mac, NR));
        for (int64_t j = 0; j < panels; ++j) {
          const int64_t n0 = mac + j * NR, nr = std::min(NR, nhi - n0);
          make_taps(taps[j], z, segs, segments(z, n0, nr, segs), Phases());
          // The top gradient's 32 columns: dy[m][32], lanes past the panel 0.
          float* dyj = dy + j * z.m * NR;
          Dst src{};
          const bool two = panel_dst(z, const_cast<float*>(top_diff), n0, nr, gi * z.m, src);
          for (int64_t m = 0; m < z.m; ++m) {
            if (!two) {
              for (int64_t l = 0; l < NR; ++l) {
                const int64_t img = (n0 + l) / z.ohw, q = (n0 + l) % z.ohw;
                dyj[m * NR + l] = l < nr ? top_diff[img * z.out_per + (gi * z.m + m) * z.ohw + q] : 0.0f;
              }
              continue;
            }
            const float* r0 = src.p0 + m * z.ohw;
            const float* r1 = src.p1 + m * z.ohw;
            const __m512 v0 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(static_cast<__mmask16>(src.m0), r0),
                                                   static_cast<__mmask16>(src.m1), r1);
            const __m512 v1 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(static_cast<__mmask16>(src.m0 >> 16), r0 + 16),
                                                   static_cast<__mmask16>(src.m1 >> 16), r1 + 16);
            _mm512_storeu_ps(dyj + m * NR, v0);
            _mm512_storeu_ps(dyj + m * NR + 16, v1);
          }
        }
        for (int64_t kb0 = 0; kb0 < z.k; kb0 += kb_max) {
          const int64_t kb1 = std::min(z.k, kb0 + kb_max);
          for (int64_t j = 0; j < panels; ++j)
            for (int64_t t = kb0 / MR; t * MR < kb1; ++t) {
              float* c0 = dcol + j * kb_max * NR + (t * MR - kb0) * NR;
              kernel(z.m, awt + (gi * z.tiles_k + t) * MR * z.m, dy + j * z.m * NR,
                     Dst{c0, c0, NR, 0xffffffffu, 0}, std::min(MR, z.k - t * MR), nullptr, false);
            }
          for (int64_t j = 0; j < panels; ++j)
            col2im_panel(bottom_diff, dcol + j * kb_max * NR, z, cg, kb0, kb1, taps[j]);
        }
      }
    }
  };

  // Where the weight gradient goes: a partition's own (zeroed; or the caller's for one
  // partition), or a chunk's own (zeroed; see chunk_grad in Work).
  // (Chunks of at least 4 blocks of panels: each chunk zeroes and transposes a gradient.)
  const int64_t cols = n * z.ohw, gstep = round_up(std::max(ceil_div(cols, w.chunks), 4 * NR * kMacro), NR);
  const int64_t gchunks = ceil_div(cols, gstep);
  float* chunk_grads = ws + w.shared + partitions * w.per_part;
  const auto partition_grad = [&](int64_t part) {
    float* wd = weight_diff;
    float* bd = bias_diff;
    if (partitions > 1) {
      wd = ws + w.shared + part * w.per_part + (w.per_part - w.grad);
      bd = wd + wcount;
      std::fill(wd, wd + wcount + z.cout, 0.0f);
    }
    weight_grad(part, share(cols, part, partitions), share(cols, part + 1, partitions), wd, bd);
  };
  const auto chunk_grad = [&](int64_t part, int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      float* wd = chunk_grads + c * w.chunk_grad;
      std::fill(wd, wd + wcount + z.cout, 0.0f);
      weight_grad(part, std::min(cols, c * gstep), std::min(cols, (c + 1) * gstep), wd, wd + wcount);
    }
  };

  // Each thread the weight gradient of its partitions (or chunks as they come free), then
  // data-gradient chunks as they come free: a thread slow in the first part takes fewer
  // chunks of the second.
  std::atomic<int64_t> next{0}, next_grad{0};
  const int64_t tpanels = ceil_div(n * zt.ohw, NR);
  // Groups of images of at least a block of panels (LeNet's conv2, 64 outputs an image: 4).
  const int64_t per_group = ceil_div(NR * kMacro, std::max<int64_t>(z.ohw, 1)), groups = ceil_div(n, per_group);
  const auto image = [&](int64_t part, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) data_grad(part, i * per_group, std::min(n, (i + 1) * per_group));
  };
  const auto columns = [&](int64_t part, int64_t lo, int64_t hi) {
    data_grad(part, lo * NR, std::min(n * zt.ohw, hi * NR));
  };
#pragma omp parallel num_threads(team_of(partitions)) if (partitions > 1)
  {
    if (w.chunk_grad != 0) {
      take_chunks(next_grad, gchunks, 1, chunk_grad);
    } else {
#pragma omp for schedule(static, 1) nowait
      for (int64_t part = 0; part < partitions; ++part) partition_grad(part);
    }
    if (bottom_diff != nullptr) {
      if (conv_t) take_chunks(next, tpanels, kMacro, columns);
      else take_chunks(next, groups, 1, image);
    }
  }
  if (w.chunk_grad != 0)
    add_copies(weight_diff, bias_diff, wcount, z.cout, gchunks, [&](int64_t c) { return chunk_grads + c * w.chunk_grad; });
  else if (partitions > 1)
    add_copies(weight_diff, bias_diff, wcount, z.cout, partitions,
               [&](int64_t part) { return ws + w.shared + part * w.per_part + (w.per_part - w.grad); });
}

}  // namespace om

#pragma GCC pop_options

#else  // no packed engine on this compiler or architecture: packed_supported() is false

namespace om {
void packed_backward(float*, float*, float*, const float*, const float*, const float*, float*,
                     int64_t, const om_conv_shape&, int64_t) {
  invalid("the packed convolution engine is not built for this architecture");
}
}  // namespace om

#endif  // OM_PACKED_ENGINE
