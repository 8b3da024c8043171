// Paths the tests use: the source tree's fixtures and ../shared/datasets.
#pragma once

#include <filesystem>
#include <string>

namespace partnergraph::testing {

inline std::filesystem::path SourceDir() { return PG_SOURCE_DIR; }
inline std::filesystem::path TinyDataset() { return SourceDir() / "datasets" / "tiny"; }
// ../shared/datasets beside the project; may be absent outside CI.
inline std::filesystem::path SharedDatasets() {
  return SourceDir().parent_path() / "shared" / "datasets";
}
// A fresh, empty temporary directory for one test (removed and re-made).
inline std::filesystem::path FreshTempDir(const std::string& name) {
  auto dir = std::filesystem::path(PG_BINARY_DIR) / "test-tmp" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace partnergraph::testing

// Skips the current test (with a message saying why) when `path` is missing.
#define PG_REQUIRE_SHARED_DATASET(path)                                                \
  do {                                                                                 \
    if (!std::filesystem::exists(path)) {                                              \
      WARN("SKIPPED: " << (path).string()                                              \
                       << " is absent (../shared/datasets is beside the project in CI)"); \
      return;                                                                          \
    }                                                                                  \
  } while (0)
