// test_errors.cpp: the runtime functions and the error path of the ABI: bad arguments
// return OM_INVALID_ARGUMENT with a message naming the function and the argument,
// messages are per thread, and threads / BLAS description behave as documented.
#include <cstring>
#include <string>
#include <thread>

#include "test_util.h"

static bool error_mentions(const char* a, const char* b = nullptr) {
  const std::string msg = om_last_error();
  const bool ok = msg.find(a) != std::string::npos && (b == nullptr || msg.find(b) != std::string::npos);
  if (!ok) std::fprintf(stderr, "  last error \"%s\" lacks \"%s\"%s%s\n", msg.c_str(), a,
                        b ? " / " : "", b ? b : "");
  return ok;
}

#define CHECK_INVALID(expr, fn, arg)           \
  do {                                         \
    CHECK((expr) == OM_INVALID_ARGUMENT);      \
    CHECK(error_mentions(fn, arg));            \
  } while (0)

int main() {
  CHECK(std::string(om_last_error()).empty());
  CHECK(om_abi_version() == 4);

  // Threads.
  CHECK(om_get_num_threads() >= 1);
  CHECK_OK(om_set_num_threads(1));
  CHECK(om_get_num_threads() == 1);
  CHECK_OK(om_set_num_threads(0));  // <= 0 leaves the setting alone
  CHECK(om_get_num_threads() == 1);
  CHECK_OK(om_set_num_threads(2));
  CHECK(om_get_num_threads() == 2);

  // BLAS description, full and truncated.
  char info[256];
  CHECK_OK(om_blas_info(info, sizeof info));
  CHECK(std::strncmp(info, "OpenBLAS", 8) == 0);
  std::printf("blas: %s\n", info);
  char small[5];
  std::memset(small, 'x', sizeof small);
  CHECK_OK(om_blas_info(small, sizeof small));
  CHECK(std::strlen(small) == 4);
  CHECK_INVALID(om_blas_info(nullptr, 10), "om_blas_info", "buf");
  CHECK_INVALID(om_blas_info(info, 0), "om_blas_info", "len");

  float buf[64] = {0};
  // Negative sizes.
  CHECK_INVALID(om_im2col_batch(buf, buf, -1, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1), "om_im2col_batch", "n");
  CHECK_INVALID(om_col2im_batch(buf, buf, 1, 1, 4, -4, 3, 3, 1, 1, 1, 1, 1, 1), "om_col2im_batch", "w");
  CHECK_INVALID(om_im2col_batch(buf, buf, 1, 1, 4, 4, 3, 3, 1, 1, 0, 1, 1, 1), "om_im2col_batch", "sh");
  CHECK_INVALID(om_im2col_batch(buf, buf, 1, 1, 2, 2, 5, 1, 0, 0, 1, 1, 1, 1), "om_im2col_batch", "kernel height");
  CHECK_INVALID(om_relu_fwd(buf, buf, -5, 0.0f), "om_relu_fwd", "count");
  CHECK_INVALID(om_sgemm(0, 0, -1, 2, 2, 1.0f, buf, 2, buf, 2, 0.0f, buf, 2), "om_sgemm", "m");
  CHECK_INVALID(om_softmax_fwd(buf, buf, 1, -3, 1), "om_softmax_fwd", "channels");
  CHECK_INVALID(om_maxpool_fwd(buf, nullptr, buf, 1, 1, 4, 4, -2, 2, 2, 2, 2, 2, 0, 0), "om_maxpool_fwd", "oh");
  CHECK_INVALID(om_avepool_bwd(buf, buf, 1, 1, 4, 4, 2, 2, 2, 2, 2, 2, -1, 0), "om_avepool_bwd", "ph");
  CHECK_INVALID(om_nchw_to_cnhw(buf, buf + 32, 1, 1, -1), "om_nchw_to_cnhw", "hw");
  CHECK_INVALID(om_row_sums_acc(buf, buf, -1, 4), "om_row_sums_acc", "rows");
  CHECK_INVALID(om_sgd_update(buf, buf, buf, 0.9f, 0.1f, -1), "om_sgd_update", "count");

  // NULL pointers where elements are needed (and accepted where none are).
  CHECK_INVALID(om_copy(nullptr, buf, 4), "om_copy", "y");
  CHECK_INVALID(om_dot(nullptr, buf, buf, 4), "om_dot", "result");
  CHECK_INVALID(om_lrn_across_fwd(buf, nullptr, buf, 1, 3, 2, 2, 3, 1e-4f, 0.75f, 1.0f), "om_lrn_across_fwd", "scale");
  CHECK_INVALID(om_maxpool_bwd(buf, buf, nullptr, 1, 1, 4, 4, 2, 2), "om_maxpool_bwd", "mask");
  CHECK_INVALID(om_maxpool_bwd_relu(buf, buf, nullptr, buf, 1, 1, 4, 4, 2, 2), "om_maxpool_bwd_relu", "mask");
  CHECK_INVALID(om_maxpool_bwd_relu(buf, buf, nullptr, nullptr, 1, 1, 4, 4, 2, 2), "om_maxpool_bwd_relu", "top");
  CHECK_OK(om_copy(nullptr, nullptr, 0));
  CHECK_OK(om_relu_fwd(nullptr, nullptr, 0, 0.0f));
  double d = -1.0;
  CHECK_OK(om_dot(&d, nullptr, nullptr, 0));
  CHECK(d == 0.0);

  // Other invalid arguments.
  CHECK_INVALID(om_sgemm(2, 0, 2, 2, 2, 1.0f, buf, 2, buf, 2, 0.0f, buf, 2), "om_sgemm", "trans_a");
  CHECK_INVALID(om_sgemm(0, 1, 2, 3, 4, 1.0f, buf, 4, buf, 3, 0.0f, buf, 3), "om_sgemm", "ldb");
  CHECK_INVALID(om_sgemm(0, 0, 2, 3, 4, 1.0f, buf, 3, buf, 3, 0.0f, buf, 3), "om_sgemm", "lda");
  CHECK_INVALID(om_lrn_across_fwd(buf, buf + 16, buf + 32, 1, 2, 2, 2, 4, 1e-4f, 0.75f, 1.0f), "om_lrn_across_fwd", "size");
  CHECK_INVALID(om_avepool_fwd(buf, buf, 1, 1, 4, 4, 4, 4, 2, 2, 2, 2, 0, 0), "om_avepool_fwd", "oh");
  CHECK_INVALID(om_nchw_to_cnhw(buf, buf + 2, 2, 2, 2), "om_nchw_to_cnhw", "overlap");
  int32_t bad_mask[4] = {0, 1, 99, -1};
  CHECK_INVALID(om_maxpool_bwd(buf, buf + 32, bad_mask, 1, 1, 4, 4, 2, 2), "om_maxpool_bwd", "mask");

  // The message is per thread: a failure elsewhere does not replace ours.
  CHECK_INVALID(om_scale(nullptr, 1.0f, 3), "om_scale", "y");
  std::string other;
  std::thread t([&] {
    other = om_last_error();  // nothing failed on this thread yet
    (void)om_set(nullptr, 0.0f, 7);
  });
  t.join();
  CHECK(other.empty());
  CHECK(error_mentions("om_scale"));

  return finish("test_errors");
}
