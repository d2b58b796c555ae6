// test_lrn_within.cpp: within-channel LRN forward against a naive reference that
// follows Caffe's composition literally (square, AVE pooling with pad (size-1)/2,
// stride 1 and Caffe's divisor rule, power with shift 1, product), backward against
// central finite differences of sum(top * r), in-place use, threads, bad arguments.
#include "test_util.h"

struct Within {
  int n, c, h, w, size;
  float alpha, beta;
  size_t count() const { return static_cast<size_t>(n) * c * h * w; }
};

// Caffe's AVE pooling of x^2 (one plane) and then 1 + alpha * pooled, in double.
static void naive(const Within& g, const std::vector<float>& x, std::vector<double>& top,
                  std::vector<double>& scale) {
  const int pad = (g.size - 1) / 2, hw = g.h * g.w;
  top.assign(g.count(), 0.0);
  scale.assign(g.count(), 0.0);
  for (int p = 0; p < g.n * g.c; ++p) {
    const float* in = x.data() + static_cast<size_t>(p) * hw;
    // Caffe's pooled size with ceil rounding and its "last window starts in padding" rule.
    int oh = static_cast<int>(std::ceil(static_cast<double>(g.h + 2 * pad - g.size))) + 1;
    int ow = static_cast<int>(std::ceil(static_cast<double>(g.w + 2 * pad - g.size))) + 1;
    if (pad > 0 && oh - 1 >= g.h + pad) --oh;
    if (pad > 0 && ow - 1 >= g.w + pad) --ow;
    CHECK(oh == g.h && ow == g.w);
    for (int oy = 0; oy < g.h; ++oy)
      for (int ox = 0; ox < g.w; ++ox) {
        int hs = oy - pad, ws = ox - pad;
        int he = std::min(hs + g.size, g.h + pad), we = std::min(ws + g.size, g.w + pad);
        const int pool_size = (he - hs) * (we - ws);
        hs = std::max(hs, 0);
        ws = std::max(ws, 0);
        he = std::min(he, g.h);
        we = std::min(we, g.w);
        double sum = 0.0;
        for (int yy = hs; yy < he; ++yy)
          for (int xx = ws; xx < we; ++xx) sum += static_cast<double>(in[yy * g.w + xx]) * in[yy * g.w + xx];
        const size_t at = static_cast<size_t>(p) * hw + oy * g.w + ox;
        scale[at] = 1.0 + g.alpha * (sum / pool_size);
        top[at] = x[at] * std::pow(scale[at], -static_cast<double>(g.beta));
      }
  }
}

static void check_case(Rng& rng, const Within& g, bool grad) {
  char what[128];
  std::snprintf(what, sizeof what, "lrn_within n%d c%d %dx%d size%d a%g b%g", g.n, g.c, g.h,
                g.w, g.size, g.alpha, g.beta);
  const size_t count = g.count();
  const std::vector<float> x = rng.vec(count, -2.0f, 2.0f);
  std::vector<float> top(count), scale(count);
  CHECK_OK(om_lrn_within_fwd(top.data(), scale.data(), x.data(), g.n, g.c, g.h, g.w, g.size,
                             g.alpha, g.beta));
  std::vector<double> want_top, want_scale;
  naive(g, x, want_top, want_scale);
  all_close(std::string(what) + " scale", scale.data(), want_scale.data(), count, 1e-5, 1e-6);
  all_close(std::string(what) + " top", top.data(), want_top.data(), count, 1e-5, 1e-6);
  std::vector<float> inplace = x, scale2(count);
  CHECK_OK(om_lrn_within_fwd(inplace.data(), scale2.data(), inplace.data(), g.n, g.c, g.h, g.w,
                             g.size, g.alpha, g.beta));
  all_close(std::string(what) + " top in place", inplace, top, 0.0, 0.0);
  if (!grad) return;

  const std::vector<float> r = rng.vec(count);
  std::vector<float> dx(count);
  CHECK_OK(om_lrn_within_bwd(dx.data(), r.data(), top.data(), scale.data(), x.data(), g.n, g.c,
                             g.h, g.w, g.size, g.alpha, g.beta));
  check_gradient(what, x, dx, [&](const std::vector<float>& in) {
    std::vector<float> t(count), s(count);
    om_lrn_within_fwd(t.data(), s.data(), in.data(), g.n, g.c, g.h, g.w, g.size, g.alpha, g.beta);
    return weighted_sum(t, r);
  }, 1e-2f);
  std::vector<float> dx2 = r;  // bottom_diff may overwrite top_diff
  CHECK_OK(om_lrn_within_bwd(dx2.data(), dx2.data(), top.data(), scale.data(), x.data(), g.n,
                             g.c, g.h, g.w, g.size, g.alpha, g.beta));
  all_close(std::string(what) + " bwd in place", dx2, dx, 0.0, 0.0);
}

int main() {
  Rng rng(23);
  const Within cases[] = {
      {2, 3, 5, 4, 3, 0.5f, 0.75f},   // window clipped at every border
      {1, 2, 3, 3, 5, 1.0f, 0.75f},   // window wider than the image
      {2, 2, 6, 5, 5, 2.0f, 0.5f},
      {1, 3, 2, 4, 1, 0.8f, 0.75f},   // size 1: each pixel alone, divisor 1
      {1, 1, 7, 7, 7, 3.0f, 1.0f},
  };
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (const Within& g : cases) check_case(rng, g, threads == 1);
    check_case(rng, Within{4, 16, 30, 25, 5, 1e-4f, 0.75f}, false);  // parallel path
  }
  // Backward on the parallel path vs one thread.
  const Within big{4, 16, 30, 25, 5, 0.5f, 0.75f};
  const std::vector<float> x = rng.vec(big.count()), r = rng.vec(big.count());
  std::vector<float> top(big.count()), scale(big.count()), d1(big.count()), d2(big.count());
  CHECK_OK(om_lrn_within_fwd(top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta));
  CHECK_OK(om_set_num_threads(1));
  CHECK_OK(om_lrn_within_bwd(d1.data(), r.data(), top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta));
  CHECK_OK(om_set_num_threads(2));
  CHECK_OK(om_lrn_within_bwd(d2.data(), r.data(), top.data(), scale.data(), x.data(), big.n, big.c, big.h, big.w, big.size, big.alpha, big.beta));
  all_close("lrn_within bwd 1 vs 2 threads", d2, d1, 0.0, 0.0);
  // Bad arguments are reported, not crashed on.
  CHECK(om_lrn_within_fwd(top.data(), scale.data(), x.data(), 1, 1, 2, 2, 4, 1.0f, 0.75f) == OM_INVALID_ARGUMENT);
  CHECK(om_lrn_within_fwd(top.data(), top.data(), x.data(), 1, 1, 2, 2, 3, 1.0f, 0.75f) == OM_INVALID_ARGUMENT);
  CHECK(om_lrn_within_bwd(nullptr, r.data(), top.data(), scale.data(), x.data(), 1, 1, 2, 2, 3, 1.0f, 0.75f) == OM_INVALID_ARGUMENT);
  return finish("test_lrn_within");
}
