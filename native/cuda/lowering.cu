// lowering.cu: the batched lowering on the GPU, mirroring native/src/lowering.cpp.
//
// omk_im2col_batch: col (C*KH*KW, N*OH*OW) from data (N, C, H, W): row (c*KH + i)*KW + j,
// column img*OH*OW + oy*OW + ox holds data[img][c][oy*SH - PH + i*DH][ox*SW - PW + j*DW],
// 0 outside the image; one thread per column entry.
// omk_col2im_batch: its adjoint as a gather, one thread per data element: the (i, j)
// kernel offsets that reach it are visited in the CPU's order, so the sums (at most one
// term per offset) are bit for bit the CPU's.
// Layout changes (N, C, HW) <-> (C, N, HW) (the second adding an optional bias), and a
// per-plane bias add for a convolution that lowers one image at a time.
#include "common.cuh"

extern "C" __global__ void omk_im2col_batch(float* col, const float* data, i64 n, i64 c, i64 h, i64 w,
                                            i64 kh, i64 kw, i64 ph, i64 pw, i64 sh, i64 sw, i64 dh, i64 dw,
                                            i64 oh, i64 ow) {
  const i64 ohw = oh * ow, row_len = n * ohw, rows = c * kh * kw;
  OM_LOOP(t, rows * row_len) {
    const i64 row = t / row_len, colm = t % row_len;
    const i64 j = row % kw, i = (row / kw) % kh, ch = row / (kw * kh);
    const i64 img = colm / ohw, p = colm % ohw, oy = p / ow, ox = p % ow;
    const i64 iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
    col[t] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? data[((img * c + ch) * h + iy) * w + ix] : 0.0f;
  }
}

extern "C" __global__ void omk_col2im_batch(float* data, const float* col, i64 n, i64 c, i64 h, i64 w,
                                            i64 kh, i64 kw, i64 ph, i64 pw, i64 sh, i64 sw, i64 dh, i64 dw,
                                            i64 oh, i64 ow) {
  const i64 ohw = oh * ow, row_len = n * ohw;
  OM_LOOP(t, n * c * h * w) {
    const i64 ix = t % w, iy = (t / w) % h, ch = (t / (w * h)) % c, img = t / (w * h * c);
    float acc = 0.0f;
    for (i64 i = 0; i < kh; ++i) {
      const i64 ny = iy + ph - i * dh;  // = oy * sh
      if (ny < 0 || ny % sh != 0) continue;
      const i64 oy = ny / sh;
      if (oy >= oh) continue;
      for (i64 j = 0; j < kw; ++j) {
        const i64 nx = ix + pw - j * dw;
        if (nx < 0 || nx % sw != 0) continue;
        const i64 ox = nx / sw;
        if (ox >= ow) continue;
        acc += col[((ch * kh + i) * kw + j) * row_len + img * ohw + oy * ow + ox];
      }
    }
    data[t] = acc;
  }
}

extern "C" __global__ void omk_nchw_to_cnhw(float* dst, const float* src, i64 n, i64 c, i64 hw) {
  OM_LOOP(t, n * c * hw) {
    const i64 p = t % hw, img = (t / hw) % n, ch = t / (hw * n);  // t indexes dst (C, N, HW)
    dst[t] = src[(img * c + ch) * hw + p];
  }
}

extern "C" __global__ void omk_cnhw_to_nchw(float* dst, const float* src, const float* bias, i64 n, i64 c,
                                            i64 hw) {
  OM_LOOP(t, n * c * hw) {
    const i64 p = t % hw, ch = (t / hw) % c, img = t / (hw * c);  // t indexes dst (N, C, HW)
    const float v = src[(ch * n + img) * hw + p];
    dst[t] = bias != 0 ? v + bias[ch] : v;
  }
}

// y (n, c, hw) += bias[c]
extern "C" __global__ void omk_bias_add_planes(float* y, const float* bias, i64 n, i64 c, i64 hw) {
  OM_LOOP(t, n * c * hw) y[t] += bias[(t / hw) % c];
}
