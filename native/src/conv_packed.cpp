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
// weight and bias gradients, added up in a fixed order afterwards). They split the output
// columns evenly; only the data gradient added back into images splits whole images.
// Nothing here calls BLAS.
//
// Everything after the includes is compiled for AVX-512 (the pragma below; the standard
// headers stay baseline, so no AVX-512 copy of a shared inline function can leak into
// other files). conv_engine.cpp calls in only when om::packed_supported() is true. Built
// with GCC or Clang on x86-64 (OM_PACKED_ENGINE); elsewhere (ARM nodes, MSVC) the entry
// points below only fail, and packed_supported() is false.
#include "internal.h"

#if OM_PACKED_ENGINE
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <omp.h>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")

namespace om {
namespace {

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

// C tile (mr x 32, masked by dst) = [C +] A (kc x 12) x B (kc x 32, packed) [+ bias].
// A packed (kPanelA false): step k's 12 values at a[k*12 .. k*12 + 11]. A as lowered
// panels (kPanelA true, the weight gradient): kc is a multiple of 32, step k reads row i
// at a[(k / 32) * a_stride + i*32 + k % 32], i.e. 12 rows of consecutive panels.
template <bool kPanelA>
inline void kernel_t(int64_t kc, const float* a, int64_t a_stride, const float* b, const Dst& d,
                     int64_t mr, const float* bias, bool acc) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
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
          for (int i = 0; i < MR; ++i) {
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
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[u * MR + i]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
    }
    a += 2 * MR;
    b += 2 * NR;
  }
  if (k < kc) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
  }
  const __mmask16 a0 = static_cast<__mmask16>(d.m0), a1 = static_cast<__mmask16>(d.m0 >> 16);
  const __mmask16 b0 = static_cast<__mmask16>(d.m1), b1 = static_cast<__mmask16>(d.m1 >> 16);
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
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
    _mm512_mask_storeu_ps(r0, a0, v0);
    _mm512_mask_storeu_ps(r0 + 16, a1, v1);
    if (d.m1 != 0) {
      _mm512_mask_storeu_ps(r1, b0, v0);
      _mm512_mask_storeu_ps(r1 + 16, b1, v1);
    }
  }
}

inline void kernel(int64_t kc, const float* a, const float* b, const Dst& d, int64_t mr,
                   const float* bias, bool acc) {
  kernel_t<false>(kc, a, 0, b, d, mr, bias, acc);
}

struct Shape {
  ConvGeom g;     // n unused
  int64_t group, cout;
  int64_t m, k;   // per group: output channels, lowered rows
  int64_t ohw, in_per, out_per, hw, khw;
  int64_t tiles_m, tiles_k;
};

Shape shape_of(const om_conv_shape& s) {
  Shape z{};
  ConvGeom& g = z.g;
  g.c = s.c; g.h = s.h; g.w = s.w;
  g.kh = s.kh; g.kw = s.kw; g.ph = s.ph; g.pw = s.pw;
  g.sh = s.sh; g.sw = s.sw; g.dh = s.dh; g.dw = s.dw;
  g.oh = (g.h + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1;
  z.group = s.group;
  z.cout = s.cout;
  z.m = s.cout / s.group;
  z.khw = g.kh * g.kw;
  z.k = g.c / s.group * z.khw;
  z.ohw = g.oh * g.ow;
  z.hw = g.h * g.w;
  z.in_per = g.c * z.hw;
  z.out_per = z.cout * z.ohw;
  z.tiles_m = ceil_div(z.m, MR);
  z.tiles_k = ceil_div(z.k, MR);
  return z;
}

// The data gradient of a stride-1 convolution is a convolution too: of the top gradient,
// padded by d*(k-1) - p, with the kernel flipped and input and output channels swapped.
// The packed engine computes it so, with the forward pass's lowering and kernel, when
// that padding is not negative (stride-1 layers with p <= d*(k-1)) and the layer has at
// least kMinTransposedRows input channels per group: each panel of the transposed pass
// lowers Cout/group*kh*kw rows for C/group output rows, and with fewer (CaffeNet's conv2
// has 48) the lowering costs about what the scatter of the other path does.
constexpr int64_t kMinTransposedRows = 64;

bool transposable(const om_conv_shape& s) {
  return s.sh == 1 && s.sw == 1 && int64_t{s.dh} * (s.kh - 1) >= s.ph && int64_t{s.dw} * (s.kw - 1) >= s.pw &&
         s.c / s.group >= kMinTransposedRows;
}

om_conv_shape transposed(const om_conv_shape& s) {
  const Shape z = shape_of(s);
  return om_conv_shape{s.cout, static_cast<int32_t>(z.g.oh), static_cast<int32_t>(z.g.ow), s.kh, s.kw,
                       s.dh * (s.kh - 1) - s.ph, s.dw * (s.kw - 1) - s.pw, 1, 1, s.dh, s.dw, s.c, s.group};
}

// A run of panel lanes [lane, lane + len) that are consecutive ox of one output row,
// with what every lowered row needs of it: the image's offset, and the input row and
// column of its first lane for kernel offset (0, 0).
struct Seg {
  int64_t img, iy0, xs0, len, lane;
};

int segments(const Shape& z, int64_t n0, int64_t nr, Seg* out) {
  int count = 0;
  const ConvGeom& g = z.g;
  for (int64_t lane = 0, n = n0; lane < nr;) {
    const int64_t img = n / z.ohw, q = n % z.ohw, oy = q / g.ow, ox = q % g.ow;
    const int64_t len = std::min(g.ow - ox, nr - lane);
    out[count++] = Seg{img * z.in_per, oy * g.sh - g.ph, ox * g.sw - g.pw, len, lane};
    lane += len;
    n += len;
  }
  return count;
}

// The lanes of seg whose input column x = xs + j*sw (j = lane - seg.lane) lies in [0, w).
inline uint32_t valid_lanes(const Seg& seg, int64_t xs, int64_t sw, int64_t w) {
  int64_t jl, jh;
  if (xs >= 0 && xs + (seg.len - 1) * sw < w) {  // inside the row (most taps): no division
    jl = 0;
    jh = seg.len;
  } else if (sw == 1) {
    jl = std::clamp<int64_t>(-xs, 0, seg.len);
    jh = std::clamp<int64_t>(w - xs, 0, seg.len);
  } else {
    jl = std::clamp<int64_t>(ceil_div(-xs, sw), 0, seg.len);
    jh = std::clamp<int64_t>(ceil_div(w - xs, sw), 0, seg.len);
  }
  return lane_bits(seg.lane + jl, seg.lane + jh);
}

// Lane L (0..15) of a half: L * stride.
inline __m512i lane_times(int64_t stride) {
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  return _mm512_mullo_epi32(iota, _mm512_set1_epi32(static_cast<int>(stride)));
}

// One panel's reads for one kernel offset (i, j): per segment that touches the image,
// where its lanes start relative to a channel plane and which lanes are inside. The same
// for every channel, so a panel computes them once (kh*kw*segments) and then lowers each
// of its K rows with a couple of masked loads per segment.
struct Tap {
  int64_t row;      // offset of the input row (image + iy*w) in the plane
  int32_t x;        // input column of lane 0 (stride 1: row + x + L is lane L's element)
  uint32_t mask;    // lanes read
};

// A panel's taps in the workspace: taps of offset r are tap[start[r] .. start[r + 1]).
struct Taps {
  int64_t khw;
  Tap* tap;
  int32_t* start;
};

// Floats of workspace for one panel's taps (at most kMaxSegs per offset).
int64_t taps_floats(const Shape& z) {
  return round_up(z.khw * kMaxSegs * int64_t{sizeof(Tap) / sizeof(float)} + z.khw + 1, 16);
}

Taps taps_at(float* at, const Shape& z) {
  Tap* tap = reinterpret_cast<Tap*>(at);
  return Taps{z.khw, tap, reinterpret_cast<int32_t*>(tap + z.khw * kMaxSegs)};
}

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
  void hold(const float* bottom, const Shape& z, int64_t cg, int64_t first, int64_t last) {
    const ConvGeom& g = z.g;
    for (int64_t img = first; img <= last; ++img) {
      if (held[img % 2] == img) continue;
      held[img % 2] = img;
      float* d = buf + (img % 2) * slot;
      for (int64_t c = 0; c < g.c / z.group; ++c)
        for (int64_t y = 0; y < g.h; ++y) {
          const float* src = bottom + img * z.in_per + (cg + c) * z.hw + y * g.w;
          float* dr = d + c * plane + y * row;
          for (int64_t p = 0; p < g.sw; ++p)
            for (int64_t q = 0, x = p; x < g.w; ++q, x += g.sw) dr[p * wq + q] = src[x];
        }
    }
  }
};

void make_taps(Taps& t, const Shape& z, const Seg* segs, int nseg, const Phases& ph) {
  const ConvGeom& g = z.g;
  // Per segment and kernel column j, what does not depend on the kernel row: where the
  // segment's lanes start (in the phase copy: phase and position), computed once.
  int64_t first[kMaxSegs][kMaxKw];
  const bool phased = ph.buf != nullptr && g.kw <= kMaxKw;
  if (phased)
    for (int s = 0; s < nseg; ++s) {
      const int64_t slot = (segs[s].img / z.in_per) % 2 * ph.slot;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t xs = segs[s].xs0 + j * g.dw, phase = ((xs % g.sw) + g.sw) % g.sw;
        first[s][j] = slot + phase * ph.wq + (xs - phase) / g.sw - segs[s].lane;
      }
    }
  int32_t count = 0;
  for (int64_t i = 0, r = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j, ++r) {
      t.start[r] = count;
      for (int s = 0; s < nseg; ++s) {
        const Seg& seg = segs[s];
        const int64_t iy = seg.iy0 + i * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        const int64_t xs = seg.xs0 + j * g.dw;
        const uint32_t m = valid_lanes(seg, xs, g.sw, g.w);
        if (m == 0) continue;
        if (phased) {
          // lane L reads phase xs mod sw of row iy at position floor(xs / sw) + (L - seg.lane)
          t.tap[count++] = Tap{iy * ph.row, static_cast<int32_t>(first[s][j]), m};
        } else {
          t.tap[count++] = Tap{seg.img + iy * g.w, static_cast<int32_t>(xs - seg.lane * g.sw), m};
        }
      }
    }
  t.start[z.khw] = count;
}

// Rows [k0, k1) of a group's lowered input for one panel: bp[k - k0][32] (lanes outside
// 0). The group's input is bottom's channels from cg on, or ph's copy when it holds one.
void lower_panel(float* bp, const float* bottom, const Shape& z, int64_t cg, const Taps& t,
                 const Phases& ph, int64_t k0, int64_t k1) {
  const ConvGeom& g = z.g;
  const bool unit = g.sw == 1 || ph.buf != nullptr;
  const __m512i step = lane_times(g.sw);
  const __m512i half = _mm512_set1_epi32(static_cast<int>(16 * g.sw));
  for (int64_t c = k0 / t.khw, k = k0; k < k1; ++c) {
    const float* plane = ph.buf != nullptr ? ph.buf + c * ph.plane : bottom + (cg + c) * z.hw;
    for (int64_t r = k % t.khw; r < t.khw && k < k1; ++r, ++k) {
      __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
      for (int32_t s = t.start[r]; s < t.start[r + 1]; ++s) {
        const Tap& tp = t.tap[s];
        const __mmask16 m0 = static_cast<__mmask16>(tp.mask), m1 = static_cast<__mmask16>(tp.mask >> 16);
        if (unit) {
          const float* src = plane + tp.row + tp.x;  // lane L reads src[L]
          v0 = _mm512_mask_loadu_ps(v0, m0, src);
          v1 = _mm512_mask_loadu_ps(v1, m1, src + 16);
        } else {
          const float* row = plane + tp.row;  // lane L reads row[x + L * sw]
          const __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(tp.x)), step);
          v0 = _mm512_mask_i32gather_ps(v0, m0, x0, row, 4);
          v1 = _mm512_mask_i32gather_ps(v1, m1, _mm512_add_epi32(x0, half), row, 4);
        }
      }
      _mm512_storeu_ps(bp + (k - k0) * NR, v0);
      _mm512_storeu_ps(bp + (k - k0) * NR + 16, v1);
    }
  }
}

// bottom_diff += rows [k0, k1) of one panel's lowered gradient (dcol[k - k0][32]), for
// the group whose first channel is cg.
void col2im_panel(float* bottom_diff, const float* dcol, const Shape& z, int64_t cg,
                  int64_t k0, int64_t k1, const Taps& t) {
  const ConvGeom& g = z.g;
  const __m512i step = lane_times(g.sw);
  const __m512i half = _mm512_set1_epi32(static_cast<int>(16 * g.sw));
  for (int64_t k = k0; k < k1; ++k) {
    const int64_t c = k / t.khw, r = k % t.khw;
    float* plane = bottom_diff + (cg + c) * z.hw;
    const float* dk = dcol + (k - k0) * NR;
    const __m512 d0 = _mm512_loadu_ps(dk), d1 = _mm512_loadu_ps(dk + 16);
    for (int32_t s = t.start[r]; s < t.start[r + 1]; ++s) {
      const Tap& tp = t.tap[s];
      const __mmask16 m0 = static_cast<__mmask16>(tp.mask), m1 = static_cast<__mmask16>(tp.mask >> 16);
      if (g.sw == 1) {
        float* dst = plane + tp.row + tp.x;
        if (m0) _mm512_mask_storeu_ps(dst, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, dst), d0));
        if (m1) _mm512_mask_storeu_ps(dst + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, dst + 16), d1));
      } else {
        float* row = plane + tp.row;
        const __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(tp.x)), step);
        const __m512i x1 = _mm512_add_epi32(x0, half);
        if (m0) {
          const __m512 cur = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, x0, row, 4);
          _mm512_mask_i32scatter_ps(row, m0, x0, _mm512_add_ps(cur, d0), 4);
        }
        if (m1) {
          const __m512 cur = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, x1, row, 4);
          _mm512_mask_i32scatter_ps(row, m1, x1, _mm512_add_ps(cur, d1), 4);
        }
      }
    }
  }
}

// Where the panel's 32 output columns lie in an (N, channels, OH*OW) tensor: channel ch of
// the panel's first image at p0 (+ lane), of the next image at p1 (+ lane). False when the
// panel spans more than two images (OH*OW < 32): the caller goes lane by lane.
bool panel_dst(const Shape& z, float* base, int64_t n0, int64_t nr, int64_t ch, Dst& d) {
  const int64_t img = n0 / z.ohw, q = n0 % z.ohw, split = z.ohw - q;
  if (nr > split && nr - split > z.ohw) return false;
  d.p0 = base + img * z.out_per + ch * z.ohw + q;
  d.ldc = z.ohw;
  if (nr <= split) {
    d.p1 = d.p0;
    d.m0 = lane_bits(0, nr);
    d.m1 = 0;
  } else {
    d.p1 = base + (img + 1) * z.out_per + ch * z.ohw - split;
    d.m0 = lane_bits(0, split);
    d.m1 = lane_bits(split, nr);
  }
  return true;
}

// Lowered rows per multiply in the forward pass: at most kL1Rows (the panel's block,
// kc x 32 floats, stays in L1 over the 12-row tiles: CaffeNet conv1, K = 363, ran 1.15x
// faster in blocks of 192-256 rows than whole) and fewer when the packed weights' block
// would not fit in L2. Then lowered rows per block of the data gradient.
constexpr int64_t kL1Rows = 256;

int64_t forward_kc(const Shape& z) {
  const int64_t whole = z.tiles_m * MR * z.k * 4;
  if (whole <= kL2Bytes) return std::min(z.k, kL1Rows);
  return std::min(kL1Rows, std::max<int64_t>(64, kL2Bytes / (z.tiles_m * MR * 4) / 8 * 8));
}
int64_t backward_kb(const Shape& z) {
  const int64_t rows = std::max<int64_t>(MR, kL2Bytes / 2 / (std::max<int64_t>(z.m, 1) * 4) / MR * MR);
  return std::min(rows, z.tiles_k * MR);
}

struct Work {  // floats of workspace
  int64_t shared;                                  // packed weights, all groups
  int64_t panels, stage, dyt, dwt, dy, dcol, taps, phases, grad, per_part;
};

Work work_of(const om_conv_shape& s, int64_t partitions) {
  const Shape z = shape_of(s);
  Work w{};
  const int64_t mp = round_up(z.m, NR);
  int64_t shared = std::max(z.tiles_m * MR * z.k, z.tiles_k * MR * z.m), kmax = z.k;
  if (transposable(s)) {
    const Shape t = shape_of(transposed(s));
    shared = std::max(shared, t.tiles_m * MR * t.k);
    kmax = std::max(kmax, t.k);
  }
  w.shared = round_up(z.group * shared, 16);
  // + one tile of rows: the weight gradient's last tile of K reads (and drops) past row K.
  w.panels = round_up(kmax * NR * kMacro + MR * NR, 16);
  // Panels over three or more images (OH*OW < 32) sum in a stage of all the panel's rows.
  w.stage = z.ohw < NR ? round_up(z.tiles_m * MR * NR * kMacro, 16) : 0;
  if (transposable(s)) {
    const Shape t = shape_of(transposed(s));
    if (t.ohw < NR) w.stage = std::max(w.stage, round_up(t.tiles_m * MR * NR * kMacro, 16));
  }
  w.dyt = mp * NR * kMacro;
  w.dwt = round_up(z.k * mp, 16);
  w.dy = round_up(z.m * NR * kMacro, 16);
  w.dcol = round_up(backward_kb(z) * NR * kMacro, 16);
  w.taps = taps_floats(z) * kMacro;
  w.phases = Phases::floats(z);
  w.grad = partitions > 1 ? round_up(z.group * z.m * z.k + z.cout, 16) : 0;
  // Forward (and the transposed data gradient): panels, stage. Weight gradient: panels,
  // dyt, dwt. Strided data gradient: dy, dcol.
  w.per_part = std::max({w.panels + w.stage, w.panels + w.dyt + w.dwt, w.dy + w.dcol}) + w.taps + w.phases + w.grad;
  return w;
}

// Weights (Cout, K) of every group as 12-row tiles, K deep: ap[g][tile][k][12].
void pack_weights(float* ap, const float* w, const Shape& z) {
  for (int64_t g = 0; g < z.group; ++g)
    for (int64_t t = 0; t < z.tiles_m; ++t) {
      float* d = ap + (g * z.tiles_m + t) * MR * z.k;
      for (int64_t i = 0; i < MR; ++i) {
        const int64_t m = t * MR + i;
        const float* src = w + (g * z.m + std::min(m, z.m - 1)) * z.k;
        for (int64_t k = 0; k < z.k; ++k) d[k * MR + i] = m < z.m ? src[k] : 0.0f;
      }
    }
}

// Transposed weights (K, M) of every group as 12-row tiles of K, M deep: ap[g][tile][m][12].
void pack_weights_t(float* ap, const float* w, const Shape& z) {
  for (int64_t g = 0; g < z.group; ++g)
    for (int64_t t = 0; t < z.tiles_k; ++t) {
      float* d = ap + (g * z.tiles_k + t) * MR * z.m;
      for (int64_t m = 0; m < z.m; ++m) {
        const float* src = w + (g * z.m + m) * z.k + t * MR;
        for (int64_t i = 0; i < MR; ++i) d[m * MR + i] = t * MR + i < z.k ? src[i] : 0.0f;
      }
    }
}

// The transposed convolution's weights (see transposable) as 12-row tiles: row c of
// group g, column (m, i, j) holds w[g*M + m][c][kh-1-i][kw-1-j]. t is transposed(s)'s shape.
void pack_weights_flipped(float* ap, const float* w, const Shape& z, const Shape& t) {
  for (int64_t g = 0; g < z.group; ++g)
    for (int64_t tile = 0; tile < t.tiles_m; ++tile) {
      float* d = ap + (g * t.tiles_m + tile) * MR * t.k;
      for (int64_t i = 0; i < MR; ++i) {
        const int64_t c = tile * MR + i;
        for (int64_t m = 0; m < z.m; ++m) {
          const float* src = w + (g * z.m + m) * z.k + std::min(c, t.m - 1) * z.khw + (z.khw - 1);
          for (int64_t r = 0; r < z.khw; ++r) d[(m * z.khw + r) * MR + i] = c < t.m ? src[-r] : 0.0f;
        }
      }
    }
}

// Runs body(part) for the P partitions, on P threads (or as many as there are).
template <class Body>
void for_partitions(int64_t p, Body&& body) {
  if (p == 1) {
    body(int64_t{0});
    return;
  }
  const int team = static_cast<int>(std::min<int64_t>(p, threads()));
#pragma omp parallel for schedule(static, 1) num_threads(team)
  for (int64_t part = 0; part < p; ++part) body(part);
}

// Partition part's share [first, last) of total units.
inline int64_t share(int64_t total, int64_t part, int64_t p) { return total * part / p; }

}  // namespace

int64_t packed_workspace_floats(const om_conv_shape& s, int64_t partitions) {
  const Work w = work_of(s, partitions);
  return checked_mul(w.per_part, partitions) + w.shared;
}

// One partition's forward pass over output columns [nlo, nhi) (image-major, any split):
// top = conv(bottom) (+ bias) with the packed weights ap. Per block of kMacro panels and
// per block of kc lowered rows, the rows are lowered into bp (kMacro x kc x 32 floats, in
// L2) and multiplied at once: the weights' block and the panels' blocks stay in cache.
// taps: kMacro panels' taps, taps_floats(z) apart; stage: tiles_m*12 x 32 floats per
// panel, for panels over three or more images (OH*OW < 32).
void forward_part(const Shape& z, float* top, const float* bottom, const float* ap,
                  const float* bias, float* bp, float* stage, float* taps_area, Phases ph,
                  int64_t nlo, int64_t nhi) {
  const int64_t kc_max = forward_kc(z);
  Seg segs[kMaxSegs];
  Taps taps[kMacro];
  for (int64_t j = 0; j < kMacro; ++j) taps[j] = taps_at(taps_area + j * taps_floats(z), z);
  // Groups outermost: a group's packed weights stay in cache over all its panels.
  for (int64_t g = 0; g < z.group; ++g) {
    const int64_t cg = g * (z.g.c / z.group);
    ph.new_group();
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
              kernel(kc, a, b, d, mr, bias_t, pc > 0);
              continue;
            }
            // A panel over three or more images: sums in stage, written out at the end.
            float* sti = st + t * MR * NR;
            kernel(kc, a, b, Dst{sti, sti, NR, lane_bits(0, nr), 0}, mr, bias_t, pc > 0);
            if (!last) continue;
            for (int64_t l = 0; l < nr; ++l) {
              const int64_t img = (n0 + l) / z.ohw, q = (n0 + l) % z.ohw;
              for (int64_t i = 0; i < mr; ++i)
                top[img * z.out_per + (ch + i) * z.ohw + q] = sti[i * NR + l];
            }
          }
        }
      }
    }
  }
}

void packed_forward(float* top, const float* bottom, const float* weights, const float* bias,
                    float* ws, int64_t n, const om_conv_shape& s, int64_t partitions) {
  const Shape z = shape_of(s);
  const Work w = work_of(s, partitions);
  float* ap = ws;
  pack_weights(ap, weights, z);
  // Partitions split the output columns evenly, whatever the batch: a batch smaller than
  // the core count (or a scheduler replica's share) still keeps every core busy.
  const int64_t cols = n * z.ohw;
  for_partitions(partitions, [&](int64_t part) {
    float* bp = ws + w.shared + part * w.per_part;  // kMacro panels of K x 32
    forward_part(z, top, bottom, ap, bias, bp, bp + w.panels, bp + (w.per_part - w.grad - w.taps),
                 Phases(bp + (w.per_part - w.grad - w.taps - w.phases), z),
                 share(cols, part, partitions), share(cols, part + 1, partitions));
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
  // The weight gradient and the transposed data gradient split columns evenly; the data
  // gradient added back into the images splits images (no two partitions add to one image).
  for_partitions(partitions, [&](int64_t part) {
    const int64_t lo = share(n, part, partitions), hi = share(n, part + 1, partitions);
    float* base = ws + w.shared + part * w.per_part;
    float* wd = weight_diff;
    float* bd = bias_diff;
    if (partitions > 1) {
      wd = base + (w.per_part - w.grad);
      bd = wd + wcount;
      std::fill(wd, wd + wcount + z.cout, 0.0f);
    }
    int64_t nlo = share(n * z.ohw, part, partitions), nhi = share(n * z.ohw, part + 1, partitions);
    const ConvGeom& g = z.g;

    Taps taps[kMacro];
    for (int64_t j = 0; j < kMacro; ++j)
      taps[j] = taps_at(base + (w.per_part - w.grad - w.taps) + j * taps_floats(z), z);
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
      Phases ph(base + (w.per_part - w.grad - w.taps - w.phases), z);
      for (int64_t gi = 0; gi < z.group; ++gi) {
        const int64_t cg = gi * (g.c / z.group);
        std::fill(dwt, dwt + z.k * mp, 0.0f);
        ph.new_group();
        for (int64_t mac = nlo; mac < nhi; mac += cols_max) {
          const int64_t panels = std::min(kMacro, ceil_div(nhi - mac, NR));
          const int64_t cols = std::min(cols_max, nhi - mac);
          if (ph.buf != nullptr) ph.hold(bottom, z, cg, mac / z.ohw, (mac + cols - 1) / z.ohw);
          for (int64_t j = 0; j < panels; ++j) {
            const int64_t n0 = mac + j * NR;
            make_taps(taps[0], z, segs, segments(z, n0, std::min(NR, nhi - n0), segs), ph);
            lower_panel(lp + j * z.k * NR, bottom, z, cg, taps[0], ph, 0, z.k);
          }
          for (int64_t m = 0; m < mp; ++m) {
            float* d = dyt + (m / NR) * cols_max * NR + m % NR;
            int64_t c = 0;
            if (m < z.m) {
              float sum = 0.0f;
              while (c < cols) {
                const int64_t nn = mac + c, img = nn / z.ohw, q = nn % z.ohw;
                const int64_t len = std::min(z.ohw - q, cols - c);
                const float* src = top_diff + img * z.out_per + (gi * z.m + m) * z.ohw + q;
                for (int64_t l = 0; l < len; ++l) {
                  d[(c + l) * NR] = src[l];
                  sum += src[l];
                }
                c += len;
              }
              if (bd != nullptr) bd[gi * z.m + m] += sum;
            }
            for (; c < panels * NR; ++c) d[c * NR] = 0.0f;
          }
          for (int64_t t = 0; t < z.tiles_k; ++t)
            for (int64_t mt = 0; mt < mp / NR; ++mt) {
              float* c0 = dwt + t * MR * mp + mt * NR;
              kernel_t<true>(panels * NR, lp + t * MR * NR, z.k * NR, dyt + mt * cols_max * NR,
                             Dst{c0, c0, mp, lane_bits(0, std::min(NR, z.m - mt * NR)), 0},
                             std::min(MR, z.k - t * MR), nullptr, true);
            }
        }
        for (int64_t m = 0; m < z.m; ++m) {
          float* row = wd + (gi * z.m + m) * z.k;
          for (int64_t k = 0; k < z.k; ++k) row[k] += dwt[k * mp + m];
        }
      }
    }

    // ---- data gradient of a stride-1 layer: the transposed convolution, as a forward pass
    if (bottom_diff == nullptr) return;
    if (conv_t) {
      forward_part(zt, bottom_diff, top_diff, awt, nullptr, base, base + w.panels,
                   base + (w.per_part - w.grad - w.taps), Phases(),
                   share(n * zt.ohw, part, partitions), share(n * zt.ohw, part + 1, partitions));
      return;
    }
    // ---- data gradient otherwise: kMacro panels at a time, in blocks of kb lowered rows
    // (the block's packed weights stay in L2 over the panels), added into the image
    std::fill(bottom_diff + lo * z.in_per, bottom_diff + hi * z.in_per, 0.0f);
    nlo = lo * z.ohw;
    nhi = hi * z.ohw;
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
  });
  if (partitions == 1) return;
  const int64_t total = wcount + z.cout;
  const bool par = total >= kParallelMin;
#pragma omp parallel for schedule(static) num_threads(threads()) if (par)
  for (int64_t i = 0; i < total; ++i) {
    float acc = 0.0f;
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
                    const om_conv_shape&, int64_t) {
  invalid("the packed convolution engine is not built for this architecture");
}
void packed_backward(float*, float*, float*, const float*, const float*, const float*, float*,
                     int64_t, const om_conv_shape&, int64_t) {
  invalid("the packed convolution engine is not built for this architecture");
}
}  // namespace om

#endif  // OM_PACKED_ENGINE
