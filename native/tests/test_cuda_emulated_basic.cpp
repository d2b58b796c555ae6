// test_cuda_emulated_basic.cpp: the GPU's flat-array kernels (elementwise.cu), its
// reductions (reduce.cu), solver updates (solvers.cu), Eltwise MAX/division (eltwise.cu)
// and BatchNorm statistics (batchnorm.cu), run on the CPU under the CUDA emulator and
// compared with the CPU library's exports on random inputs. Elementwise float steps are
// the CPU's, so most comparisons are exact (tolerance 0); reductions, which add in
// double in another order, agree to 1e-12 relative (dot/asum) or 1e-6 (float results).
#include "cuda_emulated_util.h"

#include "../cuda/elementwise.cu"
#include "../cuda/reduce.cu"
#include "../cuda/solvers.cu"
#include "../cuda/eltwise.cu"
#include "../cuda/batchnorm.cu"

namespace {

const int64_t kSizes[] = {0, 1, 7, 33, 160, 1001};

void test_elementwise() {
  Rng r(1);
  for (int64_t n : kSizes) {
    auto x = r.vec(n), y0 = r.vec(n), b = r.vec(n);
    for (size_t i = 0; i < x.size(); i += 5) x[i] = 0.0f;  // ReLU's x == 0 case
    std::vector<float> g(y0), c(y0);
    run(omk_axpby, n, g.data(), 0.7f, x.data(), -1.3f, n);
    CHECK_OK(om_axpby(c.data(), 0.7f, x.data(), -1.3f, n));
    all_close("axpby", g.data(), c.data(), n, 0, 0);
    run(omk_scale, n, g.data(), 2.5f, n);
    CHECK_OK(om_scale(c.data(), 2.5f, n));
    all_close("scale", g.data(), c.data(), n, 0, 0);
    run(omk_mul, n, g.data(), x.data(), b.data(), n);
    CHECK_OK(om_mul(c.data(), x.data(), b.data(), n));
    all_close("mul", g.data(), c.data(), n, 0, 0);
    run(omk_set, n, g.data(), 3.25f, n);
    CHECK_OK(om_set(c.data(), 3.25f, n));
    all_close("set", g.data(), c.data(), n, 0, 0);
    for (float slope : {0.0f, 0.1f}) {
      run(omk_relu_fwd, n, g.data(), x.data(), n, slope);
      CHECK_OK(om_relu_fwd(c.data(), x.data(), n, slope));
      all_close("relu_fwd", g.data(), c.data(), n, 0, 0);
      run(omk_relu_bwd, n, g.data(), b.data(), x.data(), n, slope);
      CHECK_OK(om_relu_bwd(c.data(), b.data(), x.data(), n, slope));
      all_close("relu_bwd", g.data(), c.data(), n, 0, 0);
    }
    // in place: top == bottom
    std::vector<float> ip(x), cp(x);
    run(omk_relu_fwd, n, ip.data(), ip.data(), n, 0.2f);
    CHECK_OK(om_relu_fwd(cp.data(), cp.data(), n, 0.2f));
    all_close("relu_fwd in place", ip.data(), cp.data(), n, 0, 0);
    std::vector<float> w1(x), g1(b), h1(y0), w2(x), g2(b), h2(y0);
    run(omk_sgd_update, n, w1.data(), g1.data(), h1.data(), 0.9f, 0.01f, n);
    CHECK_OK(om_sgd_update(w2.data(), g2.data(), h2.data(), 0.9f, 0.01f, n));
    all_close("sgd w", w1.data(), w2.data(), n, 0, 0);
    all_close("sgd g", g1.data(), g2.data(), n, 0, 0);
    all_close("sgd h", h1.data(), h2.data(), n, 0, 0);
  }
}

// dot and asum as CudaDevice runs them: partials over `slots`, folded, finished on the host.
void test_dot_asum() {
  Rng r(2);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{100}, int64_t{4099}}) {
    auto x = r.vec(n, -3, 3), y = r.vec(n, -3, 3);
    for (int64_t slots : {int64_t{1}, int64_t{7}, int64_t{64}}) {
      std::vector<double> part(slots), fold(4);
      run(omk_channel_partials, slots, part.data(), x.data(), y.data(), int64_t{1}, int64_t{1}, n, slots, 1);
      run(omk_sum_doubles, 4, fold.data(), part.data(), slots, int64_t{4});
      double want;
      CHECK_OK(om_dot(&want, x.data(), y.data(), n));
      CHECK(near(finish_on_host(fold, 4, 4), want, 1e-12, 1e-12));
      run(omk_channel_partials, slots, part.data(), x.data(), static_cast<const float*>(nullptr), int64_t{1},
          int64_t{1}, n, slots, 2);
      run(omk_sum_doubles, 4, fold.data(), part.data(), slots, int64_t{4});
      CHECK_OK(om_asum(&want, x.data(), n));
      CHECK(near(finish_on_host(fold, 4, 4), want, 1e-12, 1e-12));
    }
  }
}

void channel_sums(float* sums, const float* x, const float* y, int64_t outer, int64_t channels, int64_t inner,
                  float alpha, float beta, int64_t slots) {
  std::vector<double> part(static_cast<size_t>(channels * slots));
  run(omk_channel_partials, channels * slots, part.data(), x, y, outer, channels, inner, slots, y ? 1 : 0);
  run(omk_channel_finish, channels, sums, static_cast<const double*>(part.data()), channels, slots, alpha, beta, 0);
}

void test_channel_sums_and_row_sums() {
  Rng r(3);
  const int64_t shapes[][3] = {{1, 1, 1}, {2, 3, 5}, {4, 1, 17}, {1, 6, 1}, {3, 16, 49}};
  for (auto& s : shapes) {
    const int64_t o = s[0], c = s[1], in = s[2], count = o * c * in;
    auto x = r.vec(count), y = r.vec(count), init = r.vec(c);
    for (int64_t slots : {int64_t{1}, int64_t{3}, int64_t{32}})
      for (bool withY : {false, true})
        for (float beta : {0.0f, 0.5f}) {
          std::vector<float> g(init), w(init);
          channel_sums(g.data(), x.data(), withY ? y.data() : nullptr, o, c, in, 1.5f, beta, slots);
          CHECK_OK(om_channel_sums(w.data(), x.data(), withY ? y.data() : nullptr, o, c, in, 1.5f, beta));
          all_close("channel_sums", g.data(), w.data(), c, 1e-6, 1e-6);
        }
    // row sums: sums[r] += sum of row r of m (rows = c, cols = o*in)
    std::vector<float> g(init), w(init);
    const int64_t cols = o * in;
    std::vector<double> part(static_cast<size_t>(c * 8));
    run(omk_channel_partials, c * 8, part.data(), x.data(), static_cast<const float*>(nullptr), int64_t{1}, c,
        cols, int64_t{8}, 0);
    run(omk_channel_finish, c, g.data(), static_cast<const double*>(part.data()), c, int64_t{8}, 1.0f, 0.0f, 1);
    CHECK_OK(om_row_sums_acc(w.data(), x.data(), static_cast<int32_t>(c), cols));
    all_close("row_sums_acc", g.data(), w.data(), c, 1e-6, 1e-6);
  }
}

void test_solvers() {
  Rng r(4);
  for (int64_t n : kSizes) {
    auto w0 = r.vec(n), g0 = r.vec(n), h0 = r.vec(n, 0, 1), u0 = r.vec(n, 0, 1);
    struct S {
      std::vector<float> w, g, h, u;
    };
    auto fresh = [&] { return S{w0, g0, h0, u0}; };
    auto same = [&](const char* what, S& a, S& b) {
      all_close(std::string(what) + " w", a.w.data(), b.w.data(), n, 0, 0);
      all_close(std::string(what) + " g", a.g.data(), b.g.data(), n, 0, 0);
      all_close(std::string(what) + " h", a.h.data(), b.h.data(), n, 0, 0);
      all_close(std::string(what) + " u", a.u.data(), b.u.data(), n, 0, 0);
    };
    S a = fresh(), b = fresh();
    run(omk_sign_axpy, n, a.w.data(), -0.3f, static_cast<const float*>(a.g.data()), n);
    CHECK_OK(om_sign_axpy(b.w.data(), -0.3f, b.g.data(), n));
    same("sign_axpy", a, b);
    a = fresh(), b = fresh();
    run(omk_sgd_update_l2, n, a.w.data(), a.g.data(), a.h.data(), 5e-4f, 0.9f, 0.01f, n);
    CHECK_OK(om_sgd_update_l2(b.w.data(), b.g.data(), b.h.data(), 5e-4f, 0.9f, 0.01f, n));
    same("sgd_l2", a, b);
    a = fresh(), b = fresh();
    run(omk_nesterov_update, n, a.w.data(), a.g.data(), a.h.data(), 0.9f, 0.01f, n);
    CHECK_OK(om_nesterov_update(b.w.data(), b.g.data(), b.h.data(), 0.9f, 0.01f, n));
    same("nesterov", a, b);
    a = fresh(), b = fresh();
    run(omk_adagrad_update, n, a.w.data(), a.g.data(), a.h.data(), 1e-8f, 0.01f, n);
    CHECK_OK(om_adagrad_update(b.w.data(), b.g.data(), b.h.data(), 1e-8f, 0.01f, n));
    same("adagrad", a, b);
    a = fresh(), b = fresh();
    run(omk_rmsprop_update, n, a.w.data(), a.g.data(), a.h.data(), 0.98f, 1e-8f, 0.01f, n);
    CHECK_OK(om_rmsprop_update(b.w.data(), b.g.data(), b.h.data(), 0.98f, 1e-8f, 0.01f, n));
    same("rmsprop", a, b);
    a = fresh(), b = fresh();
    run(omk_adadelta_update, n, a.w.data(), a.g.data(), a.h.data(), a.u.data(), 0.95f, 1e-6f, 1.0f, n);
    CHECK_OK(om_adadelta_update(b.w.data(), b.g.data(), b.h.data(), b.u.data(), 0.95f, 1e-6f, 1.0f, n));
    same("adadelta", a, b);
    a = fresh(), b = fresh();
    run(omk_adam_update, n, a.w.data(), a.g.data(), a.h.data(), a.u.data(), 0.9f, 0.999f, 1e-8f, 0.001f, n);
    CHECK_OK(om_adam_update(b.w.data(), b.g.data(), b.h.data(), b.u.data(), 0.9f, 0.999f, 1e-8f, 0.001f, n));
    same("adam", a, b);
  }
}

void test_eltwise() {
  Rng r(5);
  for (int64_t n : kSizes) {
    // small integers: many ties between inputs
    std::vector<std::vector<float>> in = {ints(r, n, 0, 3), ints(r, n, 0, 3), ints(r, n, 0, 3), ints(r, n, 0, 3)};
    std::vector<float> gt(n), ct(n), gd(n), cd(n), dy = r.vec(n);
    std::vector<int32_t> gm(n), cm(n);
    for (int index = 0; index < 4; ++index) {
      run(omk_eltwise_max_fwd, n, gt.data(), gm.data(), static_cast<const float*>(in[index].data()), n, index);
      CHECK_OK(om_eltwise_max_fwd(ct.data(), cm.data(), in[index].data(), n, index));
    }
    all_close("eltwise_max top", gt.data(), ct.data(), n, 0, 0);
    all_close("eltwise_max mask", gm.data(), cm.data(), n, 0, 0);
    for (int index = 0; index < 4; ++index) {
      run(omk_eltwise_max_bwd, n, gd.data(), static_cast<const float*>(dy.data()), static_cast<const int*>(gm.data()), n, index);
      CHECK_OK(om_eltwise_max_bwd(cd.data(), dy.data(), cm.data(), n, index));
      all_close("eltwise_max bwd", gd.data(), cd.data(), n, 0, 0);
    }
    auto a = r.vec(n), b = r.vec(n, 0.5f, 2.0f);
    run(omk_eltwise_div, n, gd.data(), static_cast<const float*>(a.data()), static_cast<const float*>(b.data()), n);
    CHECK_OK(om_eltwise_div(cd.data(), a.data(), b.data(), n));
    all_close("eltwise_div", gd.data(), cd.data(), n, 0, 0);
  }
}

void test_batchnorm() {
  Rng r(6);
  for (int64_t c : {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{70}}) {
    auto neg_mean = r.vec(c), var = r.vec(c, 0, 2), ms0 = r.vec(c), vs0 = r.vec(c, 0, 2);
    for (float factor0 : {0.0f, 2.5f}) {
      std::vector<float> gi(c), gm(ms0), gv(vs0), gf{factor0}, ci(c), cm(ms0), cv(vs0), cf{factor0};
      run(omk_batchnorm_train_stats, std::max<int64_t>(c, 1), gi.data(), gm.data(), gv.data(), gf.data(),
          static_cast<const float*>(neg_mean.data()), static_cast<const float*>(var.data()), c, 0.999f, 1.02f, 1e-5f);
      CHECK_OK(om_batchnorm_train_stats(ci.data(), cm.data(), cv.data(), cf.data(), neg_mean.data(), var.data(), c,
                                        0.999f, 1.02f, 1e-5f));
      all_close("bn inv_std", gi.data(), ci.data(), c, 0, 0);
      all_close("bn mean_sum", gm.data(), cm.data(), c, 0, 0);
      all_close("bn var_sum", gv.data(), cv.data(), c, 0, 0);
      all_close("bn factor", gf.data(), cf.data(), 1, 0, 0);
      std::vector<float> gn(c), gs(c), cn(c), cs(c), f{factor0};
      run(omk_batchnorm_global_stats, c, gn.data(), gs.data(), static_cast<const float*>(ms0.data()),
          static_cast<const float*>(vs0.data()), static_cast<const float*>(f.data()), c, 1e-5f);
      CHECK_OK(om_batchnorm_global_stats(cn.data(), cs.data(), ms0.data(), vs0.data(), f.data(), c, 1e-5f));
      all_close("bn global neg_mean", gn.data(), cn.data(), c, 0, 0);
      all_close("bn global inv_std", gs.data(), cs.data(), c, 0, 0);
    }
  }
}

}  // namespace

int main() {
  each_order([] {
    test_elementwise();
    test_dot_asum();
    test_channel_sums_and_row_sums();
    test_solvers();
    test_eltwise();
    test_batchnorm();
  });
  std::printf("%lld emulated launches\n", emu_launches);
  return finish("test_cuda_emulated_basic");
}
