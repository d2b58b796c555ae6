// test_util.h: the tiny test harness shared by the native tests: CHECK macros that
// count failures instead of aborting, a seeded random generator, array comparison,
// and a central finite-difference gradient checker.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "omnivore.h"

inline int g_failures = 0;

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                             \
    }                                                                           \
  } while (0)

#define CHECK_OK(expr)                                                          \
  do {                                                                          \
    const int32_t st_ = (expr);                                                 \
    if (st_ != OM_OK) {                                                         \
      std::fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__,   \
                   #expr, st_, om_last_error());                                \
      ++g_failures;                                                             \
    }                                                                           \
  } while (0)

inline int finish(const char* name) {
  if (g_failures != 0) {
    std::fprintf(stderr, "%s: %d failure(s)\n", name, g_failures);
    return 1;
  }
  std::printf("%s: all checks passed\n", name);
  return 0;
}

struct Rng {
  std::mt19937 gen;
  explicit Rng(unsigned seed) : gen(seed) {}
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
  std::vector<float> vec(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = uniform(lo, hi);
    return v;
  }
};

inline bool near(double got, double want, double rel, double abs_tol) {
  return std::fabs(got - want) <= abs_tol + rel * std::max(std::fabs(got), std::fabs(want));
}

// Compares two arrays; prints at most a few mismatches; returns true when all match.
template <class T, class U>
bool all_close(const std::string& what, const T* got, const U* want, size_t n, double rel,
               double abs_tol) {
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    const bool ok = (std::isnan(g) && std::isnan(w)) || near(g, w, rel, abs_tol);
    if (!ok) {
      if (bad < 5)
        std::fprintf(stderr, "  %s[%zu]: got %.9g want %.9g\n", what.c_str(), i, g, w);
      ++bad;
    }
  }
  if (bad != 0) {
    std::fprintf(stderr, "%s: %zu of %zu values differ\n", what.c_str(), bad, n);
    ++g_failures;
  }
  return bad == 0;
}

template <class T, class U>
bool all_close(const std::string& what, const std::vector<T>& got, const std::vector<U>& want,
               double rel, double abs_tol) {
  if (got.size() != want.size()) {
    std::fprintf(stderr, "%s: size %zu vs %zu\n", what.c_str(), got.size(), want.size());
    ++g_failures;
    return false;
  }
  return all_close(what, got.data(), want.data(), got.size(), rel, abs_tol);
}

// sum(top * r) accumulated in double: the scalar objective of the gradient checks.
inline double weighted_sum(const std::vector<float>& top, const std::vector<float>& r) {
  double s = 0.0;
  for (size_t i = 0; i < top.size(); ++i) s += static_cast<double>(top[i]) * r[i];
  return s;
}

// Central finite differences of objective(x) around x, compared with analytic.
// objective must evaluate the forward pass on the given input.
inline void check_gradient(const std::string& what, std::vector<float> x,
                           const std::vector<float>& analytic,
                           const std::function<double(const std::vector<float>&)>& objective,
                           float eps, double rel = 1e-2, double abs_tol = 1e-3) {
  std::vector<double> numeric(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    const float up = saved + eps, down = saved - eps;
    x[i] = up;
    const double f_up = objective(x);
    x[i] = down;
    const double f_down = objective(x);
    x[i] = saved;
    numeric[i] = (f_up - f_down) / (static_cast<double>(up) - static_cast<double>(down));
  }
  all_close(what + " (analytic vs numeric gradient)", analytic.data(), numeric.data(),
            x.size(), rel, abs_tol);
}
