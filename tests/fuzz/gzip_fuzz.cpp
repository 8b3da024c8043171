// Fuzz target: the gzip path of CsvReader (common/csv_reader.hpp: FromString detects gzip by its
// first two bytes, 0x1f 0x8b, and inflates one or more concatenated members).
//
// Input: an option byte (csv_fuzz_common.hpp, OptionsFromByte), a mode byte, then a payload.
// Mode (low two bits):
//   0  the payload gzip-compressed (level from the mode byte's high bits): one member;
//   1  the payload cut in two (where the mode byte says), each part its own member;
//   2  the payload as raw gzip bytes, 0x1f 0x8b put in front when it does not start with
//      them: the inflater itself is fuzzed (the seeds are real .csv.gz files);
//   3  as 0, followed by trailing bytes (zeros are allowed after the last member, anything
//      else is an error).
// In modes 0 and 1 the inflated text is the payload, so the reader must give exactly what it
// gives for the payload read as plain text (the same records, or the same error): a finding
// aborts. Every mode also runs csv_fuzz_common.hpp's chunking checks.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "csv_fuzz_common.hpp"
#include "fuzz_support.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {

// One gzip member holding `text`, compressed at `level` (0..9).
std::string GzipMember(std::string_view text, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::abort();
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

bool StartsLikeGzip(std::string_view s) {
  return s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0x1f &&
         static_cast<unsigned char>(s[1]) == 0x8b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const CsvFuzzOptions o = OptionsFromByte(data[0]);
  const std::uint8_t mode = data[1];
  const std::string payload = AsString(data + 2, size - 2);
  const int level = (mode >> 2) % 10;

  std::string gz;
  bool same_as_plain = false;
  switch (mode & 3) {
    case 0:
      gz = GzipMember(payload, level);
      same_as_plain = true;
      break;
    case 1: {
      const std::size_t cut = payload.empty() ? 0 : (mode >> 2) % (payload.size() + 1);
      gz = GzipMember(std::string_view(payload).substr(0, cut), level) +
           GzipMember(std::string_view(payload).substr(cut), level);
      same_as_plain = true;
      break;
    }
    case 2:
      gz = StartsLikeGzip(payload) ? payload : std::string("\x1f\x8b", 2) + payload;
      break;
    default: {
      // The payload's first byte says how many of its bytes trail the member: all zeros when
      // the mode byte's bit 2 is set, else the payload's own bytes.
      const std::size_t trail = payload.empty() ? 0 : static_cast<unsigned char>(payload[0]) % 9;
      const std::string_view body = std::string_view(payload).substr(payload.empty() ? 0 : 1);
      gz = GzipMember(body, level);
      const std::string_view tail = body.substr(body.size() - std::min(trail, body.size()));
      gz += (mode & 4) != 0 ? std::string(trail, '\0') : std::string(tail);
      break;
    }
  }

  const std::vector<CopiedRecord> inflated = CheckCsv(gz, o.options, o.tiny_chunk);
  // A payload that itself starts like gzip would be inflated once more when read as plain.
  if (same_as_plain && !StartsLikeGzip(payload)) {
    Result<CsvReader> plain = CsvReader::FromString(payload, "fuzz.csv", o.options);
    Result<CsvReader> zipped = CsvReader::FromString(gz, "fuzz.csv", o.options);
    if (plain.ok() != zipped.ok()) Fail("gzip changed whether the text opens", 0);
    if (!plain.ok()) {
      if (plain.status().ToString() != zipped.status().ToString()) {
        Fail("gzip changed the error", 0);
      }
      return 0;
    }
    if (plain->header() != zipped->header()) Fail("gzip changed the header", 0);
    if (ReadAll(*plain) != inflated) Fail("gzip changed the records", 0);
  }
  return 0;
}
