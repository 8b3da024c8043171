// Saving and loading an EcosystemGraph as one versioned, checksummed file
// (conventionally MODEL_DIR/graph.pgg).
//
// ==== File layout (all integers little-endian) ====
//   offset 0   magic "PGGRAPH\0" (8 bytes)
//          8   u32 format version (kGraphFormatVersion)
//         12   u32 section count n
//         16   u64 file size in bytes
//         24   n section entries of 32 bytes:
//                u32 section id (its index), u32 element size in bytes,
//                u64 offset, u64 length in bytes, u32 CRC-32 of the bytes, u32 0
//   24 + 32n   u32 CRC-32 of bytes [0, 24 + 32n)          (header checksum)
//   then the sections' bytes, back to back in table order, from 28 + 32n
//   last 4     u32 CRC-32 of bytes [0, file size - 4)     (whole-file checksum)
// Section 0 ("meta") holds node counts and the GraphOptions used; the others
// are the graph's arrays (CSR row starts and columns, per-kind edge offsets
// and attributes, node attributes, string tables), each a plain array of
// fixed-size elements. CRC-32 is zlib's.
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
inline constexpr std::uint32_t kGraphFormatVersion = 1;
inline constexpr const char* kGraphFileName = "graph.pgg";
// Bytes before the section table, and per section entry.
inline constexpr std::size_t kGraphHeaderFixedBytes = 24;
inline constexpr std::size_t kGraphSectionEntryBytes = 32;

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
//   InvalidArgument  not a graph file (bad magic), or another format version
//   Corruption       empty, truncated, checksum mismatch, inconsistent content
Result<std::shared_ptr<const EcosystemGraph>> LoadGraph(const std::filesystem::path& path);

}  // namespace partnergraph
