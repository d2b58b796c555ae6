// pooling.cu: MAX and AVE pooling with Caffe's semantics, mirroring native/src/pooling.cpp.
//
// MAX: the window [oy*SH - PH, +KH) x [ox*SW - PW, +KW) clipped to the image, scanned row
// by row from -FLT_MAX; a value replaces the best only when strictly greater, so the
// first maximum wins; the mask holds y*W + x of the winner (-1 for an empty window).
// AVE: the divisor is the window clipped to [-P, size+P) (padding counts), the sum runs
// over the window clipped to the image.
// Backward passes are gathers, one thread per bottom element: the outputs whose windows
// can hold it are visited in increasing (oy, ox), the order in which the CPU's scatter
// adds them, so the sums are the CPU's bit for bit and no atomics are needed. (The CPU's
// MAX backward also rejects mask entries outside the plane; here an entry that no window
// can hold is simply never read.)
#include "common.cuh"

extern "C" __global__ void omk_maxpool_fwd(float* top, int* mask, const float* bottom, i64 n, i64 c, i64 h,
                                           i64 w, i64 oh, i64 ow, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph,
                                           i64 pw) {
  OM_LOOP(t, n * c * oh * ow) {
    i64 q, ox;
    const i64 plane = om_divmod(t, ow * oh, &q), oy = om_divmod(q, ow, &ox);
    const i64 y0 = om_max64(oy * sh - ph, 0), y1 = om_min64(oy * sh - ph + kh, h);
    const i64 x0 = om_max64(ox * sw - pw, 0), x1 = om_min64(ox * sw - pw + kw, w);
    const float* in = bottom + plane * h * w;
    float best = -OM_FLT_MAX;
    i64 at = -1;
    for (i64 y = y0; y < y1; ++y)
      for (i64 x = x0; x < x1; ++x) {
        const float v = in[y * w + x];
        if (v > best) {
          best = v;
          at = y * w + x;
        }
      }
    top[t] = best;
    if (mask != 0) mask[t] = (int)at;
  }
}

// The outputs [lo, hi) along one axis whose window [o*s - p, o*s - p + k) holds position x.
__device__ __forceinline__ void om_covering(i64 x, i64 k, i64 s, i64 p, i64 out, i64* lo, i64* hi) {
  // 32-bit: positions, windows and strides are small, and a 64-bit division is slow here.
  const int a = (int)(x + p - k + 1), si = (int)s;  // o*s >= a
  const int l = a <= 0 ? 0 : (a + si - 1) / si;
  int u = (int)(x + p) / si + 1;                   // o*s <= x + p
  if (u > (int)out) u = (int)out;
  *lo = l;
  *hi = u > l ? u : l;
}

extern "C" __global__ void omk_maxpool_bwd(float* bottom_diff, const float* top_diff, const int* mask, i64 n,
                                           i64 c, i64 h, i64 w, i64 oh, i64 ow, i64 kh, i64 kw, i64 sh,
                                           i64 sw, i64 ph, i64 pw) {
  OM_LOOP(t, n * c * h * w) {
    i64 q, x;
    const i64 plane = om_divmod(t, w * h, &q), y = om_divmod(q, w, &x);
    i64 oy0, oy1, ox0, ox1;
    om_covering(y, kh, sh, ph, oh, &oy0, &oy1);
    om_covering(x, kw, sw, pw, ow, &ox0, &ox1);
    const float* dy = top_diff + plane * oh * ow;
    const int* idx = mask + plane * oh * ow;
    const int self = (int)(y * w + x);
    float acc = 0.0f;
    for (i64 oy = oy0; oy < oy1; ++oy)
      for (i64 ox = ox0; ox < ox1; ++ox)
        if (idx[oy * ow + ox] == self) acc += dy[oy * ow + ox];
    bottom_diff[t] = acc;
  }
}

// The divisor of output o along one axis: the window clipped to [-p, len + p).
__device__ __forceinline__ i64 om_ave_extent(i64 o, i64 k, i64 s, i64 p, i64 len) {
  const i64 a = o * s - p;
  return om_min64(a + k, len + p) - a;
}

extern "C" __global__ void omk_avepool_fwd(float* top, const float* bottom, i64 n, i64 c, i64 h, i64 w,
                                           i64 oh, i64 ow, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph, i64 pw) {
  OM_LOOP(t, n * c * oh * ow) {
    i64 q, ox;
    const i64 plane = om_divmod(t, ow * oh, &q), oy = om_divmod(q, ow, &ox);
    const i64 size = om_ave_extent(oy, kh, sh, ph, h) * om_ave_extent(ox, kw, sw, pw, w);
    const i64 y0 = om_max64(oy * sh - ph, 0), y1 = om_min64(oy * sh - ph + kh, h);
    const i64 x0 = om_max64(ox * sw - pw, 0), x1 = om_min64(ox * sw - pw + kw, w);
    const float* in = bottom + plane * h * w;
    float sum = 0.0f;
    for (i64 y = y0; y < y1; ++y)
      for (i64 x = x0; x < x1; ++x) sum += in[y * w + x];
    top[t] = sum / (float)size;
  }
}

extern "C" __global__ void omk_avepool_bwd(float* bottom_diff, const float* top_diff, i64 n, i64 c, i64 h,
                                           i64 w, i64 oh, i64 ow, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph,
                                           i64 pw) {
  OM_LOOP(t, n * c * h * w) {
    i64 q, x;
    const i64 plane = om_divmod(t, w * h, &q), y = om_divmod(q, w, &x);
    i64 oy0, oy1, ox0, ox1;
    om_covering(y, kh, sh, ph, oh, &oy0, &oy1);
    om_covering(x, kw, sw, pw, ow, &ox0, &ox1);
    const float* dy = top_diff + plane * oh * ow;
    float acc = 0.0f;
    for (i64 oy = oy0; oy < oy1; ++oy)
      for (i64 ox = ox0; ox < ox1; ++ox) {
        const i64 size = om_ave_extent(oy, kh, sh, ph, h) * om_ave_extent(ox, kw, sw, pw, w);
        acc += dy[oy * ow + ox] / (float)size;
      }
    bottom_diff[t] = acc;
  }
}
