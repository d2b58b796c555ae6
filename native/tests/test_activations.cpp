// test_activations.cpp: om_unary_fwd/om_unary_bwd for every op against naive double
// loops, on small arrays and on arrays large enough for the OpenMP path, in place, and
// with central finite differences; Caffe's special cases of POWER; argument errors.
// PReLU forward/backward (per-channel and shared slopes) against naive loops, slope
// gradient accumulation, bottom_diff aliasing top_diff, and finite differences.
#include "test_util.h"

namespace {

struct OpCase {
  const char* name;
  int32_t op;
  float a, b, c;
  float lo, hi;  // input range (LOG and POWER need a positive base)
  bool smooth;   // finite differences apply
};

double ref_fwd(const OpCase& k, double x) {
  const double a = k.a, b = k.b, c = k.c;
  switch (k.op) {
    case OM_UNARY_SIGMOID: return 1.0 / (1.0 + std::exp(-x));
    case OM_UNARY_TANH: return std::tanh(x);
    case OM_UNARY_ABSVAL: return std::fabs(x);
    case OM_UNARY_ELU: return x > 0 ? x : a * (std::exp(x) - 1.0);
    case OM_UNARY_POWER: return a * b == 0 ? (a == 0 ? 1.0 : std::pow(c, a)) : std::pow(b * x + c, a);
    case OM_UNARY_EXP: return b * std::exp(a * x);
    case OM_UNARY_LOG: return std::log(a * x + b) / c;
    case OM_UNARY_THRESHOLD: return x > a ? 1.0 : 0.0;
    case OM_UNARY_SIGN: return (x > 0) - (x < 0);
  }
  return NAN;
}

// Derivative dy/dx written from the math, not from the kernel's formulas.
double ref_deriv(const OpCase& k, double x) {
  const double a = k.a, b = k.b, c = k.c;
  switch (k.op) {
    case OM_UNARY_SIGMOID: { const double s = 1.0 / (1.0 + std::exp(-x)); return s * (1 - s); }
    case OM_UNARY_TANH: { const double t = std::tanh(x); return 1 - t * t; }
    case OM_UNARY_ABSVAL: return (x > 0) - (x < 0);
    case OM_UNARY_ELU: return x > 0 ? 1.0 : a * std::exp(x);
    case OM_UNARY_POWER: return a * b == 0 ? 0.0 : a * b * std::pow(b * x + c, a - 1);
    case OM_UNARY_EXP: return a * b * std::exp(a * x);
    case OM_UNARY_LOG: return a / (c * (a * x + b));
    default: return 0.0;
  }
}

const OpCase kCases[] = {
    {"sigmoid", OM_UNARY_SIGMOID, 0, 0, 0, -4, 4, true},
    {"tanh", OM_UNARY_TANH, 0, 0, 0, -3, 3, true},
    {"absval", OM_UNARY_ABSVAL, 0, 0, 0, -2, 2, true},
    {"elu alpha=0.7", OM_UNARY_ELU, 0.7f, 0, 0, -2, 2, true},
    {"power 2.5 scale 0.8 shift 1.2", OM_UNARY_POWER, 2.5f, 0.8f, 1.2f, 0.1f, 2, true},
    {"power 2 scale -0.5 shift 0.3", OM_UNARY_POWER, 2.0f, -0.5f, 0.3f, -2, 2, true},
    {"power 1 scale 3 shift -1", OM_UNARY_POWER, 1.0f, 3.0f, -1.0f, -2, 2, true},
    {"power 0.5 scale 2 shift 0", OM_UNARY_POWER, 0.5f, 2.0f, 0.0f, 0.2f, 2, true},
    {"power -1.5 scale 1 shift 0", OM_UNARY_POWER, -1.5f, 1.0f, 0.0f, 0.3f, 2, true},
    {"power 0 (constant 1)", OM_UNARY_POWER, 0.0f, 2.0f, 3.0f, -2, 2, true},
    {"power 3 scale 0 (constant shift^3)", OM_UNARY_POWER, 3.0f, 0.0f, 1.5f, -2, 2, true},
    {"exp base e", OM_UNARY_EXP, 1.0f, 1.0f, 0, -2, 2, true},
    {"exp inner 0.6 outer 1.7", OM_UNARY_EXP, 0.6f, 1.7f, 0, -2, 2, true},
    {"log base e", OM_UNARY_LOG, 1.0f, 0.0f, 1.0f, 0.1f, 3, true},
    {"log scale 0.5 shift 0.2 base 2", OM_UNARY_LOG, 0.5f, 0.2f, 0.69314718f, 0.1f, 3, true},
    {"threshold 0.3", OM_UNARY_THRESHOLD, 0.3f, 0, 0, -1, 1, false},
    {"sign", OM_UNARY_SIGN, 0, 0, 0, -1, 1, false},
};

void check_op(Rng& rng, const OpCase& k, int64_t count) {
  const size_t n = static_cast<size_t>(count);
  const std::string tag = std::string(k.name) + " count=" + std::to_string(count);
  std::vector<float> x = rng.vec(n, k.lo, k.hi), dy = rng.vec(n), y(n), dx(n);
  if (n > 2 && k.lo < 0 && k.hi > 0) x[2] = 0.0f;  // the kink/sign at exactly 0
  if (n > 4 && k.op == OM_UNARY_THRESHOLD) x[4] = k.a;  // x == threshold gives 0
  std::vector<double> want(n), want_dx(n);
  for (size_t i = 0; i < n; ++i) {
    want[i] = ref_fwd(k, x[i]);
    want_dx[i] = dy[i] * ref_deriv(k, x[i]);
  }
  CHECK_OK(om_unary_fwd(k.op, y.data(), x.data(), count, k.a, k.b, k.c));
  all_close("fwd " + tag, y.data(), want.data(), n, 2e-6, 1e-6);
  CHECK_OK(om_unary_bwd(k.op, dx.data(), dy.data(), x.data(), y.data(), count, k.a, k.b, k.c));
  all_close("bwd " + tag, dx.data(), want_dx.data(), n, 2e-5, 1e-6);

  // In place: y over x, dx over dy (x kept aside, as the layers do).
  std::vector<float> inplace = x, dinplace = dy;
  CHECK_OK(om_unary_fwd(k.op, inplace.data(), inplace.data(), count, k.a, k.b, k.c));
  all_close("fwd in place " + tag, inplace, y, 0.0, 0.0);
  CHECK_OK(om_unary_bwd(k.op, dinplace.data(), dinplace.data(), x.data(), inplace.data(), count,
                        k.a, k.b, k.c));
  all_close("bwd in place " + tag, dinplace, dx, 0.0, 0.0);

  if (k.smooth && count <= 64) {
    std::vector<float> xs = x;
    if (k.op == OM_UNARY_ABSVAL || k.op == OM_UNARY_ELU)  // keep away from the kink
      for (auto& v : xs) if (std::fabs(v) < 0.05f) v = 0.3f;
    std::vector<float> ys(n), analytic(n);
    CHECK_OK(om_unary_fwd(k.op, ys.data(), xs.data(), count, k.a, k.b, k.c));
    CHECK_OK(om_unary_bwd(k.op, analytic.data(), dy.data(), xs.data(), ys.data(), count, k.a, k.b, k.c));
    check_gradient("grad " + tag, xs, analytic, [&](const std::vector<float>& in) {
      std::vector<float> out(n);
      om_unary_fwd(k.op, out.data(), in.data(), count, k.a, k.b, k.c);
      return weighted_sum(out, dy);
    }, 1e-2f, 1e-2, 2e-3);
  }
}

void check_null_pointers() {
  std::vector<float> x = {0.5f, -1.0f, 2.0f}, y(3), dy = {1.0f, 2.0f, 3.0f}, dx(3);
  // Ops that read only y (or only x) accept NULL for the other.
  CHECK_OK(om_unary_fwd(OM_UNARY_SIGMOID, y.data(), x.data(), 3, 0, 0, 0));
  CHECK_OK(om_unary_bwd(OM_UNARY_SIGMOID, dx.data(), dy.data(), nullptr, y.data(), 3, 0, 0, 0));
  CHECK_OK(om_unary_bwd(OM_UNARY_ABSVAL, dx.data(), dy.data(), x.data(), nullptr, 3, 0, 0, 0));
  CHECK(dx[0] == 1.0f && dx[1] == -2.0f && dx[2] == 3.0f);
  CHECK_OK(om_unary_bwd(OM_UNARY_THRESHOLD, dx.data(), nullptr, nullptr, nullptr, 3, 0, 0, 0));
  CHECK(dx[0] == 0.0f && dx[1] == 0.0f && dx[2] == 0.0f);
  CHECK_OK(om_unary_fwd(OM_UNARY_POWER, y.data(), nullptr, 3, 0.0f, 1.0f, 0.0f));  // constant 1
  CHECK(y[0] == 1.0f && y[2] == 1.0f);
  // ...but not for what they read.
  CHECK(om_unary_bwd(OM_UNARY_SIGMOID, dx.data(), dy.data(), x.data(), nullptr, 3, 0, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK(std::string(om_last_error()).find("y is NULL") != std::string::npos);
  CHECK(om_unary_bwd(OM_UNARY_ELU, dx.data(), dy.data(), nullptr, y.data(), 3, 1, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_unary_fwd(OM_UNARY_TANH, y.data(), nullptr, 3, 0, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_unary_fwd(99, y.data(), x.data(), 3, 0, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK(std::string(om_last_error()).find("unknown unary op 99") != std::string::npos);
  CHECK(om_unary_fwd(OM_UNARY_SIGMOID, y.data(), x.data(), -1, 0, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_unary_fwd(OM_UNARY_LOG, y.data(), x.data(), 3, 1, 0, 0) == OM_INVALID_ARGUMENT);
  CHECK_OK(om_unary_fwd(OM_UNARY_SIGMOID, nullptr, nullptr, 0, 0, 0, 0));
}

// ---- PReLU ----------------------------------------------------------------------------
void check_prelu(Rng& rng, int32_t n, int32_t c, int64_t inner, bool shared) {
  const size_t count = static_cast<size_t>(n) * c * inner, ns = shared ? 1 : c;
  const std::string tag = "prelu n=" + std::to_string(n) + " c=" + std::to_string(c) +
                          " inner=" + std::to_string(inner) + (shared ? " shared" : "");
  std::vector<float> x = rng.vec(count, -2, 2), slope = rng.vec(ns, -0.5f, 0.5f), dy = rng.vec(count);
  if (count > 1) x[1] = 0.0f;
  auto ch = [&](size_t i) { return shared ? 0 : (i / inner) % c; };
  std::vector<float> y(count), want(count);
  for (size_t i = 0; i < count; ++i) want[i] = x[i] > 0 ? x[i] : slope[ch(i)] * x[i];
  CHECK_OK(om_prelu_fwd(y.data(), x.data(), slope.data(), n, c, inner, shared));
  all_close("fwd " + tag, y, want, 1e-7, 0.0);

  std::vector<double> want_dx(count), want_ds(ns, 0.25);  // slope diff starts at 0.25
  for (size_t i = 0; i < count; ++i) {
    want_dx[i] = dy[i] * (x[i] > 0 ? 1.0 : slope[ch(i)]);
    if (x[i] <= 0) want_ds[ch(i)] += static_cast<double>(dy[i]) * x[i];
  }
  std::vector<float> dx(count, 99.0f), ds(ns, 0.25f);
  CHECK_OK(om_prelu_bwd(dx.data(), ds.data(), dy.data(), x.data(), slope.data(), n, c, inner, shared));
  all_close("bwd dx " + tag, dx.data(), want_dx.data(), count, 1e-6, 1e-7);
  all_close("bwd slope diff (accumulated) " + tag, ds.data(), want_ds.data(), ns, 1e-5, 1e-5);

  // bottom_diff aliasing top_diff (in-place layer): the slope diff still sees dy.
  std::vector<float> alias = dy, ds2(ns, 0.25f);
  CHECK_OK(om_prelu_bwd(alias.data(), ds2.data(), alias.data(), x.data(), slope.data(), n, c, inner, shared));
  all_close("bwd aliased dx " + tag, alias, dx, 0.0, 0.0);
  all_close("bwd aliased slope diff " + tag, ds2, ds, 0.0, 0.0);
  // Either output may be skipped.
  std::vector<float> ds3(ns, 0.25f), dx3(count);
  CHECK_OK(om_prelu_bwd(nullptr, ds3.data(), dy.data(), x.data(), slope.data(), n, c, inner, shared));
  all_close("bwd slope only " + tag, ds3, ds, 0.0, 0.0);
  CHECK_OK(om_prelu_bwd(dx3.data(), nullptr, dy.data(), x.data(), slope.data(), n, c, inner, shared));
  all_close("bwd dx only " + tag, dx3, dx, 0.0, 0.0);

  if (count <= 64) {
    std::vector<float> xs = x;
    for (auto& v : xs) if (std::fabs(v) < 0.05f) v = -0.3f;
    std::vector<float> gx(count), gs(ns, 0.0f);
    CHECK_OK(om_prelu_bwd(gx.data(), gs.data(), dy.data(), xs.data(), slope.data(), n, c, inner, shared));
    check_gradient("grad x " + tag, xs, gx, [&](const std::vector<float>& in) {
      std::vector<float> out(count);
      om_prelu_fwd(out.data(), in.data(), slope.data(), n, c, inner, shared);
      return weighted_sum(out, dy);
    }, 1e-2f);
    check_gradient("grad slope " + tag, slope, gs, [&](const std::vector<float>& s) {
      std::vector<float> out(count);
      om_prelu_fwd(out.data(), xs.data(), s.data(), n, c, inner, shared);
      return weighted_sum(out, dy);
    }, 1e-2f);
  }
}

void check_prelu_errors() {
  std::vector<float> x(6), y(6);
  CHECK(om_prelu_fwd(y.data(), x.data(), nullptr, 1, 2, 3, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_prelu_fwd(y.data(), x.data(), x.data(), 1, -2, 3, 0) == OM_INVALID_ARGUMENT);
  CHECK(om_prelu_bwd(y.data(), nullptr, nullptr, x.data(), x.data(), 1, 2, 3, 0) == OM_INVALID_ARGUMENT);
  CHECK_OK(om_prelu_fwd(nullptr, nullptr, nullptr, 0, 2, 3, 0));
}

}  // namespace

int main() {
  Rng rng(2024);
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (const auto& k : kCases)
      for (int64_t count : {int64_t{1}, int64_t{19}, int64_t{100003}}) check_op(rng, k, count);
    for (bool shared : {false, true}) {
      check_prelu(rng, 2, 3, 4, shared);
      check_prelu(rng, 1, 1, 1, shared);
      check_prelu(rng, 3, 5, 7001, shared);
    }
  }
  check_null_pointers();
  check_prelu_errors();
  return finish("test_activations");
}
