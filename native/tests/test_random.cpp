// test_random.cpp: the counter-based random fills. Each kernel is compared with a naive
// reference built on the documented contract (the same index hash, then double-precision
// Box-Muller for the gaussians), and checked for repeatability per seed, independence
// from the thread count, distinct streams for distinct seeds, and its moments (uniform
// mean/variance and buckets, gaussian mean/variance/kurtosis and 1-sigma mass,
// Bernoulli rate).
#include <cmath>

#include "test_util.h"

namespace {

// The generator of random.cpp, restated: splitmix64 of the seed gives the key, two
// rounds of a multiply-xorshift mixer hash the index, the top 24 bits give u in [0, 1).
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
double ref_u(uint64_t seed, uint32_t i) {
  const uint64_t h = splitmix64(seed);
  const uint32_t k0 = static_cast<uint32_t>(h), k1 = static_cast<uint32_t>(h >> 32);
  return (mix32(mix32(i * 0x9E3779B9u + k0) ^ k1) >> 8) / 16777216.0;
}

void check_uniform() {
  const int64_t n = 100003;
  std::vector<float> a(n), b(n), c(n), want(n);
  CHECK_OK(om_set_num_threads(1));
  CHECK_OK(om_rng_uniform(a.data(), n, -2.0f, 3.0f, 42));
  CHECK_OK(om_set_num_threads(2));
  CHECK_OK(om_rng_uniform(b.data(), n, -2.0f, 3.0f, 42));
  CHECK_OK(om_rng_uniform(c.data(), n, -2.0f, 3.0f, 43));
  for (int64_t i = 0; i < n; ++i) want[i] = static_cast<float>(-2.0 + 5.0 * ref_u(42, static_cast<uint32_t>(i)));
  all_close("uniform vs reference", a, want, 1e-6, 1e-6);
  all_close("uniform 1 vs 2 threads", b, a, 0.0, 0.0);
  int64_t same = 0;
  double sum = 0, sq = 0;
  std::vector<int64_t> buckets(10, 0);
  for (int64_t i = 0; i < n; ++i) {
    same += a[i] == c[i];
    CHECK(a[i] >= -2.0f && a[i] <= 3.0f);
    sum += a[i];
    sq += static_cast<double>(a[i]) * a[i];
    ++buckets[std::min<int64_t>(9, static_cast<int64_t>((a[i] + 2.0f) * 2.0f))];
  }
  CHECK(same < 10);  // another seed, another stream
  const double mean = sum / n, var = sq / n - mean * mean;
  CHECK(std::fabs(mean - 0.5) < 5 * std::sqrt(25.0 / 12 / n));
  CHECK(std::fabs(var - 25.0 / 12) < 0.02 * 25.0 / 12);
  for (int64_t k : buckets) CHECK(std::fabs(k - n / 10.0) < 5 * std::sqrt(n * 0.1 * 0.9));
}

void check_gaussian() {
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{200001}}) {
    std::vector<float> a(n), b(n), c(n);
    std::vector<double> want(n);
    CHECK_OK(om_set_num_threads(1));
    CHECK_OK(om_rng_gaussian(a.data(), n, 1.5f, 2.0f, 7));
    CHECK_OK(om_set_num_threads(2));
    CHECK_OK(om_rng_gaussian(b.data(), n, 1.5f, 2.0f, 7));
    CHECK_OK(om_rng_gaussian(c.data(), n, 1.5f, 2.0f, 8));
    // Naive Box-Muller in double on the same uniforms.
    for (int64_t j = 0; 2 * j < n; ++j) {
      const double u0 = 1.0 - ref_u(7, static_cast<uint32_t>(2 * j));
      const double u1 = ref_u(7, static_cast<uint32_t>(2 * j + 1));
      const double r = 2.0 * std::sqrt(-2.0 * std::log(u0)), t = 2.0 * M_PI * u1;
      want[2 * j] = 1.5 + r * std::cos(t);
      if (2 * j + 1 < n) want[2 * j + 1] = 1.5 + r * std::sin(t);
    }
    all_close("gaussian vs double Box-Muller", a.data(), want.data(), n, 2e-6, 2e-5);
    all_close("gaussian 1 vs 2 threads", b, a, 0.0, 0.0);
    if (n < 1000) continue;
    double sum = 0, sq = 0, m4 = 0;
    int64_t same = 0, in1 = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double z = (a[i] - 1.5) / 2.0;
      sum += z;
      sq += z * z;
      m4 += z * z * z * z;
      in1 += std::fabs(z) < 1.0;
      same += a[i] == c[i];
    }
    CHECK(same < 10);
    const double mean = sum / n, var = sq / n - mean * mean;
    CHECK(std::fabs(mean) < 5 / std::sqrt(static_cast<double>(n)));
    CHECK(std::fabs(var - 1.0) < 5 * std::sqrt(2.0 / n));
    CHECK(std::fabs(m4 / n - 3.0) < 0.1);
    CHECK(std::fabs(static_cast<double>(in1) / n - 0.682689) < 0.005);
  }
}

void check_bernoulli() {
  const int64_t n = 300007;
  for (float p : {0.0f, 0.5f, 0.9f, 1.0f}) {
    std::vector<float> a(n), b(n);
    CHECK_OK(om_set_num_threads(1));
    CHECK_OK(om_rng_bernoulli(a.data(), n, p, 2.5f, 99));
    CHECK_OK(om_set_num_threads(2));
    CHECK_OK(om_rng_bernoulli(b.data(), n, p, 2.5f, 99));
    all_close("bernoulli 1 vs 2 threads", b, a, 0.0, 0.0);
    int64_t ones = 0, bad = 0, mismatch = 0;
    for (int64_t i = 0; i < n; ++i) {
      ones += a[i] == 2.5f;
      bad += a[i] != 2.5f && a[i] != 0.0f;
      mismatch += (ref_u(99, static_cast<uint32_t>(i)) < p) != (a[i] == 2.5f);
    }
    CHECK(bad == 0);
    CHECK(mismatch == 0);
    const double rate = static_cast<double>(ones) / n;
    CHECK(std::fabs(rate - p) <= 5 * std::sqrt(p * (1 - p) / n) + 1e-9);
  }
}

void check_errors() {
  float y[4];
  CHECK(om_rng_bernoulli(y, 4, 1.5f, 1.0f, 1) == OM_INVALID_ARGUMENT);
  CHECK(om_rng_gaussian(y, 4, 0.0f, -1.0f, 1) == OM_INVALID_ARGUMENT);
  CHECK(om_rng_uniform(y, 4, 1.0f, 0.0f, 1) == OM_INVALID_ARGUMENT);
  CHECK(om_rng_uniform(nullptr, 4, 0.0f, 1.0f, 1) == OM_INVALID_ARGUMENT);
  CHECK_OK(om_rng_uniform(nullptr, 0, 0.0f, 1.0f, 1));
}

}  // namespace

int main() {
  check_uniform();
  check_gaussian();
  check_bernoulli();
  check_errors();
  return finish("test_random");
}
