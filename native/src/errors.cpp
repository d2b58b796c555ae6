// errors.cpp: per-thread error reporting behind om_last_error(), and the helpers the
// export layer uses to reject bad arguments with a message naming the function and
// the argument.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "internal.h"

namespace {
thread_local std::string t_last_error;
}  // namespace

namespace om {

void record_error(const char* fn, const char* what) noexcept {
  try {
    t_last_error.assign(fn);
    t_last_error.append(": ");
    t_last_error.append(what);
  } catch (...) {
    // Out of memory while reporting: keep whatever fits.
  }
}

void invalid(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  throw InvalidArgument(buf);
}

int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
    invalid("tensor size overflows 64 bits (%lld * %lld)", static_cast<long long>(a),
            static_cast<long long>(b));
  return r;
}

int64_t checked_mul(int64_t a, int64_t b, int64_t c, int64_t d) {
  return checked_mul(checked_mul(a, b), checked_mul(c, d));
}

}  // namespace om

extern "C" OM_API const char* om_last_error(void) { return t_last_error.c_str(); }
