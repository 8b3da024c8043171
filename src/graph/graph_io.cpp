#include "partnergraph/graph/graph_io.hpp"

#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "graph_data.hpp"
#include "partnergraph/common/atomic_file_writer.hpp"

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "graph files are little-endian; a big-endian port must byte-swap");

using Impl = EcosystemGraph::Impl;

// Sections a file may declare at most; far above the real count, it only
// bounds the table read from an untrusted header.
constexpr std::uint32_t kMaxSections = 4096;
constexpr std::size_t kMetaFields = 19;

std::uint32_t Crc(const void* data, std::size_t bytes, std::uint32_t crc = 0) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, static_cast<const Bytef*>(data), static_cast<z_size_t>(bytes)));
}
std::uint32_t CrcCombine(std::uint32_t first, std::uint32_t second, std::uint64_t second_bytes) {
  return static_cast<std::uint32_t>(
      crc32_combine(first, second, static_cast<z_off_t>(second_bytes)));
}

void PutU32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void PutU64(std::vector<unsigned char>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
std::uint32_t GetU32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t GetU64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::vector<std::uint64_t> EncodeMeta(const Impl& g) {
  const GraphOptions& o = g.options;
  return {g.counts[0],
          g.counts[1],
          g.counts[2],
          g.counts[3],
          g.counts[4],
          g.region_count,
          g.active_customers,
          std::bit_cast<std::uint64_t>(o.copurchase_window_seconds),
          o.min_copurchase_support,
          o.max_copurchase_neighbors,
          o.max_purchases_per_customer,
          o.min_shared_customers,
          o.price_bands,
          o.max_segments,
          o.derive_competitors ? 1u : 0u,
          std::bit_cast<std::uint64_t>(o.competitor_price_band_ratio),
          std::bit_cast<std::uint64_t>(o.competitor_min_jaccard),
          o.competitor_max_candidates,
          o.max_derived_competitors};
}

Status DecodeMeta(const std::vector<std::uint64_t>& meta, Impl& g) {
  if (meta.size() != kMetaFields) {
    return Status::Corruption("meta section has " + std::to_string(meta.size()) +
                              " fields, expected " + std::to_string(kMetaFields));
  }
  for (std::size_t i : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 17u, 18u}) {
    if (meta[i] > 0xFFFFFFFFull) {
      return Status::Corruption("meta field " + std::to_string(i) + " is out of range");
    }
  }
  for (int t = 0; t < kNodeTypeCount; ++t) g.counts[t] = static_cast<std::uint32_t>(meta[t]);
  g.region_count = static_cast<std::uint32_t>(meta[5]);
  g.active_customers = static_cast<std::uint32_t>(meta[6]);
  GraphOptions& o = g.options;
  o.copurchase_window_seconds = std::bit_cast<std::int64_t>(meta[7]);
  o.min_copurchase_support = static_cast<std::uint32_t>(meta[8]);
  o.max_copurchase_neighbors = static_cast<std::uint32_t>(meta[9]);
  o.max_purchases_per_customer = static_cast<std::uint32_t>(meta[10]);
  o.min_shared_customers = static_cast<std::uint32_t>(meta[11]);
  o.price_bands = static_cast<std::uint32_t>(meta[12]);
  o.max_segments = static_cast<std::uint32_t>(meta[13]);
  if (meta[14] > 1) return Status::Corruption("meta field derive_competitors is not 0 or 1");
  o.derive_competitors = meta[14] == 1;
  o.competitor_price_band_ratio = std::bit_cast<double>(meta[15]);
  o.competitor_min_jaccard = std::bit_cast<double>(meta[16]);
  o.competitor_max_candidates = static_cast<std::uint32_t>(meta[17]);
  o.max_derived_competitors = static_cast<std::uint32_t>(meta[18]);
  o.threads = 0;
  o.show_progress = false;
  Status valid = o.Validate();
  if (!valid.ok()) return Status::Corruption("stored options: " + valid.message());
  std::uint64_t total = 0;
  for (auto c : g.counts) total += c;
  if (total >= graph_internal::kNone) return Status::Corruption("more than 2^32 - 1 vertices");
  return Status::Ok();
}

// A section to write: bytes already in memory.
struct SectionOut {
  std::string name;
  std::uint32_t elem_size;
  const void* data;
  std::uint64_t bytes;
};

// A section to read: where its elements go.
struct SectionIn {
  std::string name;
  std::uint32_t elem_size;
  std::function<void*(std::size_t count)> resize;  // returns the data pointer
};

template <typename T>
SectionOut Out(std::string name, const std::vector<T>& v) {
  return {std::move(name), static_cast<std::uint32_t>(sizeof(T)), v.data(), v.size() * sizeof(T)};
}
template <typename T>
SectionIn In(std::string name, std::vector<T>& v) {
  return {std::move(name), static_cast<std::uint32_t>(sizeof(T)), [&v](std::size_t count) -> void* {
            v.resize(count);
            return v.data();
          }};
}

std::string KindSectionName(int k) {
  return "kind_offsets." + std::string(ToString(static_cast<EdgeKind>(k)));
}

class File {
 public:
  File() = default;
  ~File() {
    if (f_ != nullptr) std::fclose(f_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool Open(const std::filesystem::path& path, const char* mode) {
    f_ = std::fopen(path.c_str(), mode);
    return f_ != nullptr;
  }
  std::FILE* get() { return f_; }
  int Close() {
    int rc = std::fclose(f_);
    f_ = nullptr;
    return rc;
  }

 private:
  std::FILE* f_ = nullptr;
};

std::string SystemError() { return std::strerror(errno); }

}  // namespace

Status SaveGraph(const EcosystemGraph& graph, const std::filesystem::path& path) {
  const Impl& g = GraphAccess::Of(graph);
  std::vector<std::uint64_t> meta = EncodeMeta(g);
  const std::uint32_t V = g.vertex_count();
  const std::uint64_t E = boost::num_edges(g.csr);
  std::vector<std::uint32_t> rowstart(static_cast<std::size_t>(V) + 1, 0);
  for (GraphVertex v = 0; v < V; ++v) rowstart[v + 1] = rowstart[v] + boost::out_degree(v, g.csr);
  const void* column = E > 0 ? static_cast<const void*>(&*boost::adjacent_vertices(GraphVertex{0}, g.csr).first)
                             : static_cast<const void*>(rowstart.data());

  std::vector<SectionOut> sections;
  sections.push_back(Out("meta", meta));
  sections.push_back(Out("csr_rowstart", rowstart));
  sections.push_back({"csr_column", sizeof(GraphVertex), column, E * sizeof(GraphVertex)});
  for (int k = 0; k < kEdgeKindCount; ++k) {
    sections.push_back(Out(KindSectionName(k), g.kind_offsets[k]));
  }
  graph_internal::VisitArrays(g, [&sections](const std::string& name, const char*, const auto& v) {
    sections.push_back(Out(name, v));
  });

  const std::uint64_t n = sections.size();
  const std::uint64_t data_start = kGraphHeaderFixedBytes + kGraphSectionEntryBytes * n + 4;
  std::uint64_t file_size = data_start + 4;
  for (const auto& s : sections) file_size += s.bytes;

  std::vector<unsigned char> header(kGraphMagic, kGraphMagic + sizeof(kGraphMagic));
  PutU32(header, kGraphFormatVersion);
  PutU32(header, static_cast<std::uint32_t>(n));
  PutU64(header, file_size);
  std::uint64_t offset = data_start;
  std::vector<std::uint32_t> crcs;
  for (std::uint32_t i = 0; i < n; ++i) {
    crcs.push_back(Crc(sections[i].data, sections[i].bytes));
    PutU32(header, i);
    PutU32(header, sections[i].elem_size);
    PutU64(header, offset);
    PutU64(header, sections[i].bytes);
    PutU32(header, crcs.back());
    PutU32(header, 0);
    offset += sections[i].bytes;
  }
  PutU32(header, Crc(header.data(), header.size()));
  std::uint32_t file_crc = Crc(header.data(), header.size());
  for (std::uint32_t i = 0; i < n; ++i) file_crc = CrcCombine(file_crc, crcs[i], sections[i].bytes);
  std::vector<unsigned char> trailer;
  PutU32(trailer, file_crc);

  PG_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(file.Append(header.data(), header.size()));
  for (const auto& s : sections) PG_RETURN_IF_ERROR(file.Append(s.data, s.bytes));
  PG_RETURN_IF_ERROR(file.Append(trailer.data(), trailer.size()));
  return file.Commit();
}

Result<std::shared_ptr<const EcosystemGraph>> LoadGraph(const std::filesystem::path& path) {
  const std::string where = path.string();
  auto corrupt = [&where](const std::string& why) { return Status::Corruption(where + ": " + why); };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return Status::NotFound(where + ": no such file");
  if (!std::filesystem::is_regular_file(status)) return Status::IOError(where + ": not a regular file");
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(where + ": cannot read its size: " + ec.message());
  File f;
  if (!f.Open(path, "rb")) return Status::IOError(where + ": cannot open: " + SystemError());
  auto read = [&f](void* data, std::size_t bytes) {
    return bytes == 0 || std::fread(data, 1, bytes, f.get()) == bytes;
  };

  if (size == 0) return corrupt("file is empty");
  if (size < kGraphHeaderFixedBytes) {
    return corrupt("file is " + std::to_string(size) + " bytes, too short for a graph header");
  }
  std::vector<unsigned char> header(kGraphHeaderFixedBytes);
  if (!read(header.data(), header.size())) return Status::IOError(where + ": read failed");
  if (std::memcmp(header.data(), kGraphMagic, sizeof(kGraphMagic)) != 0) {
    return Status::InvalidArgument(where + ": not a partnergraph graph file (bad magic)");
  }
  const std::uint32_t version = GetU32(header.data() + 8);
  const std::uint32_t n = GetU32(header.data() + 12);
  const std::uint64_t declared_size = GetU64(header.data() + 16);
  if (declared_size != size) {
    return corrupt("file is " + std::to_string(size) + " bytes but its header says " +
                   std::to_string(declared_size) + " (truncated or damaged)");
  }
  if (n > kMaxSections) return corrupt("implausible section count " + std::to_string(n));
  const std::uint64_t data_start = kGraphHeaderFixedBytes + kGraphSectionEntryBytes * n + 4;
  if (data_start + 4 > size) return corrupt("truncated section table");
  header.resize(data_start);
  if (!read(header.data() + kGraphHeaderFixedBytes, data_start - kGraphHeaderFixedBytes)) {
    return Status::IOError(where + ": read failed");
  }
  if (Crc(header.data(), data_start - 4) != GetU32(header.data() + data_start - 4)) {
    return corrupt("header checksum mismatch");
  }
  if (version != kGraphFormatVersion) {
    return Status::InvalidArgument(where + ": graph format version " + std::to_string(version) +
                                   " is not supported (this build reads version " +
                                   std::to_string(kGraphFormatVersion) + ")");
  }

  auto impl = std::make_unique<Impl>();
  Impl& g = *impl;
  std::vector<std::uint64_t> meta;
  std::vector<std::uint32_t> rowstart, column;
  std::vector<SectionIn> sections;
  sections.push_back(In("meta", meta));
  sections.push_back(In("csr_rowstart", rowstart));
  sections.push_back(In("csr_column", column));
  for (int k = 0; k < kEdgeKindCount; ++k) sections.push_back(In(KindSectionName(k), g.kind_offsets[k]));
  graph_internal::VisitArrays(g, [&sections](const std::string& name, const char*, auto& v) {
    sections.push_back(In(name, v));
  });
  if (n != sections.size()) {
    return corrupt("has " + std::to_string(n) + " sections, expected " +
                   std::to_string(sections.size()));
  }
  // The table must describe contiguous sections filling the file exactly.
  std::uint64_t expected_offset = data_start;
  for (std::uint32_t i = 0; i < n; ++i) {
    const unsigned char* e = header.data() + kGraphHeaderFixedBytes + kGraphSectionEntryBytes * i;
    const std::string& name = sections[i].name;
    std::uint64_t offset = GetU64(e + 8), bytes = GetU64(e + 16);
    if (GetU32(e) != i || GetU32(e + 4) != sections[i].elem_size) {
      return corrupt("section " + std::to_string(i) + " (" + name + ") has the wrong id or element size");
    }
    if (offset != expected_offset || bytes > size - 4 - offset || bytes % sections[i].elem_size != 0) {
      return corrupt("section " + name + " has an invalid offset or length");
    }
    expected_offset = offset + bytes;
  }
  if (expected_offset != size - 4) return corrupt("sections do not fill the file");

  std::uint32_t file_crc = Crc(header.data(), header.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    const unsigned char* e = header.data() + kGraphHeaderFixedBytes + kGraphSectionEntryBytes * i;
    const std::uint64_t bytes = GetU64(e + 16);
    void* data = sections[i].resize(bytes / sections[i].elem_size);
    if (!read(data, bytes)) return Status::IOError(where + ": read failed in section " + sections[i].name);
    std::uint32_t crc = Crc(data, bytes);
    if (crc != GetU32(e + 24)) return corrupt("section " + sections[i].name + " checksum mismatch");
    file_crc = CrcCombine(file_crc, crc, bytes);
  }
  unsigned char trailer[4];
  if (!read(trailer, 4)) return Status::IOError(where + ": read failed at the trailer");
  if (GetU32(trailer) != file_crc) return corrupt("whole-file checksum mismatch");

  Status meta_ok = DecodeMeta(meta, g);
  if (!meta_ok.ok()) return corrupt(meta_ok.message());
  g.ComputeBases();
  const std::uint32_t V = g.vertex_count();
  if (rowstart.size() != static_cast<std::size_t>(V) + 1 || rowstart[0] != 0 ||
      rowstart.back() != column.size()) {
    return corrupt("CSR row starts do not match the vertex and edge counts");
  }
  for (std::size_t v = 1; v < rowstart.size(); ++v) {
    if (rowstart[v] < rowstart[v - 1]) return corrupt("CSR row starts decrease at " + std::to_string(v));
  }
  g.csr = graph_internal::MakeCsr(rowstart, column);
  std::vector<std::uint32_t>().swap(rowstart);
  std::vector<std::uint32_t>().swap(column);
  Status consistent = g.ValidateConsistency();
  if (!consistent.ok()) return corrupt(consistent.message());
  g.fingerprint = g.ComputeFingerprint();
  return GraphAccess::Wrap(std::move(impl));
}

}  // namespace partnergraph
