// test_lrn.cpp: cross-channel LRN forward against a naive reference of Caffe's
// definition (window [c - (size-1)/2, c + (size-1)/2] clipped to the channels),
// backward against central finite differences of sum(top * r).
#include "test_util.h"

struct Lrn {
  int n, c, h, w, size;
  float alpha, beta, k;
  size_t count() const { return static_cast<size_t>(n) * c * h * w; }
};

static void naive_lrn(const Lrn& g, const std::vector<float>& x, std::vector<double>& top,
                      std::vector<double>& scale) {
  const int hw = g.h * g.w, pre = (g.size - 1) / 2;
  top.assign(g.count(), 0.0);
  scale.assign(g.count(), 0.0);
  for (int i = 0; i < g.n; ++i)
    for (int c = 0; c < g.c; ++c)
      for (int p = 0; p < hw; ++p) {
        double sq = 0.0;
        for (int cc = c - pre; cc <= c + pre; ++cc)
          if (cc >= 0 && cc < g.c) {
            const double v = x[(static_cast<size_t>(i) * g.c + cc) * hw + p];
            sq += v * v;
          }
        const size_t at = (static_cast<size_t>(i) * g.c + c) * hw + p;
        scale[at] = g.k + g.alpha / g.size * sq;
        top[at] = x[at] * std::pow(scale[at], -static_cast<double>(g.beta));
      }
}

static void check_case(Rng& rng, const Lrn& g, bool grad) {
  char what[128];
  std::snprintf(what, sizeof what, "lrn n%d c%d %dx%d size%d a%g b%g k%g", g.n, g.c, g.h, g.w,
                g.size, g.alpha, g.beta, g.k);
  const size_t count = g.count();
  const std::vector<float> x = rng.vec(count, -2.0f, 2.0f);
  std::vector<float> top(count), scale(count);
  CHECK_OK(om_lrn_across_fwd(top.data(), scale.data(), x.data(), g.n, g.c, g.h, g.w, g.size,
                             g.alpha, g.beta, g.k));
  std::vector<double> want_top, want_scale;
  naive_lrn(g, x, want_top, want_scale);
  all_close(std::string(what) + " scale", scale.data(), want_scale.data(), count, 1e-5, 1e-6);
  all_close(std::string(what) + " top", top.data(), want_top.data(), count, 1e-5, 1e-6);
  std::vector<float> inplace = x, scale2(count);
  CHECK_OK(om_lrn_across_fwd(inplace.data(), scale2.data(), inplace.data(), g.n, g.c, g.h, g.w,
                             g.size, g.alpha, g.beta, g.k));
  all_close(std::string(what) + " top in place", inplace, top, 0.0, 0.0);
  if (!grad) return;

  const std::vector<float> r = rng.vec(count);
  std::vector<float> dx(count);
  CHECK_OK(om_lrn_across_bwd(dx.data(), r.data(), top.data(), scale.data(), x.data(), g.n, g.c,
                             g.h, g.w, g.size, g.alpha, g.beta));
  check_gradient(what, x, dx, [&](const std::vector<float>& in) {
    std::vector<float> t(count), s(count);
    om_lrn_across_fwd(t.data(), s.data(), in.data(), g.n, g.c, g.h, g.w, g.size, g.alpha,
                      g.beta, g.k);
    return weighted_sum(t, r);
  }, 1e-2f);
  // bottom_diff may overwrite top_diff.
  std::vector<float> dx2 = r;
  CHECK_OK(om_lrn_across_bwd(dx2.data(), dx2.data(), top.data(), scale.data(), x.data(), g.n,
                             g.c, g.h, g.w, g.size, g.alpha, g.beta));
  all_close(std::string(what) + " bwd in place", dx2, dx, 0.0, 0.0);
}

int main() {
  Rng rng(11);
  const Lrn cases[] = {
      {2, 7, 3, 4, 5, 0.5f, 0.75f, 1.0f},   // window clipped at both ends
      {1, 3, 2, 5, 5, 1.0f, 0.75f, 2.0f},   // window wider than the channels
      {2, 6, 3, 3, 3, 0.3f, 0.5f, 1.0f},
      {1, 4, 2, 2, 1, 0.8f, 0.75f, 1.5f},   // size 1: each channel alone
      {1, 9, 1, 1, 7, 2.0f, 1.0f, 0.5f},    // strong cross-channel term
      {2, 5, 4, 3, 5, 1e-4f, 0.75f, 1.0f},  // AlexNet-like constants
      {2, 6, 3, 3, 5, 0.4f, 0.6f, 1.2f},    // beta without a special form: std::pow
      {1, 5, 2, 3, 3, 0.7f, 1.3f, 0.9f},
  };
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (const Lrn& g : cases) check_case(rng, g, threads == 1);
    check_case(rng, Lrn{4, 16, 30, 25, 5, 1e-4f, 0.75f, 1.0f}, false);  // parallel path
  }
  // Backward on the parallel path vs one thread.
  const Lrn big{4, 16, 30, 25, 5, 0.5f, 0.75f, 1.0f};
  const std::vector<float> x = rng.vec(big.count()), r = rng.vec(big.count());
  std::vector<float> top(big.count()), scale(big.count()), d1(big.count()), d2(big.count());
  CHECK_OK(om_lrn_across_fwd(top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta, big.k));
  CHECK_OK(om_set_num_threads(1));
  CHECK_OK(om_lrn_across_bwd(d1.data(), r.data(), top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta));
  CHECK_OK(om_set_num_threads(2));
  CHECK_OK(om_lrn_across_bwd(d2.data(), r.data(), top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta));
  all_close("lrn bwd 1 vs 2 threads", d2, d1, 0.0, 0.0);
  return finish("test_lrn");
}
