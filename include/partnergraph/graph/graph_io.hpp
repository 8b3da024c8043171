// Saving and loading an EcosystemGraph as one versioned, checksummed file
// (conventionally MODEL_DIR/graph.pgg).
//
// The file is a binary container (common/binary_container.hpp, docs/formats.md): magic
// "PGGRAPH\0", format "graph", version 2 (version 1, the same sections before the shared
// container, is refused with a message that says to rebuild the model). Section "meta"
// (u64 fields) holds node counts and the GraphOptions used; the others are the graph's arrays
// (CSR row starts and columns, per-kind edge offsets "kind_offsets.<kind>", node attributes,
// string tables), each a plain array of fixed-size elements.
//
// Thread safety: both functions are reentrant; do not save to one path from
// two threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"

namespace partnergraph {

inline constexpr char kGraphMagic[8] = {'P', 'G', 'G', 'R', 'A', 'P', 'H', '\0'};
inline constexpr std::uint32_t kGraphFormatVersion = 3;
inline constexpr const char* kGraphFileName = "graph.pgg";

// Writes `graph` to `path` through an AtomicFileWriter (common/atomic_file_writer.hpp:
// "<path>.tmp", fsync, rename, fsync of the folder), so a crash never leaves a partial
// file under `path`. Errors: IOError naming the file and the system's reason; the temp
// file is removed on failure.
Status SaveGraph(const EcosystemGraph& graph, const std::filesystem::path& path);

// Reads a graph written by SaveGraph. Every length is checked against the file
// size before anything is allocated, every section and the whole file against
// their CRC-32, and every id, offset and string table for consistency, so a
// damaged file is refused, never trusted.
// Errors (each message starts with the path and says what is wrong):
//   NotFound         the file does not exist
//   IOError          it cannot be read
//   InvalidArgument  not a graph file (bad magic), or another format version (the message
//                    says to rebuild the model)
//   Corruption       empty, truncated, checksum mismatch, inconsistent content
Result<std::shared_ptr<const EcosystemGraph>> LoadGraph(const std::filesystem::path& path);

}  // namespace partnergraph
