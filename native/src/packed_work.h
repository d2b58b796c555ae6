// packed_work.h: what the packed convolution engine's forward pass (conv_packed.cpp) and
// backward pass (conv_packed_backward.cpp) share: the workspace's layout per partition
// (Work), the row blocks, each partition's stride-phase copy, the split of work among
// partitions, and one partition's forward pass over a range of columns (the backward's
// transposed data gradient runs it too). Compiled for AVX-512 like the engine.
#pragma once

#include "packed_panels.h"

#if OM_PACKED_ENGINE
#include <algorithm>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {

// Lowered rows per block of the forward pass, and of the data gradient (conv_packed.cpp).
int64_t forward_kc(const Shape& z);
int64_t backward_kb(const Shape& z);

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
Work work_of(const om_conv_shape& s, int64_t partitions);

// Each partition's stride-phase copy (kept from one chunk to the next), in its workspace.
std::vector<Phases> phases_of(float* ws, const Work& w, const Shape& z, int64_t partitions);

// Threads for P partitions: P, or as many as there are.
inline int team_of(int64_t p) { return static_cast<int>(std::min<int64_t>(p, threads())); }

// Partition part's share [first, last) of total units.
inline int64_t share(int64_t total, int64_t part, int64_t p) { return total * part / p; }

// One partition's forward pass over output columns [nlo, nhi) (image-major, any split):
// top = conv(bottom) (+ bias) with the packed weights ap. Per block of kMacro panels and
// per block of kc lowered rows, the rows are lowered into bp (kMacro x kc x 32 floats, in
// L2) and multiplied at once: the weights' block and the panels' blocks stay in cache.
// taps: kMacro panels' taps, taps_floats(z) apart; stage: tiles_m*12 x 32 floats per
// panel, for panels over three or more images (OH*OW < 32). ph: the partition's stride-phase
// copy, whose images stay held from one chunk to the next when there is one group.
void forward_part(const Shape& z, float* top, const float* bottom, const float* ap,
                  const float* bias, float* bp, float* stage, float* taps_area, Phases& ph,
                  int64_t nlo, int64_t nhi, bool relu);

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
