// lrn_within.cu: local response normalisation within each channel (Caffe's
// WITHIN_CHANNEL), mirroring native/src/lrn_within.cpp. Per plane, W(p) the size x size
// window centred on p clipped to the plane, divisor size*size:
//   scale_p = 1 + alpha * (sum_{q in W(p)} x_q^2) / size^2,  top_p = x_p * scale_p^-beta
//   t_q = -alpha*beta * dy_q * top_q / scale_q / size^2
//   dx_p = dy_p * scale_p^-beta + 2 * x_p * sum_{q in W(p)} t_q
// Window sums run row by row as on the CPU. Forward writes scale first, then top (so
// top may be bottom); backward computes t into scratch first (so dx may alias dy).
#include "common.cuh"

extern "C" __global__ void omk_lrn_within_scale(float* scale, const float* bottom, i64 planes, i64 h, i64 w,
                                                i64 size, float alpha) {
  const i64 pad = (size - 1) / 2;
  const float divisor = (float)(size * size);
  OM_LOOP(t, planes * h * w) {
    const i64 x = t % w, y = (t / w) % h, plane = t / (w * h);
    const float* in = bottom + plane * h * w;
    const i64 y0 = om_max64(y - pad, 0), y1 = om_min64(y + pad + 1, h);
    const i64 x0 = om_max64(x - pad, 0), x1 = om_min64(x + pad + 1, w);
    float sum = 0.0f;
    for (i64 yy = y0; yy < y1; ++yy)
      for (i64 xx = x0; xx < x1; ++xx) sum += in[yy * w + xx] * in[yy * w + xx];
    scale[t] = alpha * (sum / divisor) + 1.0f;
  }
}

extern "C" __global__ void omk_lrn_within_top(float* top, const float* scale, const float* bottom, i64 count,
                                              float beta) {
  OM_LOOP(t, count) top[t] = bottom[t] * powf(scale[t], -beta);
}

extern "C" __global__ void omk_lrn_within_t(float* tbuf, const float* top_diff, const float* top,
                                            const float* scale, i64 count, i64 size, float alpha, float beta) {
  const float divisor = (float)(size * size);
  const float coeff = -alpha * beta;
  OM_LOOP(t, count) tbuf[t] = coeff * (top_diff[t] * top[t] / scale[t]) / divisor;
}

extern "C" __global__ void omk_lrn_within_bwd(float* bottom_diff, const float* top_diff, const float* tbuf,
                                              const float* scale, const float* bottom, i64 planes, i64 h,
                                              i64 w, i64 size, float beta) {
  const i64 pad = (size - 1) / 2;
  OM_LOOP(t, planes * h * w) {
    const i64 x = t % w, y = (t / w) % h, plane = t / (w * h);
    const float* tp = tbuf + plane * h * w;
    const i64 y0 = om_max64(y - pad, 0), y1 = om_min64(y + pad + 1, h);
    const i64 x0 = om_max64(x - pad, 0), x1 = om_min64(x + pad + 1, w);
    float acc = 0.0f;
    for (i64 yy = y0; yy < y1; ++yy)
      for (i64 xx = x0; xx < x1; ++xx) acc += tp[yy * w + xx];
    bottom_diff[t] = top_diff[t] * powf(scale[t], -beta) + 2.0f * bottom[t] * acc;
  }
}
