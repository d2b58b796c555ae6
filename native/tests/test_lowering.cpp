// test_lowering.cpp: batched im2col / col2im against a naive reference (padding,
// stride, dilation, non-square kernels and images, several images), col2im as the
// adjoint of im2col, and the layout helpers nchw<->cnhw and row_sums_acc.
#include <limits>

#include "test_util.h"

struct Conv {
  int n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw;
  int oh() const { return (h + 2 * ph - (dh * (kh - 1) + 1)) / sh + 1; }
  int ow() const { return (w + 2 * pw - (dw * (kw - 1) + 1)) / sw + 1; }
  size_t data_size() const { return static_cast<size_t>(n) * c * h * w; }
  size_t col_size() const { return static_cast<size_t>(c) * kh * kw * n * oh() * ow(); }
};

// Straight from the definition: one entry at a time.
static std::vector<float> naive_im2col(const Conv& g, const std::vector<float>& data) {
  const int oh = g.oh(), ow = g.ow();
  const size_t cols = static_cast<size_t>(g.n) * oh * ow;
  std::vector<float> col(g.col_size());
  for (int c = 0; c < g.c; ++c)
    for (int i = 0; i < g.kh; ++i)
      for (int j = 0; j < g.kw; ++j)
        for (int img = 0; img < g.n; ++img)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) {
              const int y = oy * g.sh - g.ph + i * g.dh, x = ox * g.sw - g.pw + j * g.dw;
              const size_t r = (static_cast<size_t>(c) * g.kh + i) * g.kw + j;
              const size_t k = static_cast<size_t>(img) * oh * ow + oy * ow + ox;
              float v = 0.0f;
              if (y >= 0 && y < g.h && x >= 0 && x < g.w)
                v = data[((static_cast<size_t>(img) * g.c + c) * g.h + y) * g.w + x];
              col[r * cols + k] = v;
            }
  return col;
}

static std::vector<double> naive_col2im(const Conv& g, const std::vector<float>& col) {
  const int oh = g.oh(), ow = g.ow();
  const size_t cols = static_cast<size_t>(g.n) * oh * ow;
  std::vector<double> data(g.data_size(), 0.0);
  for (int c = 0; c < g.c; ++c)
    for (int i = 0; i < g.kh; ++i)
      for (int j = 0; j < g.kw; ++j)
        for (int img = 0; img < g.n; ++img)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) {
              const int y = oy * g.sh - g.ph + i * g.dh, x = ox * g.sw - g.pw + j * g.dw;
              if (y < 0 || y >= g.h || x < 0 || x >= g.w) continue;
              const size_t r = (static_cast<size_t>(c) * g.kh + i) * g.kw + j;
              const size_t k = static_cast<size_t>(img) * oh * ow + oy * ow + ox;
              data[((static_cast<size_t>(img) * g.c + c) * g.h + y) * g.w + x] += col[r * cols + k];
            }
  return data;
}

static void check_conv(Rng& rng, const Conv& g) {
  char what[160];
  std::snprintf(what, sizeof what, "n%d c%d %dx%d k%dx%d p%d,%d s%d,%d d%d,%d", g.n, g.c, g.h,
                g.w, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.dh, g.dw);
  const std::vector<float> x = rng.vec(g.data_size());
  // Start from NaN so that any entry the kernel forgets to write shows up.
  std::vector<float> col(g.col_size(), std::numeric_limits<float>::quiet_NaN());
  CHECK_OK(om_im2col_batch(col.data(), x.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw,
                           g.sh, g.sw, g.dh, g.dw));
  all_close(std::string("im2col ") + what, col, naive_im2col(g, x), 0.0, 0.0);

  const std::vector<float> y = rng.vec(g.col_size());
  std::vector<float> back(g.data_size(), std::numeric_limits<float>::quiet_NaN());
  CHECK_OK(om_col2im_batch(back.data(), y.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw,
                           g.sh, g.sw, g.dh, g.dw));
  all_close(std::string("col2im ") + what, back, naive_col2im(g, y), 1e-5, 1e-5);

  // Adjoint: <im2col(x), y> == <x, col2im(y)>.
  double lhs = 0.0, rhs = 0.0;
  for (size_t i = 0; i < col.size(); ++i) lhs += static_cast<double>(col[i]) * y[i];
  for (size_t i = 0; i < x.size(); ++i) rhs += static_cast<double>(x[i]) * back[i];
  if (!near(lhs, rhs, 1e-5, 1e-5)) {
    std::fprintf(stderr, "adjoint %s: %.9g vs %.9g\n", what, lhs, rhs);
    ++g_failures;
  }
}

static void check_layout(Rng& rng, int n, int c, int hw) {
  const size_t count = static_cast<size_t>(n) * c * hw;
  const std::vector<float> src = rng.vec(count), bias = rng.vec(c);
  std::vector<float> cnhw(count), want(count);
  CHECK_OK(om_nchw_to_cnhw(cnhw.data(), src.data(), n, c, hw));
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch)
      for (int p = 0; p < hw; ++p)
        want[(static_cast<size_t>(ch) * n + i) * hw + p] = src[(static_cast<size_t>(i) * c + ch) * hw + p];
  all_close("nchw_to_cnhw", cnhw, want, 0.0, 0.0);

  std::vector<float> nchw(count);
  CHECK_OK(om_cnhw_to_nchw(nchw.data(), cnhw.data(), nullptr, n, c, hw));
  all_close("cnhw_to_nchw (no bias)", nchw, src, 0.0, 0.0);
  CHECK_OK(om_cnhw_to_nchw(nchw.data(), cnhw.data(), bias.data(), n, c, hw));
  for (size_t i = 0; i < count; ++i) want[i] = src[i] + bias[(i / hw) % c];
  all_close("cnhw_to_nchw (bias)", nchw, want, 0.0, 0.0);

  // row_sums_acc accumulates into what is already there.
  const std::vector<float> m = rng.vec(static_cast<size_t>(c) * n * hw);
  std::vector<float> sums = rng.vec(c);
  std::vector<double> want_sums(sums.begin(), sums.end());
  for (int r = 0; r < c; ++r)
    for (size_t p = 0; p < static_cast<size_t>(n) * hw; ++p) want_sums[r] += m[r * static_cast<size_t>(n) * hw + p];
  CHECK_OK(om_row_sums_acc(sums.data(), m.data(), c, static_cast<int64_t>(n) * hw));
  all_close("row_sums_acc", sums.data(), want_sums.data(), c, 1e-5, 1e-5);
}

int main() {
  Rng rng(42);
  const Conv cases[] = {
      {2, 3, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1},    // same-size 3x3
      {3, 2, 6, 5, 2, 3, 0, 1, 2, 1, 1, 1},    // non-square kernel, stride 2x1
      {2, 2, 9, 8, 3, 2, 2, 1, 2, 3, 2, 2},    // dilation + stride + pad
      {1, 1, 4, 4, 1, 1, 0, 0, 1, 1, 1, 1},    // 1x1
      {2, 3, 7, 6, 5, 1, 2, 0, 3, 1, 1, 1},
      {1, 2, 10, 11, 3, 3, 2, 3, 2, 2, 3, 2},
      {2, 1, 3, 3, 2, 2, 3, 3, 1, 1, 1, 1},    // padding wider than the kernel
      {4, 3, 1, 9, 1, 4, 0, 2, 1, 3, 1, 2},    // single-row images
      {4, 8, 16, 15, 3, 3, 1, 1, 1, 1, 1, 1},  // large enough for the parallel path
      {0, 3, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1},    // empty batch
  };
  for (int threads : {1, 2}) {
    CHECK_OK(om_set_num_threads(threads));
    for (const Conv& g : cases) check_conv(rng, g);
    check_layout(rng, 3, 4, 5);
    check_layout(rng, 8, 16, 300);
    check_layout(rng, 1, 1, 1);
  }
  return finish("test_lowering");
}
