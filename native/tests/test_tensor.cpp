// test_tensor.cpp: om_copy_blocks, om_channel_affine, om_channel_sums and om_argmax_fwd
// against naive loops, on small shapes and on shapes large enough for the OpenMP path,
// plus in-place use and the argument checks.
#include "test_util.h"

static void test_copy_blocks(Rng& rng, int64_t blocks, int64_t len, int64_t ds, int64_t ss) {
  const std::string tag = "copy_blocks " + std::to_string(blocks) + "x" + std::to_string(len);
  std::vector<float> src = rng.vec(static_cast<size_t>(blocks * ss + len));
  std::vector<float> dst(static_cast<size_t>(blocks * ds + len), -7.0f), want = dst;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t j = 0; j < len; ++j) want[b * ds + j] = src[b * ss + j];
  CHECK_OK(om_copy_blocks(dst.data(), ds, src.data(), ss, blocks, len));
  all_close(tag, dst, want, 0.0, 0.0);
}

static void test_channel_ops(Rng& rng, int64_t outer, int64_t ch, int64_t inner) {
  const std::string tag = " " + std::to_string(outer) + "x" + std::to_string(ch) + "x" + std::to_string(inner);
  const size_t count = static_cast<size_t>(outer * ch * inner);
  std::vector<float> x = rng.vec(count), y = rng.vec(count), s = rng.vec(ch), b = rng.vec(ch);
  std::vector<float> out(count), want(count);
  for (int mode = 0; mode < 4; ++mode) {  // scale and bias each present or NULL
    const float* sp = (mode & 1) ? s.data() : nullptr;
    const float* bp = (mode & 2) ? b.data() : nullptr;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < ch; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          const size_t k = static_cast<size_t>((o * ch + c) * inner + i);
          want[k] = x[k] * (sp ? sp[c] : 1.0f) + (bp ? bp[c] : 0.0f);
        }
    CHECK_OK(om_channel_affine(out.data(), x.data(), sp, bp, outer, ch, inner));
    all_close("channel_affine mode " + std::to_string(mode) + tag, out, want, 1e-6, 1e-7);
    std::vector<float> inplace = x;
    CHECK_OK(om_channel_affine(inplace.data(), inplace.data(), sp, bp, outer, ch, inner));
    all_close("channel_affine in place" + tag, inplace, want, 1e-6, 1e-7);
  }
  for (bool with_y : {false, true}) {
    std::vector<double> acc(static_cast<size_t>(ch), 0.0);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < ch; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          const size_t k = static_cast<size_t>((o * ch + c) * inner + i);
          acc[c] += static_cast<double>(x[k]) * (with_y ? y[k] : 1.0);
        }
    std::vector<float> sums(static_cast<size_t>(ch), std::nanf("")), w(static_cast<size_t>(ch));
    CHECK_OK(om_channel_sums(sums.data(), x.data(), with_y ? y.data() : nullptr, outer, ch, inner, 0.5f, 0.0f));
    for (int64_t c = 0; c < ch; ++c) w[c] = static_cast<float>(0.5 * acc[c]);
    all_close(std::string("channel_sums overwrite") + (with_y ? " xy" : " x") + tag, sums, w, 1e-5, 1e-5);
    std::vector<float> old = rng.vec(ch);
    sums = old;
    CHECK_OK(om_channel_sums(sums.data(), x.data(), with_y ? y.data() : nullptr, outer, ch, inner, -1.0f, 2.0f));
    for (int64_t c = 0; c < ch; ++c) w[c] = static_cast<float>(-acc[c] + 2.0 * old[c]);
    all_close(std::string("channel_sums accumulate") + (with_y ? " xy" : " x") + tag, sums, w, 1e-5, 1e-5);
  }
}

// Naive Caffe ArgMax: sort (value, index) descending, ties by larger index.
static void test_argmax(Rng& rng, int64_t outer, int64_t dim, int64_t inner, int64_t k, int mode) {
  const std::string tag = "argmax mode " + std::to_string(mode) + " " + std::to_string(outer) + "x" +
                          std::to_string(dim) + "x" + std::to_string(inner) + " k=" + std::to_string(k);
  std::vector<float> x(static_cast<size_t>(outer * dim * inner));
  for (auto& v : x) v = static_cast<float>(static_cast<int>(rng.uniform(0.0f, 6.0f)));  // many ties
  const int64_t out = outer * k * inner * (mode == 2 ? 2 : 1);
  std::vector<float> top(static_cast<size_t>(out), -1.0f), want(static_cast<size_t>(out));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<int64_t> idx;
      for (int64_t j = 0; j < dim; ++j) idx.push_back(j);
      auto val = [&](int64_t j) { return x[(o * dim + j) * inner + i]; };
      std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
        return val(a) != val(b) ? val(a) > val(b) : a > b;
      });
      for (int64_t j = 0; j < k; ++j) {
        if (mode == 2) {
          want[2 * o * k + j] = static_cast<float>(idx[j]);
          want[2 * o * k + k + j] = val(idx[j]);
        } else {
          want[(o * k + j) * inner + i] = mode == 1 ? val(idx[j]) : static_cast<float>(idx[j]);
        }
      }
    }
  CHECK_OK(om_argmax_fwd(top.data(), x.data(), outer, dim, inner, k, mode));
  all_close(tag, top, want, 0.0, 0.0);
}

int main() {
  Rng rng(4242);
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    test_copy_blocks(rng, 0, 5, 5, 5);
    test_copy_blocks(rng, 1, 7, 7, 7);
    test_copy_blocks(rng, 4, 3, 10, 3);   // concat-like: into a wider destination
    test_copy_blocks(rng, 5, 2, 2, 9);    // slice-like: out of a wider source
    test_copy_blocks(rng, 300, 200, 500, 200);
    test_channel_ops(rng, 1, 1, 1);
    test_channel_ops(rng, 2, 3, 5);
    test_channel_ops(rng, 3, 1, 7);
    test_channel_ops(rng, 4, 16, 1024);
    test_channel_ops(rng, 2, 0, 3);
  }
  for (int mode : {0, 1}) {
    test_argmax(rng, 2, 5, 1, 1, mode);
    test_argmax(rng, 3, 6, 4, 3, mode);
    test_argmax(rng, 2, 4, 3, 4, mode);
  }
  test_argmax(rng, 3, 10, 1, 3, 2);
  test_argmax(rng, 2, 1, 1, 1, 2);

  // NaN ranks above every number.
  {
    const float x[4] = {1.0f, std::nanf(""), 3.0f, 2.0f};
    float top[2];
    CHECK_OK(om_argmax_fwd(top, x, 1, 4, 1, 2, 0));
    CHECK(top[0] == 1.0f && top[1] == 2.0f);
  }
  // Argument checks.
  float a[8] = {}, b[8] = {};
  CHECK(om_copy_blocks(a, 1, b, 2, 2, 2) == OM_INVALID_ARGUMENT);   // dst blocks overlap
  CHECK(om_copy_blocks(a + 1, 2, a, 2, 2, 2) == OM_INVALID_ARGUMENT);  // dst overlaps src
  CHECK(om_copy_blocks(nullptr, 2, b, 2, 2, 2) == OM_INVALID_ARGUMENT);
  CHECK(om_channel_affine(a + 1, a, nullptr, nullptr, 1, 1, 4) == OM_INVALID_ARGUMENT);
  CHECK(om_channel_sums(a, a, nullptr, 1, 2, 2, 1.0f, 0.0f) == OM_INVALID_ARGUMENT);
  CHECK(om_channel_sums(a, b, nullptr, -1, 2, 2, 1.0f, 0.0f) == OM_INVALID_ARGUMENT);
  CHECK(om_argmax_fwd(a, b, 1, 3, 1, 4, 0) == OM_INVALID_ARGUMENT);   // top_k > dim
  CHECK(om_argmax_fwd(a, b, 1, 3, 2, 1, 2) == OM_INVALID_ARGUMENT);   // mode 2 needs inner 1
  CHECK(om_argmax_fwd(a, b, 1, 3, 1, 1, 3) == OM_INVALID_ARGUMENT);
  CHECK(std::string(om_last_error()).find("om_argmax_fwd") != std::string::npos);
  return finish("test_tensor");
}
