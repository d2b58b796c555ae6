// solvers.cpp: fused per-parameter update kernels of Caffe's SGD-family solvers
// (SGD with L2 decay fused, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam) and the sign-axpy of L1 regularisation,
// plus their exports (declared in omnivore_solvers.h). Each kernel is one pass over
// the slice: it updates the history, leaves the update value in g and subtracts it
// from w. Arithmetic is float and follows the order of Caffe's separate BLAS-like
// steps, so results match Caffe's to rounding.
#include <cmath>
#include <initializer_list>
#include <utility>

#include "internal.h"

namespace om {
namespace {

void sign_axpy(float* y, float alpha, const float* x, int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float s = static_cast<float>((0.0f < x[i]) - (x[i] < 0.0f));
    y[i] += alpha * s;
  }
}

// SGD with L2 weight decay in one pass: exactly axpby(g, decay, w, 1) then sgd_update,
// step by step in float, with a third fewer memory streams. kClear: g gets 0 instead of
// the step (the solver's clear of the gradients for the next iteration, in the same pass).
template <bool kClear>
void sgd_update_l2(float* w, float* g, float* h, float decay, float momentum, float lr,
                   int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float wi = w[i];
    const float gi = decay * wi + g[i];
    const float step = momentum * h[i] + lr * gi;
    h[i] = step;
    g[i] = kClear ? 0.0f : step;
    w[i] = wi - step;
  }
}

void nesterov_update(float* w, float* g, float* h, float momentum, float lr, int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float old = h[i];
    const float now = momentum * old + lr * g[i];
    const float step = (1.0f + momentum) * now - momentum * old;
    h[i] = now;
    g[i] = step;
    w[i] -= step;
  }
}

void adagrad_update(float* w, float* g, float* h, float delta, float lr, int64_t count) {
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float gi = g[i];
    const float hi = h[i] + gi * gi;
    const float step = lr * (gi / (std::sqrt(hi) + delta));
    h[i] = hi;
    g[i] = step;
    w[i] -= step;
  }
}

void rmsprop_update(float* w, float* g, float* h, float rms_decay, float delta, float lr,
                    int64_t count) {
  const float keep = rms_decay, take = 1.0f - rms_decay;
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float gi = g[i];
    const float hi = keep * h[i] + take * (gi * gi);
    const float step = lr * (gi / (std::sqrt(hi) + delta));
    h[i] = hi;
    g[i] = step;
    w[i] -= step;
  }
}

void adadelta_update(float* w, float* g, float* h, float* u, float momentum, float delta,
                     float lr, int64_t count) {
  const float take = 1.0f - momentum;
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float gi = g[i];
    const float hi = momentum * h[i] + take * (gi * gi);
    const float d = gi * std::sqrt((delta + u[i]) / (delta + hi));
    h[i] = hi;
    u[i] = momentum * u[i] + take * (d * d);
    const float step = lr * d;
    g[i] = step;
    w[i] -= step;
  }
}

void adam_update(float* w, float* g, float* m, float* v, float beta1, float beta2, float delta,
                 float step_size, int64_t count) {
  const float take1 = 1.0f - beta1, take2 = 1.0f - beta2;
#pragma omp parallel for simd schedule(simd : guided, 4096) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + take1 * gi;
    const float vi = beta2 * v[i] + take2 * (gi * gi);
    const float step = step_size * (mi / (std::sqrt(vi) + delta));
    m[i] = mi;
    v[i] = vi;
    g[i] = step;
    w[i] -= step;
  }
}

void check_slices(int64_t count, std::initializer_list<std::pair<const char*, const void*>> ptrs) {
  check_nonneg("count", count);
  for (const auto& [name, p] : ptrs) check_ptr(name, p, count);
}

}  // namespace
}  // namespace om

using namespace om;

extern "C" {

OM_API int32_t om_sign_axpy(float* y, float alpha, const float* x, int64_t count) {
  return guard("om_sign_axpy", [&] {
    check_slices(count, {{"y", y}, {"x", x}});
    sign_axpy(y, alpha, x, count);
  });
}

OM_API int32_t om_sgd_update_l2(float* w, float* g, float* h, float decay, float momentum,
                                float lr, int64_t count) {
  return guard("om_sgd_update_l2", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}});
    sgd_update_l2<false>(w, g, h, decay, momentum, lr, count);
  });
}

OM_API int32_t om_sgd_update_l2_clear(float* w, float* g, float* h, float decay, float momentum,
                                      float lr, int64_t count) {
  return guard("om_sgd_update_l2_clear", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}});
    sgd_update_l2<true>(w, g, h, decay, momentum, lr, count);
  });
}

OM_API int32_t om_nesterov_update(float* w, float* g, float* h, float momentum, float lr,
                                  int64_t count) {
  return guard("om_nesterov_update", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}});
    nesterov_update(w, g, h, momentum, lr, count);
  });
}

OM_API int32_t om_adagrad_update(float* w, float* g, float* h, float delta, float lr,
                                 int64_t count) {
  return guard("om_adagrad_update", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}});
    adagrad_update(w, g, h, delta, lr, count);
  });
}

OM_API int32_t om_rmsprop_update(float* w, float* g, float* h, float rms_decay, float delta,
                                 float lr, int64_t count) {
  return guard("om_rmsprop_update", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}});
    rmsprop_update(w, g, h, rms_decay, delta, lr, count);
  });
}

OM_API int32_t om_adadelta_update(float* w, float* g, float* h, float* u, float momentum,
                                  float delta, float lr, int64_t count) {
  return guard("om_adadelta_update", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"h", h}, {"u", u}});
    adadelta_update(w, g, h, u, momentum, delta, lr, count);
  });
}

OM_API int32_t om_adam_update(float* w, float* g, float* m, float* v, float beta1,
                              float beta2, float delta, float step, int64_t count) {
  return guard("om_adam_update", [&] {
    check_slices(count, {{"w", w}, {"g", g}, {"m", m}, {"v", v}});
    adam_update(w, g, m, v, beta1, beta2, delta, step, count);
  });
}

}  // extern "C"
