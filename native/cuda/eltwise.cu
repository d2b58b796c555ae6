// eltwise.cu: the MAX operation of Caffe's Eltwise layer as a running maximum with the
// winning input's index (Caffe's tie rule: input 1 wins ties against input 0, later
// inputs only when strictly greater), its backward routing, and elementwise division,
// mirroring native/src/eltwise.cpp. mask holds 32-bit ints.
#include "common.cuh"

extern "C" __global__ void omk_eltwise_max_fwd(float* top, int* mask, const float* x, i64 count, int index) {
  OM_LOOP(i, count) {
    if (index == 0) {
      top[i] = x[i];
      mask[i] = 0;
    } else if (index == 1 ? !(top[i] > x[i]) : x[i] > top[i]) {
      top[i] = x[i];
      mask[i] = index;
    }
  }
}

extern "C" __global__ void omk_eltwise_max_bwd(float* bottom_diff, const float* top_diff, const int* mask,
                                               i64 count, int index) {
  OM_LOOP(i, count) bottom_diff[i] = mask[i] == index ? top_diff[i] : 0.0f;
}

extern "C" __global__ void omk_eltwise_div(float* y, const float* a, const float* b, i64 count) {
  OM_LOOP(i, count) y[i] = a[i] / b[i];
}
