#include "partnergraph/common/errno_text.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

namespace partnergraph {
namespace {

TEST_CASE("ErrnoText gives the C library's text of an errno value", "[common]") {
  CHECK(ErrnoText(ENOENT) == "No such file or directory");
  CHECK(ErrnoText(EACCES) == "Permission denied");
  CHECK(ErrnoText(ENOSPC) == "No space left on device");
  CHECK(ErrnoText(0) == "Success");
  CHECK(ErrnoText(123456) == "Unknown error 123456");
}

TEST_CASE("ErrnoText from many threads at once: each gets its own text", "[common]") {
  const std::vector<int> errors = {ENOENT, EACCES, ENOSPC, 123456, EIO, EEXIST, 654321, EINVAL};
  std::vector<std::string> expected;
  for (int e : errors) expected.push_back(ErrnoText(e));
  std::vector<int> mismatches(errors.size(), 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < errors.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (ErrnoText(errors[t]) != expected[t]) ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == std::vector<int>(errors.size(), 0));
}

}  // namespace
}  // namespace partnergraph
