// test_conv_engine.cpp: om_conv_forward / om_conv_backward under several plans
// (partitions x images per lowering, incl. Caffe's 1 x 1 and batches not divisible by
// the partition count) against a naive direct convolution and its gradients, for
// shapes with groups, stride, padding and dilation; plus the workspace size and the
// argument checks.
#include <cstring>

#include "test_util.h"

namespace {

struct Ref {
  int n;
  om_conv_shape s;
  int oh() const { return (s.h + 2 * s.ph - (s.dh * (s.kh - 1) + 1)) / s.sh + 1; }
  int ow() const { return (s.w + 2 * s.pw - (s.dw * (s.kw - 1) + 1)) / s.sw + 1; }
  int cg() const { return s.c / s.group; }
  int mg() const { return s.cout / s.group; }
  size_t in() const { return size_t(n) * s.c * s.h * s.w; }
  size_t out() const { return size_t(n) * s.cout * oh() * ow(); }
  size_t wc() const { return size_t(s.cout) * cg() * s.kh * s.kw; }

  // Calls f(top index, bottom index or -1, weight index) for every product term.
  template <class F>
  void each(F&& f) const {
    for (int i = 0; i < n; ++i)
      for (int o = 0; o < s.cout; ++o)
        for (int y = 0; y < oh(); ++y)
          for (int x = 0; x < ow(); ++x) {
            const size_t t = ((size_t(i) * s.cout + o) * oh() + y) * ow() + x;
            const int g = o / mg();
            for (int ci = 0; ci < cg(); ++ci)
              for (int a = 0; a < s.kh; ++a)
                for (int b = 0; b < s.kw; ++b) {
                  const int iy = y * s.sh - s.ph + a * s.dh, ix = x * s.sw - s.pw + b * s.dw;
                  const size_t wi = ((size_t(o) * cg() + ci) * s.kh + a) * s.kw + b;
                  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                  const int c = g * cg() + ci;
                  f(t, ((size_t(i) * s.c + c) * s.h + iy) * s.w + ix, wi);
                }
          }
  }
};

void check_close(const std::vector<float>& got, const std::vector<double>& want, const char* what,
                 int p, int b) {
  for (size_t i = 0; i < got.size(); ++i)
    if (!near(got[i], want[i], 1e-4, 1e-4)) {
      std::fprintf(stderr, "%s plan %dx%d: [%zu] got %g want %g\n", what, p, b, i, got[i], want[i]);
      ++g_failures;
      return;
    }
}

void run_case(const Ref& r, unsigned seed) {
  Rng rng(seed);
  const auto bottom = rng.vec(r.in()), w = rng.vec(r.wc()), bias = rng.vec(r.s.cout);
  const auto top_diff = rng.vec(r.out()), w0 = rng.vec(r.wc()), b0 = rng.vec(r.s.cout);
  std::vector<double> top(r.out(), 0.0), bd(r.in(), 0.0), wd(w0.begin(), w0.end()),
      biasd(b0.begin(), b0.end());
  r.each([&](size_t t, size_t bi, size_t wi) {
    top[t] += double(bottom[bi]) * w[wi];
    bd[bi] += double(top_diff[t]) * w[wi];
    wd[wi] += double(top_diff[t]) * bottom[bi];
  });
  const size_t hw = size_t(r.oh()) * r.ow();
  for (size_t t = 0; t < r.out(); ++t) {
    const int o = int((t / hw) % r.s.cout);
    top[t] += bias[o];
    biasd[o] += top_diff[t];
  }
  // Two plans of more than one partition and the same B run the same lowerings, each by
  // whichever thread is free: the same bits for the outputs, data gradients and (summed in
  // fixed chunks when small: chunks.h's kGradChunks and kGradChunkFloats) weight gradients.
  const bool small_grad = 64 * (r.wc() + r.s.cout) <= (size_t{1} << 22);
  std::vector<float> first_top[65], first_bd[65], first_wd[65];
  const auto same = [](std::vector<float>& first, const std::vector<float>& got, const char* what, int p, int b) {
    if (first.empty()) {
      first = got;
    } else if (std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) != 0) {
      std::fprintf(stderr, "%s plan %dx%d: not bit for bit the first plan with %d images per lowering\n", what, p, b, b);
      ++g_failures;
    }
  };
  const int plans[][2] = {{1, 1}, {1, 2}, {1, 64}, {2, 1}, {2, 2}, {3, 2}, {4, 1}, {2, 64}};
  for (const auto& pb : plans) {
    const int p = pb[0], b = pb[1];
    int64_t ws_n = -1;
    CHECK_OK(om_conv_workspace_floats(&ws_n, &r.s, p, b));
    CHECK(ws_n >= 0);  // 0: the direct path (conv_direct.h) reads the images in place
    std::vector<float> ws(size_t(std::max<int64_t>(ws_n, 1)), 7.0f);  // scratch is never read before written
    std::vector<float> got(r.out(), 0.0f);
    CHECK_OK(om_conv_forward(got.data(), bottom.data(), w.data(), bias.data(), ws.data(), ws_n,
                             r.n, &r.s, p, b));
    check_close(got, top, "forward", p, b);
    std::vector<float> gbd(r.in(), 3.0f), gwd(w0), gbias(b0);
    CHECK_OK(om_conv_backward(gbd.data(), gwd.data(), gbias.data(), top_diff.data(),
                              bottom.data(), w.data(), ws.data(), ws_n, r.n, &r.s, p, b));
    check_close(gbd, bd, "bottom diff", p, b);
    check_close(gwd, wd, "weight diff", p, b);
    check_close(gbias, biasd, "bias diff", p, b);
    if (p > 1) {
      same(first_top[b], got, "forward", p, b);
      same(first_bd[b], gbd, "bottom diff", p, b);
      if (small_grad) same(first_wd[b], gwd, "weight diff", p, b);
    }
    // No bias, no bottom gradient.
    std::vector<float> gwd2(w0);
    CHECK_OK(om_conv_backward(nullptr, gwd2.data(), nullptr, top_diff.data(), bottom.data(),
                              w.data(), ws.data(), ws_n, r.n, &r.s, p, b));
    check_close(gwd2, wd, "weight diff (no bottom diff)", p, b);
  }
  // The packed engine (printed as plan Px0), where the CPU has AVX-512.
  if (om_conv_packed_supported() != 1) return;
  // Outputs and data gradients of 1 partition, which 2 and 3 (chunks taken by whichever
  // thread is free) must give bit for bit.
  std::vector<float> top1, bd1, wd1;
  // Weight gradients of at most 64 K floats (with the bias) are summed in fixed chunks
  // (chunks.h's kGradChunks): the same bits for any P too.
  const bool chunked = 64 * ((r.wc() + r.s.cout + 15) / 16 * 16) <= (size_t{1} << 22);
  const auto same_bits = [](const std::vector<float>& a, const std::vector<float>& b, const char* what, int p) {
    if (a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0) return;
    std::fprintf(stderr, "packed %s plan %d: not bit for bit the 1-partition result\n", what, p);
    ++g_failures;
  };
  for (const int p : {1, 2, 3}) {
    int64_t ws_n = -1;
    CHECK_OK(om_conv_packed_workspace_floats(&ws_n, &r.s, p));
    CHECK(ws_n >= 0);  // 0: the direct path (conv_direct.h) reads the images in place
    std::vector<float> ws(size_t(std::max<int64_t>(ws_n, 1)), 7.0f);
    std::vector<float> got(r.out(), 5.0f);
    CHECK_OK(om_conv_packed_forward(got.data(), bottom.data(), w.data(), bias.data(), ws.data(),
                                    ws_n, r.n, &r.s, p));
    check_close(got, top, "packed forward", p, 0);
    if (p == 1) top1 = got;
    else same_bits(got, top1, "forward", p);
    {
      // Fused ReLU: bit for bit the packed forward followed by x > 0 ? x : 0 * x.
      std::vector<float> fused(r.out(), 5.0f);
      CHECK_OK(om_conv_packed_forward_relu(fused.data(), bottom.data(), w.data(), bias.data(), ws.data(),
                                           ws_n, r.n, &r.s, p));
      int bad = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        const float want = got[i] > 0.0f ? got[i] : 0.0f * got[i];
        if (std::memcmp(&want, &fused[i], sizeof want) != 0 && ++bad <= 3)
          std::fprintf(stderr, "packed forward + relu plan %d: [%zu] got %g want %g\n", p, i, fused[i], want);
      }
      CHECK(bad == 0);
    }
    std::vector<float> gbd(r.in(), 3.0f), gwd(w0), gbias(b0);
    CHECK_OK(om_conv_packed_backward(gbd.data(), gwd.data(), gbias.data(), top_diff.data(),
                                     bottom.data(), w.data(), ws.data(), ws_n, r.n, &r.s, p));
    check_close(gbd, bd, "packed bottom diff", p, 0);
    if (p == 1) bd1 = gbd;
    else same_bits(gbd, bd1, "bottom diff", p);
    check_close(gwd, wd, "packed weight diff", p, 0);
    if (p == 1) wd1 = gwd;
    else if (chunked) same_bits(gwd, wd1, "weight diff", p);
    check_close(gbias, biasd, "packed bias diff", p, 0);
    std::vector<float> gwd2(w0);
    CHECK_OK(om_conv_packed_backward(nullptr, gwd2.data(), nullptr, top_diff.data(),
                                     bottom.data(), w.data(), ws.data(), ws_n, r.n, &r.s, p));
    check_close(gwd2, wd, "packed weight diff (no bottom diff)", p, 0);
    if (ws_n > 1)
      CHECK(om_conv_packed_forward(got.data(), bottom.data(), w.data(), nullptr, ws.data(),
                                   ws_n - 1, r.n, &r.s, p) == OM_INVALID_ARGUMENT);
  }
}

}  // namespace

int main() {
  // c, h, w, kh, kw, ph, pw, sh, sw, dh, dw, cout, group
  run_case({5, {3, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1}}, 1);
  run_case({7, {4, 11, 10, 5, 3, 2, 0, 2, 3, 1, 1, 6, 2}}, 2);   // groups, stride, pad
  run_case({3, {6, 7, 7, 3, 3, 2, 2, 1, 2, 2, 1, 6, 3}}, 3);      // dilation, 3 groups
  run_case({1, {2, 5, 5, 1, 1, 0, 0, 1, 1, 1, 1, 3, 1}}, 4);      // 1 image, 1x1 kernel
  run_case({0, {2, 5, 5, 3, 3, 0, 0, 1, 1, 1, 1, 3, 1}}, 5);      // empty batch
  // Shapes for the packed engine's edges: over 256 output columns per partition and a
  // partial 12-row tile (M 26); stride 4 with 25 outputs per image (panels over 3
  // images); panels over 2 images (42 outputs), K past 32, 2 groups of M 20.
  run_case({3, {5, 15, 13, 5, 5, 2, 1, 1, 1, 1, 1, 26, 1}}, 6);
  run_case({4, {3, 23, 23, 5, 5, 0, 0, 4, 4, 1, 1, 14, 1}}, 7);
  run_case({3, {8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 40, 2}}, 8);
  // Packed weights over 512 KiB (M 256, K 576): the forward pass in blocks of lowered
  // rows, the data gradient in blocks of 256 rows.
  run_case({2, {64, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 256, 1}}, 9);
  // Stride 1 with padding past the kernel (1x1, pad 1): the packed data gradient cannot be
  // the transposed convolution and goes through the lowered gradient instead.
  run_case({3, {40, 5, 6, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1}}, 10);
  // The transposed data gradient with 2 groups, dilation 2 in y and padding 2 in both.
  run_case({2, {128, 7, 6, 3, 3, 2, 2, 1, 1, 2, 1, 24, 2}}, 11);
  // Strided layers with 256+ outputs per image: the packed engine lowers from a copy split
  // into stride phases (stride 2 with padding; stride 3, dilation 2 in y, 2 groups).
  run_case({3, {3, 33, 35, 3, 3, 1, 2, 2, 2, 1, 1, 8, 1}}, 12);
  run_case({2, {4, 60, 61, 3, 2, 0, 1, 3, 3, 2, 1, 6, 2}}, 13);
  // stride 4 and 2 wide enough for the phase copy's vector loops (CaffeNet conv1-like)
  run_case({2, {3, 70, 75, 5, 5, 1, 1, 4, 4, 1, 1, 8, 1}}, 15);
  run_case({2, {2, 40, 70, 3, 3, 1, 1, 2, 2, 1, 1, 5, 1}}, 16);
  // Panels over 3+ images (25 outputs each) with K 288: sums staged over two row blocks.
  run_case({4, {32, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 14, 1}}, 14);
  // Enough panels for several chunks per pass: a stride-1 layer (its data gradient the
  // transposed convolution, 18 panels) and a strided one over 6 images (added into them).
  run_case({4, {64, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 16, 1}}, 17);
  run_case({6, {3, 33, 31, 3, 3, 1, 1, 2, 2, 1, 1, 8, 1}}, 18);
  // The packed engine's direct path (C/group * kh * kw <= 32, stride 1: conv_direct.h;
  // cases 1, 4 and 5 above take it too, and case 19 is case 1 with K 36, lowered):
  // LeNet's conv1 (rows of 24 columns, 12 + 8 output channels); rows of 37 columns (a
  // second block of 5) with padding and M 13; a 1x1 kernel padded in y with C 32 (the data
  // gradient's blocks of 12 + 12 + 8 channels); a 1 x 11 kernel over 2 groups; padding
  // past the kernel (whole rows outside the image).
  run_case({5, {4, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1}}, 19);
  run_case({3, {1, 28, 28, 5, 5, 0, 0, 1, 1, 1, 1, 20, 1}}, 20);
  run_case({2, {3, 40, 37, 3, 3, 1, 1, 1, 1, 1, 1, 13, 1}}, 21);
  run_case({2, {32, 6, 7, 1, 1, 1, 0, 1, 1, 1, 1, 5, 1}}, 22);
  run_case({2, {2, 9, 30, 1, 11, 0, 5, 1, 1, 1, 1, 4, 2}}, 23);
  run_case({3, {1, 5, 5, 5, 5, 4, 4, 1, 1, 1, 1, 3, 1}}, 24);

  // Argument checks.
  om_conv_shape bad{4, 5, 5, 3, 3, 0, 0, 1, 1, 1, 1, 6, 3};  // group 3 does not divide c 4
  int64_t f = 0;
  CHECK(om_conv_workspace_floats(&f, &bad, 1, 1) == OM_INVALID_ARGUMENT);
  om_conv_shape ok{4, 5, 5, 3, 3, 0, 0, 1, 1, 1, 1, 6, 2};
  CHECK(om_conv_workspace_floats(&f, &ok, 0, 1) == OM_INVALID_ARGUMENT);
  CHECK_OK(om_conv_workspace_floats(&f, &ok, 2, 4));
  // 2 partitions x (col 36*4*9 + stage 6*4*9), and the gradients (6*18 + 6, small) of
  // each of 64 chunks of lowerings.
  CHECK(f == 2 * (36 * 4 * 9 + 6 * 4 * 9) + 64 * (6 * 18 + 6));
  std::vector<float> x(100 * 4 * 25), y(100 * 6 * 9), wv(6 * 18), ws(size_t(f) - 1);
  CHECK(om_conv_forward(y.data(), x.data(), wv.data(), nullptr, ws.data(), f - 1, 100, &ok, 2, 4) ==
        OM_INVALID_ARGUMENT);
  return finish("test_conv_engine");
}
