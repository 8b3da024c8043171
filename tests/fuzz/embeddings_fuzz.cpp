// Fuzz target: Embeddings::Load (embed/embeddings.hpp), dense and sparse, every format version,
// and Embeddings::ReadGraphFingerprint on the same file.
//
// Input: the file's bytes; its trailing CRC-32 is rewritten to match (fuzz_support.hpp) so that
// the loader's size and row-id checks are reached. A file that loads is then read row by row
// (Row, Dot with row 0), which must stay inside the stored values.
// Seeds: the *.emb files of a `partnergraph build --data datasets/tiny` model.
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
  // Open finding (docs/testing.md): a sparse file (version 2 or 4) may claim up to 2^32 - 1
  // rows, and Load fills a 4-byte slot per row before anything else.
  if (SkipOpenFindings() && bytes.size() >= 24) {
    std::uint32_t version = 0;
    std::uint64_t rows = 0;
    std::memcpy(&version, bytes.data() + 8, 4);
    std::memcpy(&rows, bytes.data() + 16, 8);
    if ((version == 2 || version == 4) && rows > kMaxRowsRead) return 0;
  }
  FixTrailingChecksum(bytes);
  const auto path = WriteScratchFile("vectors.emb", bytes);
  (void)Embeddings::ReadGraphFingerprint(path);
  Result<Embeddings> e = Embeddings::Load(path);
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
