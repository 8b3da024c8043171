// Fuzz target: Embeddings::Load (embed/embeddings.hpp), dense and sparse, and
// Embeddings::ReadGraphFingerprint on the same file.
//
// Input: the file's bytes; the container's checksums are rewritten to match (fuzz_support.hpp)
// so that the loader's size and row-id checks are reached. A file that loads is then read row by
// row (Row, Dot with row 0), which must stay inside the stored values. Seeds: the *.emb files of a
// `partnergraph build --data datasets/tiny` model.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "partnergraph/embed/embeddings.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {
constexpr std::uint32_t kMaxRowsRead = 1u << 16;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes = AsString(data, size);
  // A model's loader passes its graph's row count, so a header is read against a graph of
  // the rows it claims, at most kMaxRowsRead (a real graph, not the file, sets the count; the
  // regression sparse_header_claims_2pow30_rows once made the row table ask for 4 GB).
  std::uint32_t graph_rows = 0;
  if (const auto header = FindContainerSection(bytes, "header"); header && header->second >= 8) {
    std::uint32_t rows = 0;  // the header section: u32 dim, u32 rows, ...
    std::memcpy(&rows, bytes.data() + header->first + 4, 4);
    graph_rows = std::min(rows, kMaxRowsRead);
  }
  FixContainerChecksums(bytes);
  const auto path = WriteScratchFile("vectors.emb", bytes);
  (void)Embeddings::ReadGraphFingerprint(path);
  Result<Embeddings> e = Embeddings::Load(path, graph_rows);
  if (!e.ok()) return 0;
  // Rows up to kMaxRowsRead, and the last: a file of dimension 0 may claim 2^32 - 1 rows in
  // a few bytes (every row then reads as empty), and reading each would only burn time.
  float sink = 0;
  auto read_row = [&](std::uint32_t r) {
    for (float v : e->Row(r)) sink += v;
    if (e->dim() > 0) sink += e->Dot(0, r);
  };
  for (std::uint32_t r = 0; r < e->rows() && r < kMaxRowsRead; ++r) read_row(r);
  if (e->rows() > 0) read_row(e->rows() - 1);
  // Keeps the reads from being optimised away.
  volatile float keep = sink;
  (void)keep;
  return 0;
}
