// conv_engine.cpp: kernels and exports of omnivore_conv_engine.h: a convolution layer's
// forward and backward pass under a plan of P partitions x B images per lowering.
//
// Threading. With P > 1 one OpenMP region of min(P, threads) threads runs the work,
// each thread in a partition's workspace; inside it the lowering kernels' own OpenMP loops are nested
// and so run on their thread only (libgomp's default max-active-levels is 1), and
// OpenBLAS is set to one thread for the region. OpenBLAS 0.3.21 built with pthreads
// (Debian's libopenblas0-pthread) is safe for concurrent calls from several threads
// when its thread count is 1: each call then runs on its caller with its own buffer
// from the locked buffer pool, never touching the shared worker threads. The thread
// count is process-global, which is why it is restored at once after the region.
// Lowerings go to the threads as they come free (for_units, below). Weight and
// bias gradients: each partition (or fixed chunk of lowerings) accumulates into its own
// zeroed slice of the workspace, and the slices are added to the caller's gradients in a
// fixed order afterwards (a few hundred thousand floats against gigaflops of sgemm).
#include <algorithm>
#include <cblas.h>
#include <cstring>
#include <omp.h>

#include "chunks.h"
#include "internal.h"

using namespace om;

namespace {

struct Plan {
  int64_t p, b;
};

struct Sizes {
  int64_t in_per, out_per, ohw, rows;  // rows = C*KH*KW
  int64_t m, k;                        // per group: Cout/group, rows/group
  int64_t wcount;                      // Cout * rows / group
  int64_t col, stage, grad, per_part;  // workspace floats per partition
  int64_t chunks;                      // chunks of lowerings of the weight gradient (grad_chunks)
  int64_t chunk_grad;                  // floats of one chunk's gradients (0: not chunked)
  int64_t total;                       // workspace floats in all
};

// With P > 1, lowerings (groups of B images from image 0) go to the partitions' threads as
// they come free (chunks.h), not as even shares: the cores of a shared machine seldom run
// at one speed. The forward pass computes each output from its own lowering alone.
// Backward, where the weight gradient (with the bias's) is small (chunks.h's
// kGradChunkFloats for all chunks: LeNet's layers, CaffeNet's conv1), the lowerings go in
// fixed chunks (grad_chunks), each summing into its own gradient, added in a fixed order
// at the end; otherwise each partition takes an even share of the images and sums into
// its own gradient, as the packed engine does (conv_packed.cpp).

ConvGeom geom_of(const om_conv_shape& s, int64_t n) {
  ConvGeom g{};
  g.n = n; g.c = s.c; g.h = s.h; g.w = s.w;
  g.kh = s.kh; g.kw = s.kw; g.ph = s.ph; g.pw = s.pw;
  g.sh = s.sh; g.sw = s.sw; g.dh = s.dh; g.dw = s.dw;
  g.oh = (int64_t{s.h} + 2 * s.ph - (int64_t{s.dh} * (s.kh - 1) + 1)) / s.sh + 1;
  g.ow = (int64_t{s.w} + 2 * s.pw - (int64_t{s.dw} * (s.kw - 1) + 1)) / s.sw + 1;
  return g;
}

Sizes sizes_of(const om_conv_shape& s, const Plan& pl) {
  const ConvGeom g = geom_of(s, 1);
  Sizes z{};
  z.ohw = g.oh * g.ow;
  z.in_per = int64_t{s.c} * s.h * s.w;
  z.out_per = int64_t{s.cout} * z.ohw;
  z.rows = int64_t{s.c} * s.kh * s.kw;
  z.m = s.cout / s.group;
  z.k = z.rows / s.group;
  z.wcount = int64_t{s.cout} * z.k;
  z.col = checked_mul(z.rows, pl.b, z.ohw);
  z.stage = pl.b > 1 ? checked_mul(s.cout, pl.b, z.ohw) : 0;
  const int64_t grad = z.wcount + s.cout;
  z.chunks = grad_chunks(pl.p);
  z.chunk_grad = pl.p > 1 && z.chunks * grad <= kGradChunkFloats ? grad : 0;
  z.grad = pl.p > 1 && z.chunk_grad == 0 ? grad : 0;
  z.per_part = z.col + z.stage + z.grad;
  z.total = checked_mul(z.per_part, pl.p) + z.chunks * z.chunk_grad;
  return z;
}

void validate(const om_conv_shape* s, int64_t n, const Plan& pl) {
  if (s == nullptr) invalid("shape is NULL");
  check_nonneg("n", n);
  check_positive("c", s->c);
  check_positive("h", s->h);
  check_positive("w", s->w);
  check_positive("kh", s->kh);
  check_positive("kw", s->kw);
  check_nonneg("ph", s->ph);
  check_nonneg("pw", s->pw);
  check_positive("sh", s->sh);
  check_positive("sw", s->sw);
  check_positive("dh", s->dh);
  check_positive("dw", s->dw);
  check_positive("cout", s->cout);
  check_positive("group", s->group);
  check_positive("partitions", pl.p);
  check_positive("images_per_lowering", pl.b);
  if (s->c % s->group != 0 || s->cout % s->group != 0)
    invalid("group %d must divide c %d and cout %d", s->group, s->c, s->cout);
  const ConvGeom g = geom_of(*s, 1);
  if (g.oh <= 0 || g.ow <= 0) invalid("kernel does not fit the padded input");
}

// Runs body(part, lo, hi) for every partition, concurrently when P > 1.
template <class Body>
void for_partitions(int64_t n, const Plan& pl, Body&& body) {
  if (pl.p == 1) {
    body(int64_t{0}, int64_t{0}, n);
    return;
  }
  const int team = static_cast<int>(std::min<int64_t>(pl.p, threads()));
  // OpenBLAS's thread count is process-wide: single-threaded sgemm inside the partitions,
  // then back to exactly what it was (which may differ from the OpenMP setting).
  const int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
#pragma omp parallel for schedule(static, 1) num_threads(team)
  for (int64_t part = 0; part < pl.p; ++part) body(part, n * part / pl.p, n * (part + 1) / pl.p);
  openblas_set_num_threads(saved);
}

// Runs body(part, lo, hi) for units [0, units) in chunks taken by the partitions' threads
// as they come free (part: the thread's partition), or at once when P is 1.
template <class Body>
void for_units(int64_t units, const Plan& pl, Body&& body) {
  if (pl.p == 1) {
    body(int64_t{0}, int64_t{0}, units);
    return;
  }
  const int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
  for_chunks(static_cast<int>(std::min<int64_t>(pl.p, threads())), units, 1, body);
  openblas_set_num_threads(saved);
}

// C (per group) = W_g (m, k) x col_g (k, cols), beta 0, groups stacked by rows.
void gemm_forward(float* out, const float* w, const float* col, const Sizes& z, int64_t group,
                  int64_t cols) {
  for (int64_t g = 0; g < group; ++g)
    sgemm(false, false, z.m, cols, z.k, 1.0f, w + g * z.m * z.k, z.k, col + g * z.k * cols,
          cols, 0.0f, out + g * z.m * cols, cols);
}

void forward(float* top, const float* bottom, const float* w, const float* bias, float* ws,
             int64_t n, const om_conv_shape& s, const Plan& pl) {
  const Sizes z = sizes_of(s, pl);
  for_units((n + pl.b - 1) / pl.b, pl, [&](int64_t part, int64_t lo, int64_t hi) {
    float* col = ws + part * z.per_part;
    float* stage = col + z.col;
    for (int64_t start = lo * pl.b; start < std::min(n, hi * pl.b); start += pl.b) {
      const int64_t bb = std::min(pl.b, n - start);
      const int64_t cols = bb * z.ohw;
      im2col_batch(col, bottom + start * z.in_per, geom_of(s, bb));
      float* dst = top + start * z.out_per;
      if (bb == 1) {
        // (Cout, OH*OW) is already the image's layout: no transpose.
        gemm_forward(dst, w, col, z, s.group, cols);
        if (bias != nullptr)
          for (int64_t c = 0; c < s.cout; ++c) {
            float* row = dst + c * z.ohw;
            const float b = bias[c];
            for (int64_t q = 0; q < z.ohw; ++q) row[q] += b;
          }
      } else {
        gemm_forward(stage, w, col, z, s.group, cols);
        cnhw_to_nchw(dst, stage, bias, bb, s.cout, z.ohw);
      }
    }
  });
}

void backward(float* bottom_diff, float* weight_diff, float* bias_diff, const float* top_diff,
              const float* bottom, const float* w, float* ws, int64_t n,
              const om_conv_shape& s, const Plan& pl) {
  const Sizes z = sizes_of(s, pl);
  // Images [lo, hi) in lowerings of B from lo, gradients added into wd and bd.
  const auto images = [&](int64_t part, int64_t lo, int64_t hi, float* wd, float* bd) {
    float* col = ws + part * z.per_part;
    float* stage = col + z.col;
    for (int64_t start = lo; start < hi; start += pl.b) {
      const int64_t bb = std::min(pl.b, hi - start);
      const int64_t cols = bb * z.ohw;
      const float* td = top_diff + start * z.out_per;
      if (bb > 1) {
        nchw_to_cnhw(stage, td, bb, s.cout, z.ohw);
        td = stage;
      }
      if (bias_diff != nullptr) row_sums_acc(bd, td, s.cout, cols);
      const ConvGeom g = geom_of(s, bb);
      im2col_batch(col, bottom + start * z.in_per, g);
      for (int64_t gi = 0; gi < s.group; ++gi)
        sgemm(false, true, z.m, z.k, cols, 1.0f, td + gi * z.m * cols, cols,
              col + gi * z.k * cols, cols, 1.0f, wd + gi * z.m * z.k, z.k);
      if (bottom_diff == nullptr) continue;
      // The lowered input is no longer needed: its buffer takes the lowered gradient.
      for (int64_t gi = 0; gi < s.group; ++gi)
        sgemm(true, false, z.k, cols, z.m, 1.0f, w + gi * z.m * z.k, z.k,
              td + gi * z.m * cols, cols, 0.0f, col + gi * z.k * cols, cols);
      col2im_batch(bottom_diff + start * z.in_per, col, g);
    }
  };
  float* chunk_grads = ws + pl.p * z.per_part;
  const int64_t lowerings = (n + pl.b - 1) / pl.b, chunks = std::min(lowerings, z.chunks);
  if (pl.p == 1) {
    images(0, 0, n, weight_diff, bias_diff);
    return;
  }
  if (z.chunk_grad != 0) {
    // Chunk c: lowerings [c L / chunks, (c + 1) L / chunks) of the L, into its own gradient.
    for_units(chunks, pl, [&](int64_t part, int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        float* wd = chunk_grads + c * z.chunk_grad;
        std::fill(wd, wd + z.chunk_grad, 0.0f);
        images(part, std::min(n, lowerings * c / chunks * pl.b), std::min(n, lowerings * (c + 1) / chunks * pl.b), wd,
               wd + z.wcount);
      }
    });
  } else {
    for_partitions(n, pl, [&](int64_t part, int64_t lo, int64_t hi) {
      float* wd = ws + part * z.per_part + z.col + z.stage;
      std::fill(wd, wd + z.grad, 0.0f);
      images(part, lo, hi, wd, wd + z.wcount);
    });
  }
  // Reduce the private gradients in a fixed order (deterministic for a given plan).
  if (z.chunk_grad != 0)
    add_copies(weight_diff, bias_diff, z.wcount, s.cout, chunks, [&](int64_t c) { return chunk_grads + c * z.chunk_grad; });
  else
    add_copies(weight_diff, bias_diff, z.wcount, s.cout, pl.p,
               [&](int64_t part) { return ws + part * z.per_part + z.col + z.stage; });
}

}  // namespace

namespace om {
bool packed_supported() {
#if OM_PACKED_ENGINE
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return ok;
#else
  return false;
#endif
}
}  // namespace om

extern "C" {

OM_API int32_t om_conv_workspace_floats(int64_t* floats, const om_conv_shape* s,
                                        int32_t partitions, int32_t images_per_lowering) {
  return guard("om_conv_workspace_floats", [&] {
    check_ptr("floats", floats, 1);
    const Plan pl{partitions, images_per_lowering};
    validate(s, 0, pl);
    *floats = sizes_of(*s, pl).total;
  });
}

// Floats of workspace the plan needs; throws when the caller's workspace is smaller.
static int64_t workspace_need(const Sizes& z, int64_t workspace_floats) {
  const int64_t need = z.total;
  if (workspace_floats < need)
    invalid("workspace has %lld floats, the plan needs %lld",
            static_cast<long long>(workspace_floats), static_cast<long long>(need));
  return need;
}

OM_API int32_t om_conv_forward(float* top, const float* bottom, const float* weights,
                               const float* bias, float* workspace, int64_t workspace_floats,
                               int32_t n, const om_conv_shape* s, int32_t partitions,
                               int32_t images_per_lowering) {
  return guard("om_conv_forward", [&] {
    const Plan pl{partitions, images_per_lowering};
    validate(s, n, pl);
    const Sizes z = sizes_of(*s, pl);
    const int64_t need = workspace_need(z, workspace_floats);
    check_ptr("top", top, checked_mul(n, z.out_per));
    check_ptr("bottom", bottom, checked_mul(n, z.in_per));
    check_ptr("weights", weights, z.wcount);
    check_ptr("workspace", workspace, need);
    if (n == 0) return;
    forward(top, bottom, weights, bias, workspace, n, *s, pl);
  });
}

OM_API int32_t om_conv_backward(float* bottom_diff, float* weight_diff, float* bias_diff,
                                const float* top_diff, const float* bottom,
                                const float* weights, float* workspace,
                                int64_t workspace_floats, int32_t n, const om_conv_shape* s,
                                int32_t partitions, int32_t images_per_lowering) {
  return guard("om_conv_backward", [&] {
    const Plan pl{partitions, images_per_lowering};
    validate(s, n, pl);
    const Sizes z = sizes_of(*s, pl);
    const int64_t need = workspace_need(z, workspace_floats);
    check_ptr("weight_diff", weight_diff, z.wcount);
    check_ptr("top_diff", top_diff, checked_mul(n, z.out_per));
    check_ptr("bottom", bottom, checked_mul(n, z.in_per));
    check_ptr("weights", weights, z.wcount);
    check_ptr("workspace", workspace, need);
    if (n == 0) return;
    backward(bottom_diff, weight_diff, bias_diff, top_diff, bottom, weights, workspace, n, *s,
             pl);
  });
}

OM_API int32_t om_conv_packed_supported(void) { return packed_supported() ? 1 : 0; }

// Validation shared by the packed exports; returns the floats the workspace must hold.
static int64_t packed_checks(const om_conv_shape* s, int64_t n, int32_t partitions) {
  if (!packed_supported())
    invalid("the packed convolution engine needs a CPU with AVX-512 (F, DQ, BW, VL); use the batched or caffe mode");
  validate(s, n, Plan{partitions, 1});
  const ConvGeom g = geom_of(*s, 1);
  if (checked_mul(s->c, s->h, s->w) >= (int64_t{1} << 31) || g.ow * int64_t{s->sw} >= (int64_t{1} << 30))
    invalid("image too large for the packed engine (its gathers index with 32-bit offsets)");
  return packed_workspace_floats(*s, partitions);
}

// The checks of a packed pass: shape, workspace, and the buffers both passes read.
static Sizes packed_pass_checks(const om_conv_shape* s, int64_t n, int32_t partitions,
                                const float* workspace, int64_t workspace_floats,
                                const float* bottom, const float* weights) {
  const int64_t need = packed_checks(s, n, partitions);
  if (workspace_floats < need)
    invalid("workspace has %lld floats, the packed engine needs %lld",
            static_cast<long long>(workspace_floats), static_cast<long long>(need));
  const Sizes z = sizes_of(*s, Plan{partitions, 1});
  check_ptr("bottom", bottom, checked_mul(n, z.in_per));
  check_ptr("weights", weights, z.wcount);
  check_ptr("workspace", workspace, need);
  return z;
}

OM_API int32_t om_conv_packed_workspace_floats(int64_t* floats, const om_conv_shape* s,
                                               int32_t partitions) {
  return guard("om_conv_packed_workspace_floats", [&] {
    check_ptr("floats", floats, 1);
    *floats = packed_checks(s, 0, partitions);
  });
}

// The two forward entry points: the same checks and pass, with or without the fused ReLU.
static int32_t packed_forward_entry(const char* name, bool relu, float* top, const float* bottom,
                                    const float* weights, const float* bias, float* workspace,
                                    int64_t workspace_floats, int32_t n, const om_conv_shape* s,
                                    int32_t partitions) {
  return guard(name, [&] {
    const Sizes z = packed_pass_checks(s, n, partitions, workspace, workspace_floats, bottom, weights);
    check_ptr("top", top, checked_mul(n, z.out_per));
    if (n == 0) return;
    packed_forward(top, bottom, weights, bias, workspace, n, *s, partitions, relu);
  });
}

OM_API int32_t om_conv_packed_forward(float* top, const float* bottom, const float* weights,
                                      const float* bias, float* workspace,
                                      int64_t workspace_floats, int32_t n,
                                      const om_conv_shape* s, int32_t partitions) {
  return packed_forward_entry("om_conv_packed_forward", false, top, bottom, weights, bias, workspace,
                              workspace_floats, n, s, partitions);
}

OM_API int32_t om_conv_packed_forward_relu(float* top, const float* bottom, const float* weights,
                                           const float* bias, float* workspace,
                                           int64_t workspace_floats, int32_t n,
                                           const om_conv_shape* s, int32_t partitions) {
  return packed_forward_entry("om_conv_packed_forward_relu", true, top, bottom, weights, bias, workspace,
                              workspace_floats, n, s, partitions);
}

OM_API int32_t om_conv_packed_backward(float* bottom_diff, float* weight_diff,
                                       float* bias_diff, const float* top_diff,
                                       const float* bottom, const float* weights,
                                       float* workspace, int64_t workspace_floats, int32_t n,
                                       const om_conv_shape* s, int32_t partitions) {
  return guard("om_conv_packed_backward", [&] {
    const Sizes z = packed_pass_checks(s, n, partitions, workspace, workspace_floats, bottom, weights);
    check_ptr("weight_diff", weight_diff, z.wcount);
    check_ptr("top_diff", top_diff, checked_mul(n, z.out_per));
    if (n == 0) return;
    packed_backward(bottom_diff, weight_diff, bias_diff, top_diff, bottom, weights, workspace,
                    n, *s, partitions);
  });
}

}  // extern "C"
