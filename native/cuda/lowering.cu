// lowering.cu: the batched lowering on the GPU, mirroring native/src/lowering.cpp.
//
// omk_im2col_batch: col (C*KH*KW, N*OH*OW) from data (N, C, H, W): row (c*KH + i)*KW + j,
// column img*OH*OW + oy*OW + ox holds data[img][c][oy*SH - PH + i*DH][ox*SW - PW + j*DW],
// 0 outside the image; one thread per channel and column.
// omk_col2im_batch: its adjoint as a gather, one thread per data element: the (i, j)
// kernel offsets that reach it are visited in the CPU's order, so the sums (at most one
// term per offset) are bit for bit the CPU's.
// Layout changes (N, C, HW) <-> (C, N, HW) (the second adding an optional bias), and a
// per-plane bias add for a convolution that lowers one image at a time.
#include "common.cuh"

extern "C" __global__ void omk_im2col_batch(float* col, const float* data, i64 n, i64 c, i64 h, i64 w,
                                            i64 kh, i64 kw, i64 ph, i64 pw, i64 sh, i64 sw, i64 dh, i64 dw,
                                            i64 oh, i64 ow) {
  // One thread per (channel, column) writes the channel's KH*KW rows of its column, so the
  // index arithmetic is paid once per KH*KW entries; neighbouring threads write
  // neighbouring columns of each row.
  const i64 ohw = oh * ow, row_len = n * ohw;
  OM_LOOP(t, c * row_len) {
    i64 colm, p, ox;
    const i64 ch = om_divmod(t, row_len, &colm);
    const i64 img = om_divmod(colm, ohw, &p);
    const i64 oy = om_divmod(p, ow, &ox);
    const float* in = data + (img * c + ch) * h * w;
    float* out = col + ch * kh * kw * row_len + colm;
    const int y0 = (int)(oy * sh - ph), x0 = (int)(ox * sw - pw), hh = (int)h, ww = (int)w;
    for (int i = 0; i < (int)kh; ++i) {
      const int iy = y0 + i * (int)dh;
      const bool row_in = iy >= 0 && iy < hh;
      for (int j = 0; j < (int)kw; ++j) {
        const int ix = x0 + j * (int)dw;
        *out = (row_in && ix >= 0 && ix < ww) ? in[(i64)iy * w + ix] : 0.0f;
        out += row_len;
      }
    }
  }
}

extern "C" __global__ void omk_col2im_batch(float* data, const float* col, i64 n, i64 c, i64 h, i64 w,
                                            i64 kh, i64 kw, i64 ph, i64 pw, i64 sh, i64 sw, i64 dh, i64 dw,
                                            i64 oh, i64 ow) {
  const i64 ohw = oh * ow, row_len = n * ohw;
  const int s_h = (int)sh, s_w = (int)sw, o_h = (int)oh, o_w = (int)ow;
  OM_LOOP(t, n * c * h * w) {
    i64 rest, pix, ix64;
    const i64 img = om_divmod(t, c * h * w, &rest);
    const i64 ch = om_divmod(rest, h * w, &pix);
    const int iy = (int)om_divmod(pix, w, &ix64), ix = (int)ix64;
    const float* base = col + ch * kh * kw * row_len + img * ohw;
    float acc = 0.0f;
    for (int i = 0; i < (int)kh; ++i) {
      const int ny = iy + (int)ph - i * (int)dh;  // = oy * sh
      if (ny < 0) break;                          // and for every later i
      if (s_h != 1 && ny % s_h != 0) continue;
      const int oy = s_h == 1 ? ny : ny / s_h;
      if (oy >= o_h) continue;
      for (int j = 0; j < (int)kw; ++j) {
        const int nx = ix + (int)pw - j * (int)dw;
        if (nx < 0) break;
        if (s_w != 1 && nx % s_w != 0) continue;
        const int ox = s_w == 1 ? nx : nx / s_w;
        if (ox >= o_w) continue;
        acc += base[((i64)i * kw + j) * row_len + oy * o_w + ox];
      }
    }
    data[t] = acc;
  }
}

extern "C" __global__ void omk_nchw_to_cnhw(float* dst, const float* src, i64 n, i64 c, i64 hw) {
  OM_LOOP(t, n * c * hw) {  // t indexes dst (C, N, HW)
    i64 p, img;
    const i64 ch = om_divmod(om_divmod(t, hw, &p), n, &img);
    dst[t] = src[(img * c + ch) * hw + p];
  }
}

extern "C" __global__ void omk_cnhw_to_nchw(float* dst, const float* src, const float* bias, i64 n, i64 c,
                                            i64 hw) {
  OM_LOOP(t, n * c * hw) {  // t indexes dst (N, C, HW)
    i64 p, ch;
    const i64 img = om_divmod(om_divmod(t, hw, &p), c, &ch);
    const float v = src[(ch * n + img) * hw + p];
    dst[t] = bias != 0 ? v + bias[ch] : v;
  }
}

// y (n, c, hw) += bias[c]
extern "C" __global__ void omk_bias_add_planes(float* y, const float* bias, i64 n, i64 c, i64 hw) {
  OM_LOOP(t, n * c * hw) {
    i64 p, ch;
    om_divmod(om_divmod(t, hw, &p), c, &ch);
    y[t] += bias[ch];
  }
}
