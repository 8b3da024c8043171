// Fuzz target: CsvReader (common/csv_reader.hpp) on plain text, through FromString, ForEach and
// ForEachInChunk with a chunk size of 1 to 16 bytes (csv_fuzz_common.hpp checks that both give
// the same records).
//
// Input: one option byte (csv_fuzz_common.hpp, OptionsFromByte), then the file's bytes. The
// seeds are datasets/tiny's CSV files and the attribution path format (';'), each behind an
// option byte (tests/fuzz/make_seed_corpus.py).
#include <cstddef>
#include <cstdint>
#include <string>

#include "csv_fuzz_common.hpp"
#include "fuzz_support.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const CsvFuzzOptions o = OptionsFromByte(data[0]);
  std::string text = AsString(data + 1, size - 1);
  // Plain text only: gzip bytes are gzip_fuzz.cpp's.
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f &&
      static_cast<unsigned char>(text[1]) == 0x8b) {
    return 0;
  }
  (void)CheckCsv(text, o.options, o.tiny_chunk);
  return 0;
}
