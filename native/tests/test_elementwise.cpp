// test_elementwise.cpp: the flat-array kernels (relu with slope, set, copy, axpby,
// scale, mul, dot, asum, sgd_update) against naive loops, on small arrays and on
// arrays large enough for the OpenMP path, including in-place use.
#include <cstring>

#include "test_util.h"

static void check_count(Rng& rng, int64_t count) {
  const size_t n = static_cast<size_t>(count);
  const std::string tag = " count=" + std::to_string(count);
  std::vector<float> x = rng.vec(n, -2.0f, 2.0f), y = rng.vec(n, -2.0f, 2.0f);
  if (n > 3) x[3] = 0.0f;  // relu at exactly 0 takes the slope branch
  std::vector<float> out(n), want(n);

  for (float slope : {0.0f, 0.1f}) {
    CHECK_OK(om_relu_fwd(out.data(), x.data(), count, slope));
    for (size_t i = 0; i < n; ++i) want[i] = x[i] > 0 ? x[i] : slope * x[i];
    all_close("relu_fwd" + tag, out, want, 0.0, 0.0);
    CHECK_OK(om_relu_bwd(out.data(), y.data(), x.data(), count, slope));
    for (size_t i = 0; i < n; ++i) want[i] = y[i] * ((x[i] > 0) + slope * (x[i] <= 0));
    all_close("relu_bwd" + tag, out, want, 0.0, 0.0);
  }
  std::vector<float> inplace = x;
  CHECK_OK(om_relu_fwd(inplace.data(), inplace.data(), count, 0.0f));
  for (size_t i = 0; i < n; ++i) want[i] = x[i] > 0 ? x[i] : 0.0f;
  all_close("relu_fwd in place" + tag, inplace, want, 0.0, 0.0);

  CHECK_OK(om_set(out.data(), 3.5f, count));
  all_close("set" + tag, out, std::vector<float>(n, 3.5f), 0.0, 0.0);
  CHECK_OK(om_copy(out.data(), x.data(), count));
  all_close("copy" + tag, out, x, 0.0, 0.0);
  if (n > 10) {  // overlapping copy behaves like memmove
    std::vector<float> a = x, b = x;
    CHECK_OK(om_copy(a.data() + 3, a.data(), count - 3));
    std::memmove(b.data() + 3, b.data(), (n - 3) * sizeof(float));
    all_close("copy overlapping" + tag, a, b, 0.0, 0.0);
  }

  out = y;
  CHECK_OK(om_axpby(out.data(), 0.7f, x.data(), -1.3f, count));
  for (size_t i = 0; i < n; ++i) want[i] = 0.7f * x[i] + -1.3f * y[i];
  all_close("axpby" + tag, out, want, 1e-6, 1e-6);
  out = y;
  CHECK_OK(om_scale(out.data(), -0.25f, count));
  for (size_t i = 0; i < n; ++i) want[i] = -0.25f * y[i];
  all_close("scale" + tag, out, want, 0.0, 0.0);
  CHECK_OK(om_mul(out.data(), x.data(), y.data(), count));
  for (size_t i = 0; i < n; ++i) want[i] = x[i] * y[i];
  all_close("mul" + tag, out, want, 0.0, 0.0);

  double d = 0.0, s = 0.0, wd = 0.0, ws = 0.0;
  for (size_t i = 0; i < n; ++i) {
    wd += static_cast<double>(x[i]) * y[i];
    ws += std::fabs(static_cast<double>(x[i]));
  }
  CHECK_OK(om_dot(&d, x.data(), y.data(), count));
  CHECK_OK(om_asum(&s, x.data(), count));
  CHECK(near(d, wd, 1e-9, 1e-9));
  CHECK(near(s, ws, 1e-9, 1e-9));

  // SGD: h = momentum*h + lr*g; g = h; w -= g.
  std::vector<float> w = rng.vec(n), g = rng.vec(n), h = rng.vec(n);
  std::vector<float> ww = w, wg = g, wh = h;
  for (size_t i = 0; i < n; ++i) {
    wh[i] = 0.9f * wh[i] + 0.01f * wg[i];
    wg[i] = wh[i];
    ww[i] -= wg[i];
  }
  CHECK_OK(om_sgd_update(w.data(), g.data(), h.data(), 0.9f, 0.01f, count));
  all_close("sgd h" + tag, h, wh, 1e-6, 1e-7);
  all_close("sgd g" + tag, g, wg, 1e-6, 1e-7);
  all_close("sgd w" + tag, w, ww, 1e-6, 1e-7);
}

int main() {
  Rng rng(99);
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (int64_t count : {int64_t{1}, int64_t{17}, int64_t{1000}, int64_t{100003}})
      check_count(rng, count);
  }
  return finish("test_elementwise");
}
