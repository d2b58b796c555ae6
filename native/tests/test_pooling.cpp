// test_pooling.cpp: MAX and AVE pooling, forward against a naive reference of Caffe's
// definition, backward against the naive reference and against central finite
// differences of sum(top * r); MAX backward with the ReLU's backward fused, against the
// two calls; 2x2 stride-2 windows tiling the plane (AVX-512 path) at their edges. Shapes use Caffe's ceil-mode output size, so the last window hangs over the
// bottom/right edge.
#include <cfloat>
#include <cstring>
#include <limits>
#include <numeric>

#include "test_util.h"

struct Pool {
  int n, c, h, w, kh, kw, sh, sw, ph, pw;
  // Caffe: ceil((H + 2P - K) / S) + 1, minus one if the last window starts in the padding.
  static int out(int size, int k, int s, int p) {
    int o = static_cast<int>(std::ceil(static_cast<float>(size + 2 * p - k) / s)) + 1;
    if (p > 0 && (o - 1) * s >= size + p) --o;
    return o;
  }
  int oh() const { return out(h, kh, sh, ph); }
  int ow() const { return out(w, kw, sw, pw); }
  size_t in_size() const { return static_cast<size_t>(n) * c * h * w; }
  size_t out_size() const { return static_cast<size_t>(n) * c * oh() * ow(); }
};

static void naive_max(const Pool& g, const std::vector<float>& x, std::vector<float>& top,
                      std::vector<int32_t>& mask) {
  const int oh = g.oh(), ow = g.ow();
  top.assign(g.out_size(), 0.0f);
  mask.assign(g.out_size(), -7);
  for (int p = 0; p < g.n * g.c; ++p)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        float best = -FLT_MAX;
        int at = -1;
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int y = oy * g.sh - g.ph + i, xx = ox * g.sw - g.pw + j;
            if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
            const float v = x[static_cast<size_t>(p) * g.h * g.w + y * g.w + xx];
            // First maximum in row-major window order.
            if (v > best || (v == best && at >= 0 && y * g.w + xx < at)) {
              best = v;
              at = y * g.w + xx;
            }
          }
        top[(static_cast<size_t>(p) * oh + oy) * ow + ox] = best;
        mask[(static_cast<size_t>(p) * oh + oy) * ow + ox] = at;
      }
}

// Divisor of Caffe's AVE window: the window clipped to [-pad, size + pad).
static int ave_divisor(const Pool& g, int oy, int ox) {
  int cnt = 0;
  for (int i = 0; i < g.kh; ++i)
    for (int j = 0; j < g.kw; ++j) {
      const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
      if (y < g.h + g.ph && x < g.w + g.pw) ++cnt;  // y >= -ph always holds
    }
  return cnt;
}

static std::vector<double> naive_ave(const Pool& g, const std::vector<float>& x) {
  const int oh = g.oh(), ow = g.ow();
  std::vector<double> top(g.out_size());
  for (int p = 0; p < g.n * g.c; ++p)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        double s = 0.0;
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int y = oy * g.sh - g.ph + i, xx = ox * g.sw - g.pw + j;
            if (y >= 0 && y < g.h && xx >= 0 && xx < g.w)
              s += x[static_cast<size_t>(p) * g.h * g.w + y * g.w + xx];
          }
        top[(static_cast<size_t>(p) * oh + oy) * ow + ox] = s / ave_divisor(g, oy, ox);
      }
  return top;
}

static std::vector<double> naive_ave_bwd(const Pool& g, const std::vector<float>& dy) {
  const int oh = g.oh(), ow = g.ow();
  std::vector<double> dx(g.in_size(), 0.0);
  for (int p = 0; p < g.n * g.c; ++p)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        const double share = dy[(static_cast<size_t>(p) * oh + oy) * ow + ox] / ave_divisor(g, oy, ox);
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int y = oy * g.sh - g.ph + i, xx = ox * g.sw - g.pw + j;
            if (y >= 0 && y < g.h && xx >= 0 && xx < g.w)
              dx[static_cast<size_t>(p) * g.h * g.w + y * g.w + xx] += share;
          }
      }
  return dx;
}

static void check_pool(Rng& rng, const Pool& g, bool grad) {
  char what[128];
  std::snprintf(what, sizeof what, "n%d c%d %dx%d k%dx%d s%d,%d p%d,%d -> %dx%d", g.n, g.c, g.h,
                g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh(), g.ow());
  const int oh = g.oh(), ow = g.ow();
  // Distinct values spaced 0.05 apart so the argmax is stable under the FD step.
  std::vector<float> x(g.in_size());
  std::iota(x.begin(), x.end(), 0.0f);
  for (size_t i = x.size(); i > 1; --i) std::swap(x[i - 1], x[rng.gen() % i]);
  for (auto& v : x) v = v * 0.05f - 1.0f;
  const std::vector<float> r = rng.vec(g.out_size());

  // MAX forward / backward.
  std::vector<float> top(g.out_size()), want_top;
  std::vector<int32_t> mask(g.out_size()), want_mask;
  CHECK_OK(om_maxpool_fwd(top.data(), mask.data(), x.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh,
                          g.kw, g.sh, g.sw, g.ph, g.pw));
  naive_max(g, x, want_top, want_mask);
  all_close(std::string("maxpool top ") + what, top, want_top, 0.0, 0.0);
  all_close(std::string("maxpool mask ") + what, mask, want_mask, 0.0, 0.0);
  std::vector<float> dx(g.in_size(), 123.0f);
  CHECK_OK(om_maxpool_bwd(dx.data(), r.data(), mask.data(), g.n, g.c, g.h, g.w, oh, ow));
  std::vector<double> want_dx(g.in_size(), 0.0);
  for (size_t q = 0; q < mask.size(); ++q)
    want_dx[(q / (oh * ow)) * g.h * g.w + want_mask[q]] += r[q];
  all_close(std::string("maxpool bwd ") + what, dx.data(), want_dx.data(), dx.size(), 1e-6, 1e-6);
  {
    // With the ReLU's backward fused: bit for bit om_maxpool_bwd then om_relu_bwd (slope 0)
    // in place, over ReLU inputs of both signs, zeros, -0 and NaN, and a NaN and an
    // infinite top gradient.
    // The fused call reads the pooled top of that ReLU output (each window's argmax holds it).
    std::vector<float> xr = rng.vec(g.in_size());
    for (size_t i = 0; i < xr.size(); i += 7) xr[i] = (i / 7) % 3 == 0 ? 0.0f : (i / 7) % 3 == 1 ? -0.0f : std::nanf("");
    std::vector<float> topr(g.out_size());
    std::vector<int32_t> maskr(g.out_size());
    CHECK_OK(om_maxpool_fwd(topr.data(), maskr.data(), xr.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw));
    std::vector<float> rr = r;
    rr[0] = std::nanf("");
    if (rr.size() > 1) rr[1] = INFINITY;
    std::vector<float> fused(g.in_size(), 5.0f), twice(g.in_size(), 6.0f);
    CHECK_OK(om_maxpool_bwd_relu(fused.data(), rr.data(), maskr.data(), topr.data(), g.n, g.c, g.h, g.w, oh, ow));
    CHECK_OK(om_maxpool_bwd(twice.data(), rr.data(), maskr.data(), g.n, g.c, g.h, g.w, oh, ow));
    CHECK_OK(om_relu_bwd(twice.data(), twice.data(), xr.data(), static_cast<int64_t>(twice.size()), 0.0f));
    CHECK(std::memcmp(fused.data(), twice.data(), fused.size() * sizeof(float)) == 0);
  }
  if (grad) {
    check_gradient(std::string("maxpool ") + what, x, dx, [&](const std::vector<float>& in) {
      std::vector<float> t(g.out_size());
      om_maxpool_fwd(t.data(), nullptr, in.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh, g.kw, g.sh,
                     g.sw, g.ph, g.pw);
      return weighted_sum(t, r);
    }, 1e-2f);
  }

  // AVE forward / backward (random inputs; AVE is linear).
  const std::vector<float> xa = rng.vec(g.in_size());
  CHECK_OK(om_avepool_fwd(top.data(), xa.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh, g.kw, g.sh,
                          g.sw, g.ph, g.pw));
  all_close(std::string("avepool top ") + what, top.data(), naive_ave(g, xa).data(), top.size(), 1e-5, 1e-6);
  std::fill(dx.begin(), dx.end(), 123.0f);
  CHECK_OK(om_avepool_bwd(dx.data(), r.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh, g.kw, g.sh,
                          g.sw, g.ph, g.pw));
  all_close(std::string("avepool bwd ") + what, dx.data(), naive_ave_bwd(g, r).data(), dx.size(), 1e-5, 1e-6);
  if (grad) {
    check_gradient(std::string("avepool ") + what, xa, dx, [&](const std::vector<float>& in) {
      std::vector<float> t(g.out_size());
      om_avepool_fwd(t.data(), in.data(), g.n, g.c, g.h, g.w, oh, ow, g.kh, g.kw, g.sh, g.sw,
                     g.ph, g.pw);
      return weighted_sum(t, r);
    }, 1e-2f);
  }
}

// Ties: the first maximum in window order wins (strict >), as in Caffe.
static void check_ties() {
  const int h = 4, w = 5, oh = 2, ow = 2;
  std::vector<float> x(h * w, 1.0f);
  x[2 * w + 3] = 2.0f;  // only window (1, 1) sees the 2
  x[2 * w + 4] = 2.0f;
  std::vector<float> top(oh * ow);
  std::vector<int32_t> mask(oh * ow);
  CHECK_OK(om_maxpool_fwd(top.data(), mask.data(), x.data(), 1, 1, h, w, oh, ow, 3, 3, 2, 2, 1, 1));
  // Windows: rows [-1,2) / [1,4), cols [-1,2) / [1,4), clipped.
  const std::vector<int32_t> want_mask = {0, 1, 5, 2 * w + 3};
  const std::vector<float> want_top = {1.0f, 1.0f, 1.0f, 2.0f};
  all_close("maxpool ties mask", mask, want_mask, 0.0, 0.0);
  all_close("maxpool ties top", top, want_top, 0.0, 0.0);
}

// Windows of -inf and NaN: Caffe's scan from -FLT_MAX with a strict > keeps -FLT_MAX and
// mask -1 for a window of -inf, and skips NaN; the interior fast path must agree.
static void check_special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int k : {2, 3}) {
    const int h = 7, w = 7, oh = (h - k + 1) / 2 + 1, ow = oh;
    std::vector<float> x(h * w, -inf);
    x[0] = nan;
    x[3] = 0.5f;
    std::vector<float> top(oh * ow);
    std::vector<int32_t> mask(oh * ow);
    CHECK_OK(om_maxpool_fwd(top.data(), mask.data(), x.data(), 1, 1, h, w, oh, ow, k, k, 2, 2, 0, 0));
    const Pool g{1, 1, h, w, k, k, 2, 2, 0, 0};
    std::vector<float> want_top;
    std::vector<int32_t> want_mask;
    naive_max(g, x, want_top, want_mask);
    all_close(k == 2 ? "maxpool -inf/NaN mask k2" : "maxpool -inf/NaN mask k3", mask, want_mask, 0.0, 0.0);
    all_close(k == 2 ? "maxpool -inf/NaN top k2" : "maxpool -inf/NaN top k3", top, want_top, 0.0, 0.0);
  }
}

// 2x2 stride-2 windows tiling the plane exactly (pooling_512.cpp where AVX-512 is there):
// ties (the first in scan order wins), -inf (mask -1), NaN, and a backward mask entry that
// points into another window or is -1 (added where it points, as the general loop does).
static void check_2x2_tiling_edges() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int h = 4, w = 40, oh = 2, ow = 20;  // 20 outputs a row: a vector of 16 and 4
  std::vector<float> x(h * w, 1.0f);
  for (int i = 0; i < w; i += 6) x[i] = -inf, x[i + 1] = -inf, x[w + i] = -inf, x[w + i + 1] = -inf;
  x[2] = nan;
  x[3 * w + 9] = 3.0f;
  x[2 * w + 8] = 3.0f;  // the same window: row 2 comes first
  std::vector<float> top(oh * ow);
  std::vector<int32_t> mask(oh * ow);
  CHECK_OK(om_maxpool_fwd(top.data(), mask.data(), x.data(), 1, 1, h, w, oh, ow, 2, 2, 2, 2, 0, 0));
  const Pool g{1, 1, h, w, 2, 2, 2, 2, 0, 0};
  std::vector<float> want_top;
  std::vector<int32_t> want_mask;
  naive_max(g, x, want_top, want_mask);
  all_close("maxpool 2x2 tiling edges mask", mask, want_mask, 0.0, 0.0);
  all_close("maxpool 2x2 tiling edges top", top, want_top, 0.0, 0.0);
  std::vector<float> dy(oh * ow);
  for (int q = 0; q < oh * ow; ++q) dy[q] = 0.25f * static_cast<float>(q + 1);
  mask[ow + 17] = 5;  // points into window (0, 2)
  mask[3] = -1;
  dy[7] = -0.0f;  // the general loop gives 0 + -0 = +0
  std::vector<double> want_dx(h * w, 0.0);
  for (int q = 0; q < oh * ow; ++q)
    if (mask[q] >= 0) want_dx[mask[q]] += dy[q];
  std::vector<float> dx(h * w, 9.0f);
  CHECK_OK(om_maxpool_bwd(dx.data(), dy.data(), mask.data(), 1, 1, h, w, oh, ow));
  all_close("maxpool 2x2 tiling bwd, mask outside its window", dx.data(), want_dx.data(), dx.size(), 0.0, 0.0);
  // Bit for bit the general loop (fill with +0, add each gradient where its entry points).
  mask[ow + 17] = want_mask[ow + 17];  // back inside its window: the fast path runs
  std::vector<float> want_bits(h * w, 0.0f);
  for (int q = 0; q < oh * ow; ++q)
    if (mask[q] >= 0) want_bits[mask[q]] += dy[q];
  CHECK_OK(om_maxpool_bwd(dx.data(), dy.data(), mask.data(), 1, 1, h, w, oh, ow));
  CHECK(std::memcmp(dx.data(), want_bits.data(), dx.size() * sizeof(float)) == 0);
}

// Many ties (values 0 and 1 only) under 3x3 stride-2 windows, rows of more than 16
// outputs (the AVX-512 row kernel's vectors of 16 and a tail), with and without padding.
static void check_3x3_ties(Rng& rng) {
  for (int pad : {0, 1}) {
    const Pool g{2, 2, 9, 41, 3, 3, 2, 2, pad, pad};
    std::vector<float> x(g.in_size());
    for (auto& v : x) v = (rng.gen() % 3 == 0) ? 1.0f : 0.0f;
    std::vector<float> top(g.out_size()), want_top;
    std::vector<int32_t> mask(g.out_size()), want_mask;
    CHECK_OK(om_maxpool_fwd(top.data(), mask.data(), x.data(), g.n, g.c, g.h, g.w, g.oh(), g.ow(), 3, 3, 2, 2, pad, pad));
    naive_max(g, x, want_top, want_mask);
    all_close(pad ? "maxpool 3x3 ties mask, pad 1" : "maxpool 3x3 ties mask", mask, want_mask, 0.0, 0.0);
    all_close(pad ? "maxpool 3x3 ties top, pad 1" : "maxpool 3x3 ties top", top, want_top, 0.0, 0.0);
  }
}

int main() {
  Rng rng(7);
  check_3x3_ties(rng);
  check_ties();
  check_2x2_tiling_edges();
  const Pool cases[] = {
      {2, 3, 6, 6, 2, 2, 2, 2, 0, 0},     // exact tiling
      {2, 2, 7, 7, 3, 3, 2, 2, 0, 0},     // ceil mode: last window overhangs, no pad
      {1, 3, 5, 6, 3, 3, 2, 2, 1, 1},     // padded, overhanging
      {2, 2, 8, 5, 3, 2, 2, 1, 1, 1},     // non-square kernel and stride
      {1, 2, 6, 7, 4, 3, 3, 2, 2, 1},     // pad 2, stride 3
      {2, 1, 4, 4, 4, 4, 1, 1, 0, 0},     // global-style window
      {1, 1, 3, 3, 2, 2, 1, 1, 1, 1},     // windows fully in padding on one side
  };
  check_special_values();
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (const Pool& g : cases) check_pool(rng, g, threads == 1);
    check_pool(rng, Pool{8, 16, 20, 19, 3, 3, 2, 2, 1, 0}, false);  // parallel path
    // The interior fast paths (2x2 and 3x3 stride 2, other windows) beside edge windows.
    check_pool(rng, Pool{4, 20, 24, 24, 2, 2, 2, 2, 0, 0}, false);  // LeNet pool1
    check_pool(rng, Pool{4, 50, 8, 8, 2, 2, 2, 2, 0, 0}, false);    // LeNet pool2
    check_pool(rng, Pool{2, 3, 6, 70, 2, 2, 2, 2, 0, 0}, false);    // 35 outputs a row: 16 + 16 + 3
    check_pool(rng, Pool{3, 2, 2, 2, 2, 2, 2, 2, 0, 0}, true);      // one window a plane
    check_pool(rng, Pool{3, 5, 8, 9, 2, 2, 2, 2, 0, 0}, false);     // odd width: ceil overhang
    check_pool(rng, Pool{2, 7, 27, 27, 3, 3, 2, 2, 0, 0}, false);   // CaffeNet pool2
    check_pool(rng, Pool{1, 3, 55, 55, 3, 3, 2, 2, 0, 0}, false);   // CaffeNet pool1: 27 a row, 16 + 11
    check_pool(rng, Pool{2, 3, 13, 14, 3, 3, 2, 2, 0, 0}, false);   // overhang on the right
    check_pool(rng, Pool{2, 3, 15, 15, 3, 3, 2, 2, 1, 1}, false);   // padded 3x3/2
    check_pool(rng, Pool{2, 3, 11, 12, 3, 2, 3, 2, 0, 1}, false);   // generic interior kernel
  }
  return finish("test_pooling");
}
