// activations.cu: the elementwise activations of Caffe's neuron layers behind one
// forward and one backward kernel selected by op (the values of om_unary_op in
// native/include/omnivore_activations.h), and PReLU over (N, C, inner), mirroring
// native/src/activations.cpp formula for formula. Special cases the CPU handles outside
// its loops (POWER with power*scale == 0, or power == 1 or 2) are handled per element
// here with the same arithmetic. PReLU's slope gradient is a reduction (reduce.cu).
#include "common.cuh"

#define OM_SIGMOID 0
#define OM_TANH 1
#define OM_ABSVAL 2
#define OM_ELU 3
#define OM_POWER 4
#define OM_EXP 5
#define OM_LOG 6
#define OM_THRESHOLD 7
#define OM_SIGN 8

__device__ __forceinline__ float om_unary(int op, float x, float a, float b, float c) {
  switch (op) {
    case OM_SIGMOID: return 0.5f * tanhf(0.5f * x) + 0.5f;
    case OM_TANH: return tanhf(x);
    case OM_ABSVAL: return fabsf(x);
    case OM_ELU: return x > 0.0f ? x : a * (expf(x) - 1.0f);
    case OM_POWER: {
      if (a * b == 0.0f) return a == 0.0f ? 1.0f : powf(c, a);
      const float v = b * x + c;
      return a == 1.0f ? v : powf(v, a);
    }
    case OM_EXP: return b * expf(a * x);
    case OM_LOG: return logf(a * x + b) * (1.0f / c);
    case OM_THRESHOLD: return x > a ? 1.0f : 0.0f;
    default: return om_sign(x);
  }
}

__device__ __forceinline__ float om_unary_grad(int op, float dy, float x, float y, float a, float b, float c) {
  switch (op) {
    case OM_SIGMOID: return dy * y * (1.0f - y);
    case OM_TANH: return dy * (1.0f - y * y);
    case OM_ABSVAL: return om_sign(x) * dy;
    case OM_ELU: return dy * ((float)(x > 0.0f) + (a + y) * (float)(x <= 0.0f));
    case OM_POWER: {
      const float diff_scale = a * b;
      if (diff_scale == 0.0f) return 0.0f;
      if (a == 1.0f) return dy * diff_scale;
      if (a == 2.0f) return dy * ((diff_scale * b) * x + (c != 0.0f ? diff_scale * c : 0.0f));
      if (c == 0.0f) return dy * ((y / x) * a);
      return dy * ((y / (b * x + c)) * diff_scale);
    }
    case OM_EXP: return (dy * y) * a;
    case OM_LOG: return dy * ((1.0f / (a * x + b)) * (a / c));
    default: return 0.0f;  // THRESHOLD, SIGN
  }
}

// x may be null for POWER with power*scale == 0 (a constant).
extern "C" __global__ void omk_unary_fwd(int op, float* y, const float* x, i64 count, float a, float b,
                                         float c) {
  OM_LOOP(i, count) y[i] = om_unary(op, x != 0 ? x[i] : 0.0f, a, b, c);
}

// dy, x and y may each be null when the op does not read them (read as 0).
extern "C" __global__ void omk_unary_bwd(int op, float* dx, const float* dy, const float* x, const float* y,
                                         i64 count, float a, float b, float c) {
  OM_LOOP(i, count) {
    const float d = dy != 0 ? dy[i] : 0.0f;
    dx[i] = om_unary_grad(op, d, x != 0 ? x[i] : 0.0f, y != 0 ? y[i] : 0.0f, a, b, c);
  }
}

extern "C" __global__ void omk_prelu_fwd(float* top, const float* bottom, const float* slope, i64 n, i64 c,
                                         i64 inner, int shared) {
  OM_LOOP(t, n * c * inner) {
    const float s = slope[shared ? 0 : (t / inner) % c];
    const float x = bottom[t];
    top[t] = fmaxf(x, 0.0f) + s * fminf(x, 0.0f);
  }
}

extern "C" __global__ void omk_prelu_bwd(float* bottom_diff, const float* top_diff, const float* bottom,
                                         const float* slope, i64 n, i64 c, i64 inner, int shared) {
  OM_LOOP(t, n * c * inner) {
    const float s = slope[shared ? 0 : (t / inner) % c];
    const float x = bottom[t];
    bottom_diff[t] = top_diff[t] * ((float)(x > 0.0f) + s * (float)(x <= 0.0f));
  }
}
