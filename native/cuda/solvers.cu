// solvers.cu: fused per-parameter update kernels of Caffe's SGD-family solvers and the
// sign-axpy of L1 regularisation, mirroring native/src/solvers.cpp step for step in
// float (no FMA contraction), so the GPU's updates equal the CPU's to the bit where
// sqrtf and division are IEEE (NVRTC's defaults). Each updates the history, leaves the
// update value in g and subtracts it from w.
#include "common.cuh"

extern "C" __global__ void omk_sign_axpy(float* y, float alpha, const float* x, i64 count) {
  OM_LOOP(i, count) y[i] += alpha * om_sign(x[i]);
}

extern "C" __global__ void omk_sgd_update_l2(float* w, float* g, float* h, float decay, float momentum,
                                             float lr, i64 count) {
  OM_LOOP(i, count) {
    const float wi = w[i];
    const float gi = decay * wi + g[i];
    const float step = momentum * h[i] + lr * gi;
    h[i] = step;
    g[i] = step;
    w[i] = wi - step;
  }
}

extern "C" __global__ void omk_nesterov_update(float* w, float* g, float* h, float momentum, float lr,
                                               i64 count) {
  OM_LOOP(i, count) {
    const float old = h[i];
    const float now = momentum * old + lr * g[i];
    const float step = (1.0f + momentum) * now - momentum * old;
    h[i] = now;
    g[i] = step;
    w[i] -= step;
  }
}

extern "C" __global__ void omk_adagrad_update(float* w, float* g, float* h, float delta, float lr, i64 count) {
  OM_LOOP(i, count) {
    const float gi = g[i];
    const float hi = h[i] + gi * gi;
    const float step = lr * (gi / (sqrtf(hi) + delta));
    h[i] = hi;
    g[i] = step;
    w[i] -= step;
  }
}

extern "C" __global__ void omk_rmsprop_update(float* w, float* g, float* h, float rms_decay, float delta,
                                              float lr, i64 count) {
  const float keep = rms_decay, take = 1.0f - rms_decay;
  OM_LOOP(i, count) {
    const float gi = g[i];
    const float hi = keep * h[i] + take * (gi * gi);
    const float step = lr * (gi / (sqrtf(hi) + delta));
    h[i] = hi;
    g[i] = step;
    w[i] -= step;
  }
}

extern "C" __global__ void omk_adadelta_update(float* w, float* g, float* h, float* u, float momentum,
                                               float delta, float lr, i64 count) {
  const float take = 1.0f - momentum;
  OM_LOOP(i, count) {
    const float gi = g[i];
    const float hi = momentum * h[i] + take * (gi * gi);
    const float d = gi * sqrtf((delta + u[i]) / (delta + hi));
    h[i] = hi;
    u[i] = momentum * u[i] + take * (d * d);
    const float step = lr * d;
    g[i] = step;
    w[i] -= step;
  }
}

extern "C" __global__ void omk_adam_update(float* w, float* g, float* m, float* v, float beta1, float beta2,
                                           float delta, float step_size, i64 count) {
  const float take1 = 1.0f - beta1, take2 = 1.0f - beta2;
  OM_LOOP(i, count) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + take1 * gi;
    const float vi = beta2 * v[i] + take2 * (gi * gi);
    const float step = step_size * (mi / (sqrtf(vi) + delta));
    m[i] = mi;
    v[i] = vi;
    g[i] = step;
    w[i] -= step;
  }
}
