// conv_packed.cpp: the packed convolution engine (AVX-512): its workspace and its forward
// pass. The batched lowering of conv_engine.cpp, fused into the GEMM: the lowered matrix
// is never written out whole.
//
// Forward. The output columns (image, oy, ox) of a partition are taken 32 at a time (a
// panel), 8 panels at a time. Each panel is lowered straight from the image into a
// K x 32 block that stays in the core's cache (per kernel offset, where each lane reads
// is worked out once per panel and reused for every channel; strided layers read a copy
// of the images split into stride phases), and every 12-row tile of packed weights is
// multiplied with it by one register-blocked kernel (12 x 32 accumulators in 24 zmm
// registers), which adds the bias and writes the tile straight into the (N, Cout, OH,
// OW) output: no lowered matrix in memory, no staging matrix, no transpose afterwards.
// The backward pass is in conv_packed_backward.cpp.
//
// Partitions: P OpenMP threads, each with its own slice of the workspace (and private
// weight and bias gradients, added up in a fixed order afterwards). The weight gradient
// splits the output columns evenly; the forward pass and the data gradient hand out
// chunks of columns (or whole images) to whichever thread is free (take_chunks).
// Nothing here calls BLAS. The panels are in packed_panels.cpp (and packed_window.cpp,
// packed_transpose.cpp), the weight layouts in packed_weights.cpp, the kernel in
// packed_kernel.h; few-channel layers go to conv_direct.cpp.
//
// Everything after the includes is compiled for AVX-512 (the pragma below; the standard
// headers stay baseline, so no AVX-512 copy of a shared inline function can leak into
// other files). conv_engine.cpp calls in only when om::packed_supported() is true. Built
// with GCC or Clang on x86-64 (OM_PACKED_ENGINE); elsewhere (ARM nodes, MSVC) the entry
// points below only fail, and packed_supported() is false.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <algorithm>
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
namespace packed {

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

std::vector<Phases> phases_of(float* ws, const Work& w, const Shape& z, int64_t partitions) {
  std::vector<Phases> out;
  for (int64_t part = 0; part < partitions; ++part)
    out.emplace_back(ws + w.shared + part * w.per_part + (w.per_part - w.grad - w.taps - w.phases), z);
  return out;
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

}  // namespace packed

using namespace packed;
namespace {

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
  if (direct_fits(s)) return 0;  // reads the images in place: no workspace
  const Work w = work_of(s, partitions);
  return checked_mul(w.per_part, partitions) + w.shared + w.chunks * w.chunk_grad;
}

void packed_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    float* ws, int64_t n, const om_conv_shape& s, int64_t partitions, bool relu) {
  if (direct_fits(s)) return direct_forward(top, bottom, weights, bias, n, s, partitions, relu);
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
}  // namespace om

#endif  // OM_PACKED_ENGINE
