// packed_panels.h: the packed convolution engine's panels: the shape it works on, which
// output columns a panel of 32 covers (segments), where each lane reads for each kernel
// offset (taps), the stride-phase copy of strided layers' input, the lowering of a panel
// and its adjoint, and where a panel's outputs go. Defined in packed_panels.cpp (the
// window lowering in packed_window.cpp, the transposed top gradient in
// packed_transpose.cpp); see conv_packed.cpp for the engine.
#pragma once

#include "packed_kernel.h"

#if OM_PACKED_ENGINE
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om::packed {

struct Shape {
  ConvGeom g;     // n unused
  int64_t group, cout;
  int64_t m, k;   // per group: output channels, lowered rows
  int64_t ohw, in_per, out_per, hw, khw;
  int64_t tiles_m, tiles_k;
};

Shape shape_of(const om_conv_shape& s);

// The data gradient of a stride-1 convolution is a convolution too: of the top gradient,
// padded by d*(k-1) - p, with the kernel flipped and input and output channels swapped.
// The packed engine computes it so, with the forward pass's lowering and kernel, when
// that padding is not negative (stride-1 layers with p <= d*(k-1)) and the layer has at
// least kMinTransposedRows input channels per group: each panel of the transposed pass
// lowers Cout/group*kh*kw rows for C/group output rows, and with fewer (CaffeNet's conv2
// has 48) the lowering costs about what the scatter of the other path does.
constexpr int64_t kMinTransposedRows = 64;

bool transposable(const om_conv_shape& s);
om_conv_shape transposed(const om_conv_shape& s);

// A run of panel lanes [lane, lane + len) that are consecutive ox of one output row,
// with what every lowered row needs of it: the image's offset, and the input row and
// column of its first lane for kernel offset (0, 0).
struct Seg {
  int64_t img, iy0, xs0, len, lane;
};

// Fills out with the segments of the panel of nr columns from n0; returns their count.
int segments(const Shape& z, int64_t n0, int64_t nr, Seg* out);

// One panel's reads for one kernel offset (i, j): per segment that touches the image,
// where its lanes start relative to a channel plane and which lanes are inside. The same
// for every channel, so a panel computes them once (kh*kw*segments) and then lowers each
// of its K rows with a couple of masked loads per segment.
struct Tap {
  int64_t row;      // offset of the input row (image + iy*w) in the plane
  int32_t x;        // input column of lane 0 (stride 1: row + x + L is lane L's element)
  uint32_t mask;    // lanes read
};

// A panel of a stride-1 layer whose every half (16 lanes, in one image) reads, for each
// kernel row i, within one window of 32 consecutive floats of a channel plane (small
// images, or a half within about one row of a wider one: LeNet's conv2, CaffeNet's
// conv2-conv5): each lowered row of kernel row i is then a permute of that window's two
// loads, and its kw rows share the loads (packed_window.cpp). ok is 0 for other panels,
// which are lowered by their taps (make_taps fills the taps only for those).
constexpr int64_t kMaxWindowKh = 16;
struct Window {
  int32_t ok;
  int32_t keyed;                             // key holds the last panel's (iy0, xs0, columns); 0 after taps_at
  int64_t key[3];
  int64_t rel[2];                            // base[h] less the panel's first image offset
  int32_t idx[2][16];                        // per half, lane L: its read's place in the window for j = 0
  int64_t base[2];                           // per half: the window for (i, j) = (0, 0), from a channel plane's start
  uint32_t wmask[kMaxWindowKh][2];           // per kernel row and half: window floats inside the plane
  uint16_t lanes[kMaxWindowKh * kMaxKw][2];  // per kernel offset and half: lanes whose read is inside the image
  uint32_t pos[kMaxWindowKh * kMaxKw][2];    // the same lanes' places in the window (for col2im_window)
};

// A panel's taps in the workspace: taps of offset r are tap[start[r] .. start[r + 1]).
struct Taps {
  int64_t khw;
  Tap* tap;
  int32_t* start;
  Window* win;
};

// Floats of workspace for one panel's taps (at most kMaxSegs per offset) and its window.
int64_t taps_floats(const Shape& z);

Taps taps_at(float* at, const Shape& z);

// A strided layer's input split into stride phases, two images at a time: column x of
// row y of channel c (of the group) at slot[c][y][x % sw][x / sw], so that the lanes of a
// panel segment, which read every sw-th column, read consecutive floats again (masked
// loads instead of gathers). Used when a block of kMacro panels spans at most two images.
struct Phases {
  float* buf = nullptr;
  int64_t wq = 0, row = 0, plane = 0, slot = 0;  // floats: x / sw range, a row, a channel, an image
  int64_t held[2] = {-1, -1};                    // image in each slot (img % 2), this group

  Phases() = default;

  static bool used(const Shape& z) { return z.g.sw > 1 && z.ohw >= NR * kMacro && z.g.kw <= kMaxKw; }

  static int64_t floats(const Shape& z) {
    if (!used(z)) return 0;
    const int64_t wq = ceil_div(z.g.w, z.g.sw);
    return round_up(2 * (z.g.c / z.group) * z.g.h * z.g.sw * wq, 16);
  }

  Phases(float* at, const Shape& z) {
    if (!used(z)) return;
    buf = at;
    wq = ceil_div(z.g.w, z.g.sw);
    row = z.g.sw * wq;
    plane = z.g.h * row;
    slot = (z.g.c / z.group) * plane;
  }

  void new_group() { held[0] = held[1] = -1; }

  // Makes images [first, last] (at most two) of channels [cg, cg + C/group) available.
  void hold(const float* bottom, const Shape& z, int64_t cg, int64_t first, int64_t last);
};

// Fills t with where each lane of the panel reads, per kernel offset (or its window).
void make_taps(Taps& t, const Shape& z, const Seg* segs, int nseg, const Phases& ph);

// Fills w for a panel of a stride-1 layer (ok 0 where the panel does not fit a window).
void make_window(Window& w, const Shape& z, const Seg* segs, int nseg);

// lower_panel for a panel whose window is ok.
void lower_window(float* bp, const float* bottom, const Shape& z, int64_t cg, const Window& w,
                  int64_t k0, int64_t k1);

// col2im_panel for a panel whose window is ok.
void col2im_window(float* bottom_diff, const float* dcol, const Shape& z, int64_t cg, const Window& w,
                   int64_t k0, int64_t k1);

// Rows [k0, k1) of a group's lowered input for one panel: bp[k - k0][32] (lanes outside
// 0). The group's input is bottom's channels from cg on, or ph's copy when it holds one.
void lower_panel(float* bp, const float* bottom, const Shape& z, int64_t cg, const Taps& t,
                 const Phases& ph, int64_t k0, int64_t k1);

// bottom_diff += rows [k0, k1) of one panel's lowered gradient (dcol[k - k0][32]), for
// the group whose first channel is cg.
void col2im_panel(float* bottom_diff, const float* dcol, const Shape& z, int64_t cg,
                  int64_t k0, int64_t k1, const Taps& t);

// Where the panel's 32 output columns lie in an (N, channels, OH*OW) tensor: channel ch of
// the panel's first image at p0 (+ lane), of the next image at p1 (+ lane). False when the
// panel spans more than two images (OH*OW < 32): the caller goes lane by lane.
bool panel_dst(const Shape& z, float* base, int64_t n0, int64_t nr, int64_t ch, Dst& d);

// The weight gradient's vector operand: the top gradient's columns [n0, n0 + cols) of
// channels [m0, m0 + mc) (mc <= 32) as d[c][32], zero up to width columns; each channel's
// sum over those columns, in column order, added to bias (when not null).
void transpose_top_diff(float* d, float* bias, const float* top_diff, const Shape& z, int64_t m0, int64_t mc,
                        int64_t n0, int64_t cols, int64_t width);

// packed_weights.cpp: the weights as 12-row tiles, K deep (ap[g][tile][k][12]); transposed,
// tiles of K, M deep (ap[g][tile][m][12]); flipped for the transposed convolution (row c of
// group g, column (m, i, j) holds w[g*M + m][c][kh-1-i][kw-1-j]; t is transposed(s)'s
// shape). All threads, a tile each.
void pack_weights(float* ap, const float* w, const Shape& z);
void pack_weights_t(float* ap, const float* w, const Shape& z);
void pack_weights_flipped(float* ap, const float* w, const Shape& z, const Shape& t);

// wd[m][k] += dwt[k][m] for a group (dwt is K x mp), by gathers down dwt's columns.
void add_transposed(float* wd, const float* dwt, const Shape& z, int64_t mp);

}  // namespace om::packed

#pragma GCC pop_options
#endif  // OM_PACKED_ENGINE
