// elementwise.cu: GPU kernels over flat arrays, mirroring native/src/elementwise.cpp:
// fill, axpby, scale, multiply, ReLU (leaky when slope != 0) forward and backward, and
// Caffe's momentum SGD step. One element per loop iteration, so in-place use (an output
// that is an input, element for element) is safe. Dot and absolute sum are in reduce.cu.
#include "common.cuh"

extern "C" __global__ void omk_set(float* y, float value, i64 count) {
  OM_LOOP(i, count) y[i] = value;
}

extern "C" __global__ void omk_axpby(float* y, float alpha, const float* x, float beta, i64 count) {
  OM_LOOP(i, count) y[i] = alpha * x[i] + beta * y[i];
}

extern "C" __global__ void omk_scale(float* y, float alpha, i64 count) {
  OM_LOOP(i, count) y[i] *= alpha;
}

extern "C" __global__ void omk_mul(float* y, const float* a, const float* b, i64 count) {
  OM_LOOP(i, count) y[i] = a[i] * b[i];
}

extern "C" __global__ void omk_relu_fwd(float* top, const float* bottom, i64 count, float slope) {
  OM_LOOP(i, count) {
    const float x = bottom[i];
    top[i] = x > 0.0f ? x : slope * x;
  }
}

// Caffe's form: a NaN input passes no gradient.
extern "C" __global__ void omk_relu_bwd(float* bottom_diff, const float* top_diff, const float* bottom,
                                        i64 count, float slope) {
  OM_LOOP(i, count) {
    const float x = bottom[i];
    bottom_diff[i] = top_diff[i] * ((float)(x > 0.0f) + slope * (float)(x <= 0.0f));
  }
}

extern "C" __global__ void omk_sgd_update(float* w, float* g, float* h, float momentum, float lr, i64 count) {
  OM_LOOP(i, count) {
    const float step = momentum * h[i] + lr * g[i];
    h[i] = step;
    g[i] = step;
    w[i] -= step;
  }
}
