// test_cuda_emulated_lowering.cpp: the GPU's lowering (lowering.cu) and pooling
// (pooling.cu) kernels under the CUDA emulator against the CPU library: im2col/col2im
// over geometries with padding, strides, dilation and odd sizes; the layout changes;
// MAX pooling (with many ties, so the first-maximum rule and the mask are exercised) and
// AVE pooling forward and backward; and a whole convolution composed the way CudaDevice
// composes it (lowering kernels + sgemm per group + layout/bias kernels, any number of
// images per lowering) against om_conv_forward/om_conv_backward, with groups.
// Lowering and pooling must match exactly (the same float additions in the same order);
// the convolution, whose sgemm sums in another order, to 1e-4 relative.
#include "cuda_emulated_util.h"

#include "../cuda/lowering.cu"
#include "../cuda/pooling.cu"
#include "../cuda/reduce.cu"

namespace {

struct Geo {
  int n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw;
};

int conv_out(int len, int k, int p, int s, int d) { return (len + 2 * p - (d * (k - 1) + 1)) / s + 1; }

const Geo kGeos[] = {
    {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1}, {2, 3, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1}, {3, 2, 9, 8, 3, 2, 0, 1, 2, 3, 1, 1},
    {2, 2, 7, 7, 3, 3, 2, 2, 1, 1, 2, 2}, {1, 4, 6, 5, 5, 5, 2, 2, 1, 1, 1, 1}, {2, 3, 11, 11, 4, 4, 1, 0, 3, 2, 1, 2},
    {4, 1, 4, 4, 4, 4, 0, 0, 1, 1, 1, 1}, {1, 2, 13, 3, 1, 3, 0, 1, 2, 1, 1, 1},
};

void test_im2col_col2im() {
  Rng r(11);
  for (const Geo& g : kGeos) {
    const int oh = conv_out(g.h, g.kh, g.ph, g.sh, g.dh), ow = conv_out(g.w, g.kw, g.pw, g.sw, g.dw);
    const int64_t in = int64_t{g.n} * g.c * g.h * g.w, cols = int64_t{g.c} * g.kh * g.kw * g.n * oh * ow;
    auto data = r.vec(in), colv = r.vec(cols);
    std::vector<float> gc(cols, 9.0f), cc(cols), gd(in, 9.0f), cd(in);
    run(omk_im2col_batch, cols, gc.data(), static_cast<const float*>(data.data()), int64_t{g.n}, int64_t{g.c},
        int64_t{g.h}, int64_t{g.w}, int64_t{g.kh}, int64_t{g.kw}, int64_t{g.ph}, int64_t{g.pw}, int64_t{g.sh},
        int64_t{g.sw}, int64_t{g.dh}, int64_t{g.dw}, int64_t{oh}, int64_t{ow});
    CHECK_OK(om_im2col_batch(cc.data(), data.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.dh, g.dw));
    all_close("im2col", gc.data(), cc.data(), cols, 0, 0);
    run(omk_col2im_batch, in, gd.data(), static_cast<const float*>(colv.data()), int64_t{g.n}, int64_t{g.c},
        int64_t{g.h}, int64_t{g.w}, int64_t{g.kh}, int64_t{g.kw}, int64_t{g.ph}, int64_t{g.pw}, int64_t{g.sh},
        int64_t{g.sw}, int64_t{g.dh}, int64_t{g.dw}, int64_t{oh}, int64_t{ow});
    CHECK_OK(om_col2im_batch(cd.data(), colv.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.dh, g.dw));
    all_close("col2im", gd.data(), cd.data(), in, 0, 0);
  }
}

void test_layouts() {
  Rng r(12);
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {2, 3, 5}, {5, 2, 1}, {3, 7, 13}}) {
    const int64_t n = s[0], c = s[1], hw = s[2], count = n * c * hw;
    auto src = r.vec(count), bias = r.vec(c);
    std::vector<float> g(count), w(count);
    run(omk_nchw_to_cnhw, count, g.data(), static_cast<const float*>(src.data()), n, c, hw);
    CHECK_OK(om_nchw_to_cnhw(w.data(), src.data(), static_cast<int32_t>(n), static_cast<int32_t>(c), hw));
    all_close("nchw_to_cnhw", g.data(), w.data(), count, 0, 0);
    for (bool withBias : {false, true}) {
      const float* b = withBias ? bias.data() : nullptr;
      run(omk_cnhw_to_nchw, count, g.data(), static_cast<const float*>(src.data()), b, n, c, hw);
      CHECK_OK(om_cnhw_to_nchw(w.data(), src.data(), b, static_cast<int32_t>(n), static_cast<int32_t>(c), hw));
      all_close("cnhw_to_nchw", g.data(), w.data(), count, 0, 0);
    }
    std::vector<float> y(src);
    run(omk_bias_add_planes, count, y.data(), static_cast<const float*>(bias.data()), n, c, hw);
    bool ok = true;
    for (int64_t t = 0; t < count; ++t) ok &= y[t] == src[t] + bias[(t / hw) % c];
    CHECK(ok);
  }
}

// Caffe's pooled size: ceil, and the last window must start inside the image or its left padding.
int pool_out(int len, int k, int p, int s) {
  int o = static_cast<int>(std::ceil(static_cast<float>(len + 2 * p - k) / s)) + 1;
  if (p > 0 && (o - 1) * s >= len + p) --o;
  return o;
}

void test_pooling() {
  Rng r(13);
  const int geos[][9] = {  // n c h w kh kw sh sw ph(=pw unless noted)
      {1, 1, 1, 1, 1, 1, 1, 1, 0}, {2, 3, 6, 6, 2, 2, 2, 2, 0}, {2, 2, 7, 7, 3, 3, 2, 2, 0}, {1, 3, 7, 5, 3, 3, 2, 2, 1},
      {2, 2, 5, 9, 3, 2, 1, 2, 1}, {1, 2, 8, 8, 4, 4, 3, 3, 2}, {3, 1, 13, 13, 3, 3, 2, 2, 0}, {1, 1, 4, 4, 4, 4, 1, 1, 0},
      {2, 2, 5, 5, 5, 5, 1, 1, 2}};
  for (auto& q : geos) {
    const int n = q[0], c = q[1], h = q[2], w = q[3], kh = q[4], kw = q[5], sh = q[6], sw = q[7], p = q[8];
    const int oh = pool_out(h, kh, p, sh), ow = pool_out(w, kw, p, sw);
    const int64_t in = int64_t{n} * c * h * w, out = int64_t{n} * c * oh * ow;
    for (bool ties : {false, true}) {
      auto x = ties ? ints(r, in, -2, 2) : r.vec(in);
      auto dy = r.vec(out);
      std::vector<float> gt(out), ct(out), gd(in, 7.0f), cd(in);
      std::vector<int32_t> gm(out), cm(out);
      const i64 a[] = {n, c, h, w, oh, ow, kh, kw, sh, sw, p, p};
      run(omk_maxpool_fwd, out, gt.data(), gm.data(), static_cast<const float*>(x.data()), a[0], a[1], a[2], a[3],
          a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
      CHECK_OK(om_maxpool_fwd(ct.data(), cm.data(), x.data(), n, c, h, w, oh, ow, kh, kw, sh, sw, p, p));
      all_close("maxpool top", gt.data(), ct.data(), out, 0, 0);
      all_close("maxpool mask", gm.data(), cm.data(), out, 0, 0);
      run(omk_maxpool_fwd, out, gt.data(), static_cast<int*>(nullptr), static_cast<const float*>(x.data()), a[0],
          a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
      all_close("maxpool top (no mask)", gt.data(), ct.data(), out, 0, 0);
      run(omk_maxpool_bwd, in, gd.data(), static_cast<const float*>(dy.data()), static_cast<const int*>(cm.data()),
          a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
      CHECK_OK(om_maxpool_bwd(cd.data(), dy.data(), cm.data(), n, c, h, w, oh, ow));
      all_close("maxpool bwd", gd.data(), cd.data(), in, 0, 0);
      run(omk_avepool_fwd, out, gt.data(), static_cast<const float*>(x.data()), a[0], a[1], a[2], a[3], a[4], a[5],
          a[6], a[7], a[8], a[9], a[10], a[11]);
      CHECK_OK(om_avepool_fwd(ct.data(), x.data(), n, c, h, w, oh, ow, kh, kw, sh, sw, p, p));
      all_close("avepool fwd", gt.data(), ct.data(), out, 0, 0);
      run(omk_avepool_bwd, in, gd.data(), static_cast<const float*>(dy.data()), a[0], a[1], a[2], a[3], a[4], a[5],
          a[6], a[7], a[8], a[9], a[10], a[11]);
      CHECK_OK(om_avepool_bwd(cd.data(), dy.data(), n, c, h, w, oh, ow, kh, kw, sh, sw, p, p));
      all_close("avepool bwd", gd.data(), cd.data(), in, 0, 0);
    }
  }
}

// Row-major sgemm per group as CudaDevice issues it (cuBLAS strided-batched over groups).
void gemm_groups(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float beta, const float* a, int64_t sa,
                 const float* b, int64_t sb, float* c, int64_t sc, int64_t groups) {
  for (int64_t g = 0; g < groups; ++g)
    CHECK_OK(om_sgemm(ta, tb, m, n, k, 1.0f, a + g * sa, ta ? m : k, b + g * sb, tb ? k : n, beta, c + g * sc, n));
}

void test_conv_composed() {
  Rng r(14);
  const om_conv_shape shapes[] = {
      {3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1}, {4, 9, 9, 3, 3, 0, 0, 2, 2, 1, 1, 6, 2},
      {2, 5, 5, 1, 1, 0, 0, 1, 1, 1, 1, 3, 1}, {6, 8, 7, 3, 2, 1, 0, 1, 2, 2, 1, 9, 3}};
  for (const auto& s : shapes) {
    const int n = 5;
    const int oh = conv_out(s.h, s.kh, s.ph, s.sh, s.dh), ow = conv_out(s.w, s.kw, s.pw, s.sw, s.dw);
    const int64_t ohw = int64_t{oh} * ow, in_per = int64_t{s.c} * s.h * s.w, out_per = int64_t{s.cout} * ohw;
    const int64_t rows = int64_t{s.c} * s.kh * s.kw, m = s.cout / s.group, k = rows / s.group;
    auto x = r.vec(n * in_per), wts = r.vec(s.cout * k), bias = r.vec(s.cout), dy = r.vec(n * out_per);
    // CPU reference, Caffe's plan
    int64_t wsf;
    CHECK_OK(om_conv_workspace_floats(&wsf, &s, 1, 1));
    std::vector<float> ws(wsf), top_c(n * out_per), dx_c(n * in_per), dw_c(wts.size(), 0.5f), db_c(s.cout, 0.25f);
    CHECK_OK(om_conv_forward(top_c.data(), x.data(), wts.data(), bias.data(), ws.data(), wsf, n, &s, 1, 1));
    CHECK_OK(om_conv_backward(dx_c.data(), dw_c.data(), db_c.data(), dy.data(), x.data(), wts.data(), ws.data(), wsf,
                              n, &s, 1, 1));
    for (int64_t b : {int64_t{1}, int64_t{2}, int64_t{5}}) {
      std::vector<float> col(rows * b * ohw), stage(s.cout * b * ohw), top(n * out_per), dx(n * in_per),
          dw(wts.size(), 0.5f), db(s.cout, 0.25f);
      const i64 G[] = {s.c, s.h, s.w, s.kh, s.kw, s.ph, s.pw, s.sh, s.sw, s.dh, s.dw, oh, ow};
      for (int64_t start = 0; start < n; start += b) {
        const int64_t bb = std::min<int64_t>(b, n - start), cols = bb * ohw;
        run(omk_im2col_batch, rows * cols, col.data(), static_cast<const float*>(x.data() + start * in_per), bb, G[0],
            G[1], G[2], G[3], G[4], G[5], G[6], G[7], G[8], G[9], G[10], G[11], G[12]);
        float* dst = top.data() + start * out_per;
        if (bb == 1) {
          gemm_groups(false, false, m, cols, k, 0.0f, wts.data(), m * k, col.data(), k * cols, dst, m * cols, s.group);
          run(omk_bias_add_planes, out_per, dst, static_cast<const float*>(bias.data()), int64_t{1}, int64_t{s.cout}, ohw);
        } else {
          gemm_groups(false, false, m, cols, k, 0.0f, wts.data(), m * k, col.data(), k * cols, stage.data(), m * cols,
                      s.group);
          run(omk_cnhw_to_nchw, bb * out_per, dst, static_cast<const float*>(stage.data()),
              static_cast<const float*>(bias.data()), bb, int64_t{s.cout}, ohw);
        }
        // backward of the same chunk
        const float* td = dy.data() + start * out_per;
        if (bb > 1) {
          run(omk_nchw_to_cnhw, bb * out_per, stage.data(), td, bb, int64_t{s.cout}, ohw);
          td = stage.data();
        }
        std::vector<double> part(s.cout * 16);
        run(omk_channel_partials, s.cout * 16, part.data(), td, static_cast<const float*>(nullptr), int64_t{1},
            int64_t{s.cout}, cols, int64_t{16}, 0);
        run(omk_channel_finish, s.cout, db.data(), static_cast<const double*>(part.data()), int64_t{s.cout},
            int64_t{16}, 1.0f, 0.0f, 1);
        gemm_groups(false, true, m, k, cols, 1.0f, td, m * cols, col.data(), k * cols, dw.data(), m * k, s.group);
        gemm_groups(true, false, k, cols, m, 0.0f, wts.data(), m * k, td, m * cols, col.data(), k * cols, s.group);
        run(omk_col2im_batch, bb * in_per, dx.data() + start * in_per, static_cast<const float*>(col.data()), bb, G[0],
            G[1], G[2], G[3], G[4], G[5], G[6], G[7], G[8], G[9], G[10], G[11], G[12]);
      }
      all_close("conv top", top.data(), top_c.data(), top.size(), 1e-4, 1e-5);
      all_close("conv bottom diff", dx.data(), dx_c.data(), dx.size(), 1e-4, 1e-5);
      all_close("conv weight diff", dw.data(), dw_c.data(), dw.size(), 1e-4, 1e-5);
      all_close("conv bias diff", db.data(), db_c.data(), db.size(), 1e-4, 1e-5);
    }
  }
}

}  // namespace

int main() {
  each_order([] {
    test_im2col_col2im();
    test_layouts();
    test_pooling();
    test_conv_composed();
  });
  std::printf("%lld emulated launches\n", emu_launches);
  return finish("test_cuda_emulated_lowering");
}
