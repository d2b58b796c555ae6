// test_cuda_emulated_activations.cpp: the GPU's activation kernels (activations.cu, with
// PReLU's slope gradient through reduce.cu), shape-level kernels (tensor.cu: block
// copies, channel affine, ArgMax with ties and NaN) and random fills (random.cu) under
// the CUDA emulator against the CPU library. Transcendental ops (tanh, exp, log, pow)
// may differ from the CPU's by a few ulps on a GPU: 1e-5 relative; the rest, exact.
// Random fills: the GPU's generator is the CPU's (same values to float rounding), and
// the distributions are checked too (mean, spread, keep fraction).
#include "cuda_emulated_util.h"

#include "../cuda/activations.cu"
#include "../cuda/reduce.cu"
#include "../cuda/tensor.cu"
#include "../cuda/random.cu"

#include "omnivore_activations.h"
#include "omnivore_random.h"

namespace {

struct OpCase {
  int op;
  float a, b, c;
  float lo, hi;  // input range
};

void test_unary() {
  Rng r(31);
  const OpCase cases[] = {
      {0, 0, 0, 0, -6, 6},     {1, 0, 0, 0, -3, 3},      {2, 0, 0, 0, -2, 2},     {3, 1.0f, 0, 0, -2, 2},
      {3, 0.3f, 0, 0, -2, 2},  {4, 2, 1, 0, -2, 2},      {4, 2, 0.5f, 1, -2, 2}, {4, 1, 2, 3, -2, 2},
      {4, 0, 1, 1, -2, 2},     {4, 3, 0, 2, -2, 2},      {4, 0.5f, 1, 2, 0.1f, 3}, {4, 1.5f, 2, 0, 0.1f, 3},
      {5, 0.5f, 2, 0, -2, 2},  {6, 1, 0, 1, 0.1f, 4},    {6, 2, 1, 0.6931472f, 0.1f, 4}, {7, 0.2f, 0, 0, -1, 1},
      {8, 0, 0, 0, -1, 1}};
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{37}, int64_t{500}})
    for (const OpCase& k : cases) {
      auto x = r.vec(n, k.lo, k.hi), dy = r.vec(n);
      if (n > 3 && k.lo < 0) x[3] = 0.0f;
      std::vector<float> gy(n), wy(n), gd(n), wd(n);
      run(omk_unary_fwd, n, k.op, gy.data(), static_cast<const float*>(x.data()), n, k.a, k.b, k.c);
      CHECK_OK(om_unary_fwd(k.op, wy.data(), x.data(), n, k.a, k.b, k.c));
      if (!all_close("unary fwd op " + std::to_string(k.op), gy.data(), wy.data(), n, 1e-5, 1e-6)) continue;
      run(omk_unary_bwd, n, k.op, gd.data(), static_cast<const float*>(dy.data()), static_cast<const float*>(x.data()),
          static_cast<const float*>(wy.data()), n, k.a, k.b, k.c);
      CHECK_OK(om_unary_bwd(k.op, wd.data(), dy.data(), x.data(), wy.data(), n, k.a, k.b, k.c));
      all_close("unary bwd op " + std::to_string(k.op), gd.data(), wd.data(), n, 1e-5, 1e-6);
    }
}

void test_prelu() {
  Rng r(32);
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {2, 3, 5}, {3, 4, 1}, {2, 16, 49}})
    for (int shared = 0; shared < 2; ++shared) {
      const int64_t n = s[0], c = s[1], in = s[2], count = n * c * in, slopes = shared ? 1 : c;
      auto x = r.vec(count), dy = r.vec(count), slope = r.vec(slopes, 0, 0.5f), sd0 = r.vec(slopes);
      x[0] = 0.0f;
      std::vector<float> g(count), w(count);
      run(omk_prelu_fwd, count, g.data(), static_cast<const float*>(x.data()), static_cast<const float*>(slope.data()),
          n, c, in, shared);
      CHECK_OK(om_prelu_fwd(w.data(), x.data(), slope.data(), n, c, in, shared));
      all_close("prelu fwd", g.data(), w.data(), count, 0, 0);
      std::vector<float> gs(sd0), ws(sd0);
      run(omk_prelu_bwd, count, g.data(), static_cast<const float*>(dy.data()), static_cast<const float*>(x.data()),
          static_cast<const float*>(slope.data()), n, c, in, shared);
      const int64_t slots = 4;
      std::vector<double> part(c * slots);
      run(omk_channel_partials, c * slots, part.data(), static_cast<const float*>(x.data()),
          static_cast<const float*>(dy.data()), n, c, in, slots, 3);
      run(omk_channel_finish, shared ? 1 : c, gs.data(), static_cast<const double*>(part.data()), c, slots, 1.0f,
          0.0f, shared ? 2 : 1);
      CHECK_OK(om_prelu_bwd(w.data(), ws.data(), dy.data(), x.data(), slope.data(), n, c, in, shared));
      all_close("prelu bwd", g.data(), w.data(), count, 0, 0);
      all_close("prelu slope diff", gs.data(), ws.data(), slopes, 1e-6, 1e-6);
    }
}

void test_tensor() {
  Rng r(33);
  // block copies (Concat / Slice)
  for (auto s : {std::array<int64_t, 4>{1, 1, 1, 1}, {3, 10, 4, 7}, {5, 3, 8, 2}, {2, 6, 6, 6}}) {
    const int64_t blocks = s[0], dst_stride = s[1], src_stride = s[2], len = s[3];
    auto src = r.vec((blocks - 1) * src_stride + len);
    std::vector<float> g((blocks - 1) * dst_stride + len, 5.0f), w(g);
    run(omk_copy_blocks, blocks * len, g.data(), dst_stride, static_cast<const float*>(src.data()), src_stride, blocks, len);
    CHECK_OK(om_copy_blocks(w.data(), dst_stride, src.data(), src_stride, blocks, len));
    all_close("copy_blocks", g.data(), w.data(), g.size(), 0, 0);
  }
  // channel affine with and without scale/bias, and in place
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {2, 3, 5}, {4, 1, 9}}) {
    const int64_t o = s[0], c = s[1], in = s[2], count = o * c * in;
    auto x = r.vec(count), sc = r.vec(c), bi = r.vec(c);
    for (int v = 0; v < 3; ++v) {
      const float* scale = v == 2 ? nullptr : sc.data();
      const float* bias = v == 1 ? nullptr : bi.data();
      std::vector<float> g(x), w(count);
      run(omk_channel_affine, count, g.data(), static_cast<const float*>(g.data()), scale, bias, o, c, in);
      CHECK_OK(om_channel_affine(w.data(), x.data(), scale, bias, o, c, in));
      all_close("channel_affine", g.data(), w.data(), count, 0, 0);
    }
  }
  // ArgMax: every mode, top_k up to dim, ties (small integers) and a NaN
  for (auto s : {std::array<int64_t, 3>{1, 1, 1}, {3, 6, 1}, {2, 5, 4}, {4, 9, 1}})
    for (int64_t k = 1; k <= s[1]; ++k)
      for (int mode = 0; mode < 3; ++mode) {
        const int64_t o = s[0], dim = s[1], in = s[2];
        if (mode == 2 && in != 1) continue;
        auto x = ints(r, o * dim * in, 0, 3);
        if (x.size() > 4) x[4] = std::nanf("");
        const int64_t out = o * k * in * (mode == 2 ? 2 : 1);
        std::vector<float> g(out), w(out);
        run(omk_argmax_fwd, o * in, g.data(), static_cast<const float*>(x.data()), o, dim, in, k, mode);
        CHECK_OK(om_argmax_fwd(w.data(), x.data(), o, dim, in, k, mode));
        all_close("argmax", g.data(), w.data(), out, 0, 0);
      }
}

void test_random() {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{7}, int64_t{10001}})
    for (uint64_t seed : {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}}) {
      std::vector<float> g(n), w(n);
      run_wide(omk_rng_uniform, n, g.data(), n, -2.0f, 3.0f, seed);
      CHECK_OK(om_rng_uniform(w.data(), n, -2.0f, 3.0f, seed));
      all_close("rng uniform", g.data(), w.data(), n, 1e-6, 1e-6);
      run_wide(omk_rng_gaussian, (n + 1) / 2, g.data(), n, 1.0f, 2.0f, seed);
      CHECK_OK(om_rng_gaussian(w.data(), n, 1.0f, 2.0f, seed));
      all_close("rng gaussian", g.data(), w.data(), n, 1e-5, 1e-5);
      if (n == 10001) {
        double m = 0, v = 0;
        for (float x : g) m += x;
        m /= n;
        for (float x : g) v += (x - m) * (x - m);
        v /= n;
        CHECK(std::fabs(m - 1.0) < 0.1 && std::fabs(std::sqrt(v) - 2.0) < 0.1);
      }
      run(omk_rng_bernoulli, n, g.data(), n, 0.3f, 2.0f, seed);
      CHECK_OK(om_rng_bernoulli(w.data(), n, 0.3f, 2.0f, seed));
      all_close("rng bernoulli", g.data(), w.data(), n, 0, 0);
      if (n == 10001) {
        int64_t kept = 0;
        for (float x : g) kept += x == 2.0f;
        CHECK(std::fabs(kept / 10001.0 - 0.3) < 0.03);
      }
    }
}

}  // namespace

int main() {
  each_order([] {
    test_unary();
    test_prelu();
    test_tensor();
    test_random();
  });
  std::printf("%lld emulated launches\n", emu_launches);
  return finish("test_cuda_emulated_activations");
}
