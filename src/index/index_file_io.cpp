#include "index_file_io.hpp"

#include <fstream>
#include <iterator>

namespace partnergraph::index_internal {

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return bytes;
}

}  // namespace partnergraph::index_internal
