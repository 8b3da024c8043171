// File helpers of the index module: whole-file reads (the sidecar). Durable writes and
// file checksums are common's (atomic_file_writer.hpp, file_checksum.hpp).
//
// Thread safety: functions are independent; concurrent calls on different paths are safe.
#pragma once

#include <filesystem>
#include <string>

#include "partnergraph/common/status.hpp"

namespace partnergraph::index_internal {

// The whole content of a file. Errors: IOError naming it.
Result<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace partnergraph::index_internal
