// test_cuda_emulated_norm.cpp: the GPU's softmax (softmax.cu), LRN across and within
// channels (lrn.cu, lrn_within.cu) and SoftmaxWithLoss (loss.cu) kernels under the CUDA
// emulator against the CPU library, composed as CudaDevice composes them (scale then top;
// ratios or t into scratch then the combine). Tolerances: expf/powf may differ from the
// CPU's by a few ulps on a GPU, so 1e-5 relative (abs 1e-6); the paths the CPU computes
// with sqrt and division (beta 0.75, 0.5, 1) must match exactly under the emulator.
#include "cuda_emulated_util.h"

#include "../cuda/softmax.cu"
#include "../cuda/lrn.cu"
#include "../cuda/lrn_within.cu"
#include "../cuda/loss.cu"

namespace {

void test_softmax() {
  Rng r(21);
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {2, 10, 1}, {3, 4, 7}, {1, 1000, 2}, {4, 3, 130}}) {
    const int64_t o = s[0], c = s[1], in = s[2], count = o * c * in;
    auto x = r.vec(count, -8, 8), dy = r.vec(count);
    std::vector<float> g(count), w(count), gd(count), wd(count);
    run(omk_softmax_fwd, o * in, g.data(), static_cast<const float*>(x.data()), o, c, in);
    CHECK_OK(om_softmax_fwd(w.data(), x.data(), o, c, in));
    all_close("softmax fwd", g.data(), w.data(), count, 1e-5, 1e-7);
    std::vector<float> ip(x);  // in place
    run(omk_softmax_fwd, o * in, ip.data(), static_cast<const float*>(ip.data()), o, c, in);
    all_close("softmax fwd in place", ip.data(), w.data(), count, 1e-5, 1e-7);
    run(omk_softmax_bwd, o * in, gd.data(), static_cast<const float*>(dy.data()), static_cast<const float*>(w.data()), o, c, in);
    CHECK_OK(om_softmax_bwd(wd.data(), dy.data(), w.data(), o, c, in));
    all_close("softmax bwd", gd.data(), wd.data(), count, 1e-5, 1e-7);
  }
}

void test_lrn_across() {
  Rng r(22);
  const int shapes[][5] = {{1, 1, 1, 1, 1}, {2, 5, 3, 3, 5}, {1, 7, 2, 5, 3}, {2, 3, 4, 1, 5}, {1, 16, 3, 3, 5}};
  for (auto& s : shapes)
    for (float beta : {0.75f, 0.5f, 1.0f, 0.6f}) {
      const int n = s[0], c = s[1], h = s[2], w = s[3], size = s[4];
      const int64_t count = int64_t{n} * c * h * w, hw = int64_t{h} * w;
      auto x = r.vec(count, -2, 2), dy = r.vec(count);
      const float alpha = 1e-2f, k = 1.5f;
      std::vector<float> gs(count), gt(count), ws(count), wt(count), ratio(count), gd(count), wd(count);
      run(omk_lrn_across_scale, count, gs.data(), static_cast<const float*>(x.data()), int64_t{n}, int64_t{c}, hw,
          int64_t{size}, alpha, k);
      run(omk_lrn_across_top, count, gt.data(), static_cast<const float*>(gs.data()), static_cast<const float*>(x.data()),
          count, beta);
      CHECK_OK(om_lrn_across_fwd(wt.data(), ws.data(), x.data(), n, c, h, w, size, alpha, beta, k));
      const double tol = beta == 0.6f ? 1e-5 : 0;
      all_close("lrn scale", gs.data(), ws.data(), count, 0, 0);
      all_close("lrn top", gt.data(), wt.data(), count, tol, tol);
      run(omk_lrn_across_ratio, count, ratio.data(), static_cast<const float*>(dy.data()),
          static_cast<const float*>(wt.data()), static_cast<const float*>(ws.data()), count);
      run(omk_lrn_across_bwd, count, gd.data(), static_cast<const float*>(dy.data()),
          static_cast<const float*>(ratio.data()), static_cast<const float*>(ws.data()),
          static_cast<const float*>(x.data()), int64_t{n}, int64_t{c}, hw, int64_t{size}, alpha, beta);
      CHECK_OK(om_lrn_across_bwd(wd.data(), dy.data(), wt.data(), ws.data(), x.data(), n, c, h, w, size, alpha, beta));
      all_close("lrn bwd", gd.data(), wd.data(), count, tol, tol);
      // bottom_diff over top_diff (in place)
      std::vector<float> ip(dy);
      run(omk_lrn_across_bwd, count, ip.data(), static_cast<const float*>(ip.data()),
          static_cast<const float*>(ratio.data()), static_cast<const float*>(ws.data()),
          static_cast<const float*>(x.data()), int64_t{n}, int64_t{c}, hw, int64_t{size}, alpha, beta);
      all_close("lrn bwd in place", ip.data(), wd.data(), count, tol, tol);
    }
}

void test_lrn_within() {
  Rng r(23);
  const int shapes[][5] = {{1, 1, 1, 1, 1}, {2, 2, 5, 5, 3}, {1, 3, 4, 7, 5}, {2, 1, 3, 2, 5}};
  for (auto& s : shapes) {
    const int n = s[0], c = s[1], h = s[2], w = s[3], size = s[4];
    const int64_t count = int64_t{n} * c * h * w, planes = int64_t{n} * c;
    auto x = r.vec(count, -2, 2), dy = r.vec(count);
    const float alpha = 0.3f, beta = 0.75f;
    std::vector<float> gs(count), gt(count), ws(count), wt(count), tb(count), gd(count), wd(count);
    run(omk_lrn_within_scale, count, gs.data(), static_cast<const float*>(x.data()), planes, int64_t{h}, int64_t{w},
        int64_t{size}, alpha);
    run(omk_lrn_within_top, count, gt.data(), static_cast<const float*>(gs.data()), static_cast<const float*>(x.data()),
        count, beta);
    CHECK_OK(om_lrn_within_fwd(wt.data(), ws.data(), x.data(), n, c, h, w, size, alpha, beta));
    all_close("lrn within scale", gs.data(), ws.data(), count, 0, 0);
    all_close("lrn within top", gt.data(), wt.data(), count, 1e-5, 1e-6);
    run(omk_lrn_within_t, count, tb.data(), static_cast<const float*>(dy.data()), static_cast<const float*>(wt.data()),
        static_cast<const float*>(ws.data()), count, int64_t{size}, alpha, beta);
    run(omk_lrn_within_bwd, count, gd.data(), static_cast<const float*>(dy.data()), static_cast<const float*>(tb.data()),
        static_cast<const float*>(ws.data()), static_cast<const float*>(x.data()), planes, int64_t{h}, int64_t{w},
        int64_t{size}, beta);
    CHECK_OK(om_lrn_within_bwd(wd.data(), dy.data(), wt.data(), ws.data(), x.data(), n, c, h, w, size, alpha, beta));
    all_close("lrn within bwd", gd.data(), wd.data(), count, 1e-5, 1e-6);
  }
}

// SoftmaxWithLoss as CudaDevice runs it: partials over slots, added on the host.
void test_softmax_loss() {
  Rng r(24);
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {8, 10, 1}, {3, 5, 7}, {2, 4, 33}})
    for (int mode = 0; mode < 3; ++mode) {  // 0 no ignore, 1 ignore label 2, 2 with a bad label
      const int64_t o = s[0], c = s[1], in = s[2], count = o * c * in, pos = o * in;
      auto prob = r.vec(count, 0, 1);
      prob[0] = 0.0f;  // FLT_MIN clamp
      auto labels = ints(r, pos, 0, static_cast<int>(c) - 1);
      if (mode >= 1 && pos > 2) labels[1] = 2.0f;
      if (mode == 2) labels[pos - 1] = static_cast<float>(c) + 0.5f;
      const int has_ignore = mode == 1 ? 1 : 0;
      for (int64_t slots : {int64_t{1}, int64_t{3}, int64_t{64}}) {
        std::vector<double> part(3 * slots);
        run(omk_softmax_loss_partials, slots, part.data(), static_cast<const float*>(prob.data()),
            static_cast<const float*>(labels.data()), o, c, in, has_ignore, 2, slots);
        double loss = 0, valid = 0, bad = -1;
        for (int64_t t = 0; t < slots; ++t) {
          loss += part[t];
          valid += part[slots + t];
          if (part[2 * slots + t] >= 0 && (bad < 0 || part[2 * slots + t] < bad)) bad = part[2 * slots + t];
        }
        double wl;
        int64_t wv, wb;
        CHECK_OK(om_softmax_loss_fwd(&wl, &wv, &wb, prob.data(), labels.data(), o, c, in, has_ignore, 2));
        CHECK(static_cast<int64_t>(bad) == wb);
        if (wb < 0) {
          CHECK(near(loss, wl, 1e-12, 1e-12));
          CHECK(static_cast<int64_t>(valid) == wv);
        }
      }
      if (mode == 2) continue;  // the CPU's backward rejects bad labels
      std::vector<float> g(count), w(count);
      run(omk_softmax_loss_bwd, count, g.data(), static_cast<const float*>(prob.data()),
          static_cast<const float*>(labels.data()), o, c, in, has_ignore, 2, 0.25f);
      CHECK_OK(om_softmax_loss_bwd(w.data(), prob.data(), labels.data(), o, c, in, has_ignore, 2, 0.25f));
      all_close("softmax loss bwd", g.data(), w.data(), count, 0, 0);
    }
}

}  // namespace

int main() {
  each_order([] {
    test_softmax();
    test_lrn_across();
    test_lrn_within();
    test_softmax_loss();
  });
  std::printf("%lld emulated launches\n", emu_launches);
  return finish("test_cuda_emulated_norm");
}
