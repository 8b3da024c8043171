#include "partnergraph/common/errno_text.hpp"

#include <cstring>

namespace partnergraph {
namespace {

// strerror_r has two signatures: the GNU one (glibc with _GNU_SOURCE, which g++ defines) returns
// the text, which may or may not be in `buffer`; the POSIX one fills `buffer` and returns 0 on
// success. One of these two is used, depending on the C library.
[[maybe_unused]] const char* TextOf(const char* gnu_result, const char* /*buffer*/) {
  return gnu_result;
}
[[maybe_unused]] const char* TextOf(int posix_result, const char* buffer) {
  return posix_result == 0 ? buffer : "Unknown error";
}

}  // namespace

std::string ErrnoText(int error) {
  char buffer[256] = {};
  return TextOf(strerror_r(error, buffer, sizeof(buffer)), buffer);
}

}  // namespace partnergraph
