// conv_packed.cpp: the packed convolution engine (AVX-512). The batched lowering of
// conv_engine.cpp, fused into the GEMM: the lowered matrix is never written out whole.
//
// Forward. The output columns (image, oy, ox) of a partition are taken 32 at a time (a
// panel), 8 panels at a time. Each panel is lowered straight from the image into a
// K x 32 block that stays in the core's cache (per kernel offset, where each lane reads
// is worked out once per panel and reused for every channel; strided layers read a copy
// of the images split into stride phases), and every 12-row tile of packed weights is
// multiplied with it by one register-blocked kernel (12 x 32 accumulators in 24 zmm
// registers), which adds the bias and writes the tile straight into the (N, Cout, OH,
// OW) output: no lowered matrix in memory, no staging matrix, no transpose afterwards.
// Weight gradient. The same lowered panels are the kernel's broadcast operand and the
// top gradient, transposed to (column, 32 channels), its vector operand; the product
// accumulates into the weight gradient transposed, added to the caller's at the end.
// Data gradient. For stride-1 layers with enough input channels, the transposed
// convolution run through the forward path (see transposable). Otherwise per panel:
// the top gradient's 32 columns are packed (M x 32), the kernel multiplies the packed
// transposed weights with them into blocks of the lowered gradient, and those are added
// back into the image at once (col2im of one panel, still in cache).
//
// Partitions: P OpenMP threads, each with its own slice of the workspace (and private
// weight and bias gradients, added up in a fixed order afterwards). The weight gradient
// splits the output columns evenly; the forward pass and the data gradient hand out
// chunks of columns (or whole images) to whichever thread is free (take_chunks).
// Nothing here calls BLAS. The panels are in packed_panels.cpp, the weight layouts in
// packed_weights.cpp, the kernel in packed_kernel.h.
//
// Everything after the includes is compiled for AVX-512 (the pragma below; the standard
// headers stay baseline, so no AVX-512 copy of a shared inline function can leak into
// other files). conv_engine.cpp calls in only when om::packed_supported() is true. Built
// with GCC or Clang on x86-64 (OM_PACKED_ENGINE); elsewhere (ARM nodes, MSVC) the entry
// points below only fail, and packed_supported() is false.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <algorithm>
#include <cstring>
#include <vector>
#include <omp.h>

#include "chunks.h"
#include "packed_kernel.h"
#include "packed_panels.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om {
using namespace packed;
namespace {

// Lowered rows per multiply in the forward pass: at most kL1Rows (the panel's block,
// kc x 32 floats, stays in L1 over the 12-row tiles: CaffeNet conv1, K = 363, ran 1.15x
// faster in blocks of 192-256 rows than whole) and fewer when the packed weights' block
// would not fit in L2. Then lowered rows per block of the data gradient.
constexpr int64_t kL1Rows = 256;

int64_t forward_kc(const Shape& z) {
  const int64_t whole = z.tiles_m * MR * z.k * 4;
  const int64_t most = whole <= kL2Bytes ? kL1Rows : std::min(kL1Rows, std::max<int64_t>(64, kL2Bytes / (z.tiles_m * MR * 4) / 8 * 8));
  // Blocks of equal size (conv1's 363 rows as 184 + 179, not 256 + 107).
  const int64_t blocks = ceil_div(z.k, most);
  return std::min(z.k, round_up(ceil_div(z.k, blocks), 8));
}
int64_t backward_kb(const Shape& z) {
  const int64_t rows = std::max<int64_t>(MR, kL2Bytes / 2 / (std::max<int64_t>(z.m, 1) * 4) / MR * MR);
  return std::min(rows, z.tiles_k * MR);
}

struct Work {  // floats of workspace
  int64_t shared;                                  // packed weights, all groups
  int64_t panels, stage, dyt, dwt, dy, dcol, taps, phases, grad, per_part;
  int64_t chunks;      // chunks of the weight gradient (grad_chunks, chunks.h)
  int64_t chunk_grad;  // weight and bias gradient of one chunk (0: not chunked)
};

// The weight gradient of a layer whose gradient is small (chunks.h's kGradChunkFloats for
// all its chunks: CaffeNet's conv1, 35 K floats, and LeNet's) is summed in fixed chunks of
// columns, each into its own gradient, taken by whichever thread is free, and the chunks'
// gradients are added in a fixed order at the end: the result does not depend on the
// scheduling or on P (up to kGradChunks). Larger gradients are split evenly by partitions
// (each sums its share into its own gradient); a thread slow there takes fewer chunks of
// the data gradient after it, which conv1 does not have.

Work work_of(const om_conv_shape& s, int64_t partitions) {
  const Shape z = shape_of(s);
  Work w{};
  const int64_t mp = round_up(z.m, NR);
  // Packed weights; panel rows: the weight gradient's whole K, a forward block of rows;
  // panels over three or more images (OH*OW < 32) sum in a stage of all the panel's rows.
  int64_t shared = std::max(z.tiles_m * MR * z.k, z.tiles_k * MR * z.m);
  int64_t rows = std::max(z.k, forward_kc(z));
  w.stage = z.ohw < NR ? round_up(z.tiles_m * MR * NR * kMacro, 16) : 0;
  if (transposable(s)) {  // the data gradient runs the forward pass of this shape
    const Shape t = shape_of(transposed(s));
    shared = std::max(shared, t.tiles_m * MR * t.k);
    rows = std::max(rows, forward_kc(t));
    if (t.ohw < NR) w.stage = std::max(w.stage, round_up(t.tiles_m * MR * NR * kMacro, 16));
  }
  w.shared = round_up(z.group * shared, 16);
  // + one tile of rows: the weight gradient's last tile of K reads (and drops) past row K.
  w.panels = round_up(rows * NR * kMacro + MR * NR, 16);
  w.dyt = mp * NR * kMacro;
  w.dwt = round_up(z.k * mp, 16);
  w.dy = round_up(z.m * NR * kMacro, 16);
  w.dcol = round_up(backward_kb(z) * NR * kMacro, 16);
  w.taps = taps_floats(z) * kMacro;
  w.phases = Phases::floats(z);
  const int64_t grad = round_up(z.group * z.m * z.k + z.cout, 16);
  w.chunks = grad_chunks(partitions);
  w.chunk_grad = w.chunks * grad <= kGradChunkFloats ? grad : 0;
  w.grad = partitions > 1 && w.chunk_grad == 0 ? grad : 0;
  // Forward (and the transposed data gradient): panels, stage. Weight gradient: panels,
  // dyt, dwt. Strided data gradient: dy, dcol.
  w.per_part = std::max({w.panels + w.stage, w.panels + w.dyt + w.dwt, w.dy + w.dcol}) + w.taps + w.phases + w.grad;
  return w;
}

// Each partition's stride-phase copy (kept from one chunk to the next), in its workspace.
std::vector<Phases> phases_of(float* ws, const Work& w, const Shape& z, int64_t partitions) {
  std::vector<Phases> out;
  for (int64_t part = 0; part < partitions; ++part)
    out.emplace_back(ws + w.shared + part * w.per_part + (w.per_part - w.grad - w.taps - w.phases), z);
  return out;
}

// Threads for P partitions: P, or as many as there are.
inline int team_of(int64_t p) { return static_cast<int>(std::min<int64_t>(p, threads())); }

// Partition part's share [first, last) of total units.
inline int64_t share(int64_t total, int64_t part, int64_t p) { return total * part / p; }

// The passes without a sum across partitions (forward, data gradient) hand out their
// work in chunks (take_chunks, chunks.h) to the threads as they come free, each thread
// working in its own partition's workspace. With an even split the faster core waited for
// the slower: on this shared 2-core machine the two partitions of CaffeNet's convolutions
// (b64) ended 8-9% of their time apart, 3% with chunks. Every output element is computed
// by one kernel chain whose order does not depend on where a chunk starts (forward), or
// chunks are whole images, each summed alone (the data gradient added into images), so
// the results do not depend on the scheduling.

// Output columns [0, cols) for body(part, lo, hi) in guided chunks of whole panels (at
// least a block of kMacro), on the partitions' threads.
template <class Body>
void for_columns(int64_t p, int64_t cols, Body&& body) {
  const int64_t panels = ceil_div(cols, NR);
  for_chunks(team_of(p), panels, kMacro,
             [&](int64_t part, int64_t lo, int64_t hi) { body(part, lo * NR, std::min(cols, hi * NR)); });
}

}  // namespace

int64_t packed_workspace_floats(const om_conv_shape& s, int64_t partitions) {
  const Work w = work_of(s, partitions);
  return checked_mul(w.per_part, partitions) + w.shared + w.chunks * w.chunk_grad;
}

// One partition's forward pass over output columns [nlo, nhi) (image-major, any split):
// top = conv(bottom) (+ bias) with the packed weights ap. Per block of kMacro panels and
// per block of kc lowered rows, the rows are lowered into bp (kMacro x kc x 32 floats, in
// L2) and multiplied at once: the weights' block and the panels' blocks stay in cache.
// taps: kMacro panels' taps, taps_floats(z) apart; stage: tiles_m*12 x 32 floats per
// panel, for panels over three or more images (OH*OW < 32). ph: the partition's stride-phase
// copy, whose images stay held from one chunk to the next when there is one group.
void forward_part(const Shape& z, float* top, const float* bottom, const float* ap,
                  const float* bias, float* bp, float* stage, float* taps_area, Phases& ph,
                  int64_t nlo, int64_t nhi, bool relu) {
  const int64_t kc_max = forward_kc(z);
  Seg segs[kMaxSegs];
  Taps taps[kMacro];
  for (int64_t j = 0; j < kMacro; ++j) taps[j] = taps_at(taps_area + j * taps_floats(z), z);
  // Groups outermost: a group's packed weights stay in cache over all its panels.
  for (int64_t g = 0; g < z.group; ++g) {
    const int64_t cg = g * (z.g.c / z.group);
    if (z.group > 1) ph.new_group();
    for (int64_t mac = nlo; mac < nhi; mac += NR * kMacro) {
      const int64_t panels = std::min(kMacro, ceil_div(nhi - mac, NR));
      if (ph.buf != nullptr)
        ph.hold(bottom, z, cg, mac / z.ohw, (std::min(mac + NR * kMacro, nhi) - 1) / z.ohw);
      for (int64_t j = 0; j < panels; ++j) {
        const int64_t n0 = mac + j * NR;
        make_taps(taps[j], z, segs, segments(z, n0, std::min(NR, nhi - n0), segs), ph);
      }
      for (int64_t pc = 0; pc < z.k; pc += kc_max) {
        const int64_t kc = std::min(kc_max, z.k - pc);
        const bool last = pc + kc == z.k;
        for (int64_t j = 0; j < panels; ++j)
          lower_panel(bp + j * kc_max * NR, bottom, z, cg, taps[j], ph, pc, pc + kc);
        for (int64_t j = 0; j < panels; ++j) {
          const int64_t n0 = mac + j * NR, nr = std::min(NR, nhi - n0);
          const float* b = bp + j * kc_max * NR;
          float* st = stage + j * z.tiles_m * MR * NR;
          for (int64_t t = 0; t < z.tiles_m; ++t) {
            const int64_t ch = g * z.m + t * MR, mr = std::min(MR, z.m - t * MR);
            const float* a = ap + (g * z.tiles_m + t) * MR * z.k + pc * MR;
            const float* bias_t = bias != nullptr && pc == 0 ? bias + ch : nullptr;
            Dst d{};
            if (panel_dst(z, top, n0, nr, ch, d)) {
              kernel(kc, a, b, d, mr, bias_t, pc > 0, relu && last);
              continue;
            }
            // A panel over three or more images: sums in stage, written out at the end.
            float* sti = st + t * MR * NR;
            kernel(kc, a, b, Dst{sti, sti, NR, lane_bits(0, nr), 0}, mr, bias_t, pc > 0);
            if (!last) continue;
            for (int64_t l = 0; l < nr; ++l) {
              const int64_t img = (n0 + l) / z.ohw, q = (n0 + l) % z.ohw;
              for (int64_t i = 0; i < mr; ++i) {
                const float x = sti[i * NR + l];
                top[img * z.out_per + (ch + i) * z.ohw + q] = relu && !(x > 0.0f) ? 0.0f * x : x;
              }
            }
          }
        }
      }
    }
  }
}

void packed_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    float* ws, int64_t n, const om_conv_shape& s, int64_t partitions, bool relu) {
  const Shape z = shape_of(s);
  const Work w = work_of(s, partitions);
  float* ap = ws;
  pack_weights(ap, weights, z);
  // Chunks of output columns, whatever the batch: a batch smaller than the core count (or
  // a scheduler replica's share) still keeps every core busy.
  std::vector<Phases> phases = phases_of(ws, w, z, partitions);
  for_columns(partitions, n * z.ohw, [&](int64_t part, int64_t lo, int64_t hi) {
    float* bp = ws + w.shared + part * w.per_part;  // kMacro panels of K x 32
    forward_part(z, top, bottom, ap, bias, bp, bp + w.panels, bp + (w.per_part - w.grad - w.taps), phases[part], lo,
                 hi, relu);
  });
}

void packed_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                     const float* top_diff, const float* bottom, const float* weights,
                     float* ws, int64_t n, const om_conv_shape& s, int64_t partitions) {
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
  if (partitions == 1 && w.chunk_grad == 0) return;
  const int64_t total = wcount + z.cout;
  const bool par = total >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t i = 0; i < total; ++i) {
    float acc = 0.0f;
    if (w.chunk_grad != 0)
      for (int64_t c = 0; c < gchunks; ++c) acc += chunk_grads[c * w.chunk_grad + i];
    else
      for (int64_t part = 0; part < partitions; ++part)
        acc += ws[w.shared + part * w.per_part + (w.per_part - w.grad) + i];
    if (i < wcount) {
      weight_diff[i] += acc;
    } else if (bias_diff != nullptr) {
      bias_diff[i - wcount] += acc;
    }
  }
}

}  // namespace om

#pragma GCC pop_options

#else  // no packed engine on this compiler or architecture: packed_supported() is false

namespace om {
int64_t packed_workspace_floats(const om_conv_shape&, int64_t) {
  invalid("the packed convolution engine is not built for this architecture");
}
void packed_forward(float*, const float*, const float*, const float*, float*, int64_t,
                    const om_conv_shape&, int64_t, bool) {
  invalid("the packed convolution engine is not built for this architecture");
}
void packed_backward(float*, float*, float*, const float*, const float*, const float*, float*,
                     int64_t, const om_conv_shape&, int64_t) {
  invalid("the packed convolution engine is not built for this architecture");
}
}  // namespace om

#endif  // OM_PACKED_ENGINE
