// test_solvers.cpp: the fused solver update kernels (sign_axpy, nesterov, adagrad,
// rmsprop, adadelta, adam) against naive loops written step by step as Caffe's
// solvers do, in double, over several steps with history carried, on small arrays and
// on arrays large enough for the OpenMP path; plus argument validation.
#include <cstring>

#include "test_util.h"

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

DVec dbl(const Vec& v) { return DVec(v.begin(), v.end()); }

double sgn(double x) { return (0.0 < x) - (x < 0.0); }

bool mentions(const char* fn, const char* arg) {
  const std::string e = om_last_error();
  return e.find(fn) != std::string::npos && e.find(arg) != std::string::npos;
}

// Runs `steps` updates with fresh gradients each step; `kernel` calls the export on
// (w, g, h1, h2), `reference` does the same update naively in double on (w, g, h1, h2).
template <class Kernel, class Reference>
void check_rule(const char* name, Rng& rng, int64_t count, Kernel kernel, Reference reference) {
  const size_t n = static_cast<size_t>(count);
  const std::string tag = std::string(name) + " count=" + std::to_string(count);
  Vec w = rng.vec(n), h1(n, 0.0f), h2(n, 0.0f);
  DVec rw = dbl(w), rh1(n, 0.0), rh2(n, 0.0);
  for (int step = 0; step < 3; ++step) {
    Vec g = rng.vec(n, -2.0f, 2.0f);
    if (n > 5) g[5] = 0.0f;  // a zero gradient must not divide by zero
    DVec rg = dbl(g);
    CHECK_OK(kernel(w.data(), g.data(), h1.data(), h2.data(), count));
    for (size_t i = 0; i < n; ++i) reference(rw[i], rg[i], rh1[i], rh2[i]);
    const std::string s = tag + " step " + std::to_string(step);
    all_close(s + " h1", h1, rh1, 2e-5, 1e-6);
    all_close(s + " h2", h2, rh2, 2e-5, 1e-6);
    all_close(s + " update in g", g, rg, 2e-5, 1e-6);
    all_close(s + " w", w, rw, 2e-5, 1e-6);
  }
}

void check_count(Rng& rng, int64_t count) {
  const size_t n = static_cast<size_t>(count);
  {
    Vec x = rng.vec(n), y = rng.vec(n);
    if (n > 2) x[2] = 0.0f;  // sign(0) = 0
    Vec want(n);
    for (size_t i = 0; i < n; ++i) want[i] = static_cast<float>(y[i] + 0.3 * sgn(x[i]));
    CHECK_OK(om_sign_axpy(y.data(), 0.3f, x.data(), count));
    all_close("sign_axpy count=" + std::to_string(count), y, want, 1e-6, 1e-7);
    Vec self = x, want_self(n);
    for (size_t i = 0; i < n; ++i) want_self[i] = static_cast<float>(x[i] - 0.5 * sgn(x[i]));
    CHECK_OK(om_sign_axpy(self.data(), -0.5f, self.data(), count));
    all_close("sign_axpy in place count=" + std::to_string(count), self, want_self, 1e-6, 1e-7);
  }

  {
    // Fused SGD + L2 must equal om_axpby then om_sgd_update bit for bit.
    Vec w = rng.vec(n), g = rng.vec(n, -2.0f, 2.0f), h = rng.vec(n, -0.1f, 0.1f);
    Vec w2 = w, g2 = g, h2 = h;
    for (int step = 0; step < 3; ++step) {
      CHECK_OK(om_sgd_update_l2(w.data(), g.data(), h.data(), 5e-4f, 0.9f, 0.01f, count));
      CHECK_OK(om_axpby(g2.data(), 5e-4f, w2.data(), 1.0f, count));
      CHECK_OK(om_sgd_update(w2.data(), g2.data(), h2.data(), 0.9f, 0.01f, count));
      const std::string s = "sgd_update_l2 count=" + std::to_string(count) + " step " + std::to_string(step);
      all_close(s + " w", w, w2, 0.0, 0.0);
      all_close(s + " g", g, g2, 0.0, 0.0);
      all_close(s + " h", h, h2, 0.0, 0.0);
      g = rng.vec(n, -2.0f, 2.0f);
      g2 = g;
    }
    // Against the naive double reference too.
    Vec wd = rng.vec(n), gd = rng.vec(n), hd = rng.vec(n);
    DVec rw = dbl(wd), rg = dbl(gd), rh = dbl(hd);
    CHECK_OK(om_sgd_update_l2(wd.data(), gd.data(), hd.data(), 0.01f, 0.9f, 0.05f, count));
    for (size_t i = 0; i < n; ++i) {
      const double gi = rg[i] + double(0.01f) * rw[i];
      rh[i] = double(0.9f) * rh[i] + double(0.05f) * gi;
      rg[i] = rh[i];
      rw[i] -= rh[i];
    }
    all_close("sgd_update_l2 vs reference w", wd, rw, 2e-5, 1e-6);
    all_close("sgd_update_l2 vs reference h", hd, rh, 2e-5, 1e-6);
    // The clearing variant: w and h bit for bit as om_sgd_update_l2, g all zeros.
    Vec wc = rng.vec(n), gc = rng.vec(n, -2.0f, 2.0f), hc = rng.vec(n, -0.1f, 0.1f);
    Vec wp = wc, gp = gc, hp = hc;
    CHECK_OK(om_sgd_update_l2_clear(wc.data(), gc.data(), hc.data(), 5e-4f, 0.9f, 0.01f, count));
    CHECK_OK(om_sgd_update_l2(wp.data(), gp.data(), hp.data(), 5e-4f, 0.9f, 0.01f, count));
    const std::string sc = "sgd_update_l2_clear count=" + std::to_string(count);
    all_close(sc + " w", wc, wp, 0.0, 0.0);
    all_close(sc + " h", hc, hp, 0.0, 0.0);
    all_close(sc + " g", gc, Vec(n, 0.0f), 0.0, 0.0);
  }

  const double m = 0.9, lr = 0.05, delta = 1e-6;
  check_rule("nesterov", rng, count,
      [&](float* w, float* g, float* h, float*, int64_t c) {
        return om_nesterov_update(w, g, h, float(m), float(lr), c);
      },
      [&](double& w, double& g, double& h, double&) {
        const double old = h;
        h = m * h + lr * g;
        g = (1 + m) * h - m * old;
        w -= g;
      });
  check_rule("adagrad", rng, count,
      [&](float* w, float* g, float* h, float*, int64_t c) {
        return om_adagrad_update(w, g, h, float(delta), float(lr), c);
      },
      [&](double& w, double& g, double& h, double&) {
        h += g * g;
        g = lr * g / (std::sqrt(h) + delta);
        w -= g;
      });
  const double rms = 0.98;
  check_rule("rmsprop", rng, count,
      [&](float* w, float* g, float* h, float*, int64_t c) {
        return om_rmsprop_update(w, g, h, float(rms), float(delta), float(lr), c);
      },
      [&](double& w, double& g, double& h, double&) {
        h = rms * h + (1 - rms) * g * g;
        g = lr * g / (std::sqrt(h) + delta);
        w -= g;
      });
  const double rho = 0.95, ada_delta = 1e-4, ada_lr = 0.5;
  check_rule("adadelta", rng, count,
      [&](float* w, float* g, float* h, float* u, int64_t c) {
        return om_adadelta_update(w, g, h, u, float(rho), float(ada_delta), float(ada_lr), c);
      },
      [&](double& w, double& g, double& h, double& u) {
        h = rho * h + (1 - rho) * g * g;
        const double d = g * std::sqrt((u + ada_delta) / (h + ada_delta));
        u = rho * u + (1 - rho) * d * d;
        g = ada_lr * d;
        w -= g;
      });
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, step = 0.01;
  check_rule("adam", rng, count,
      [&](float* w, float* g, float* mm, float* v, int64_t c) {
        return om_adam_update(w, g, mm, v, float(b1), float(b2), float(eps), float(step), c);
      },
      [&](double& w, double& g, double& mm, double& v) {
        mm = b1 * mm + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        g = step * mm / (std::sqrt(v) + eps);
        w -= g;
      });
}

void check_errors() {
  float buf[8] = {0};
  CHECK(om_sign_axpy(buf, 1.0f, buf, -1) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_sign_axpy", "count"));
  CHECK(om_nesterov_update(buf, nullptr, buf, 0.9f, 0.1f, 4) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_nesterov_update", "g"));
  CHECK(om_adagrad_update(buf, buf, nullptr, 1e-8f, 0.1f, 4) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_adagrad_update", "h"));
  CHECK(om_rmsprop_update(nullptr, buf, buf, 0.9f, 1e-8f, 0.1f, 4) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_rmsprop_update", "w"));
  CHECK(om_adadelta_update(buf, buf, buf, nullptr, 0.9f, 1e-8f, 0.1f, 4) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_adadelta_update", "u"));
  CHECK(om_adam_update(buf, buf, buf, nullptr, 0.9f, 0.999f, 1e-8f, 0.1f, 4) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_adam_update", "v"));
  CHECK(om_adam_update(buf, buf, buf, buf, 0.9f, 0.999f, 1e-8f, 0.1f, -2) == OM_INVALID_ARGUMENT);
  CHECK(mentions("om_adam_update", "count"));
  // Empty slices may be NULL.
  CHECK_OK(om_adam_update(nullptr, nullptr, nullptr, nullptr, 0.9f, 0.999f, 1e-8f, 0.1f, 0));
  CHECK_OK(om_sign_axpy(nullptr, 1.0f, nullptr, 0));
}

}  // namespace

int main() {
  Rng rng(2024);
  check_errors();
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (int64_t count : {int64_t{1}, int64_t{17}, int64_t{1000}, int64_t{100003}})
      check_count(rng, count);
  }
  return finish("test_solvers");
}
