#include "partnergraph/embed/embeddings.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/container_bytes.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

Embeddings Sample() {
  std::vector<float> values(5 * 3);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25f * static_cast<float>(i) - 1.0f;
  return Embeddings::FromValues(5, 3, values, R"({"method":"test"})").value();
}

std::vector<char> ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Recomputes the checksums after an edit, so that Load reaches the checks behind them.
void Reseal(std::vector<char>& bytes) { testing::ResealContainer(bytes); }

// The file offset of section `name`'s bytes.
std::size_t SectionAt(const std::vector<char>& bytes, std::string_view name) {
  return testing::ContainerSection(bytes, name).first;
}

// Header section fields: u32 dim at 0, u32 rows at 4, u32 storage at 8, u64 fingerprint at 12.
constexpr std::size_t kDimAt = 0, kRowsAt = 4;

void WriteBytes(const std::filesystem::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("Embeddings round-trip through Save and Load", "[embed]") {
  const auto dir = testing::FreshTempDir("embeddings_roundtrip");
  const Embeddings e = Sample();
  REQUIRE(e.Save(dir / "merchants.emb").ok());
  CHECK_FALSE(std::filesystem::exists(dir / "merchants.emb.tmp"));
  auto loaded = Embeddings::Load(dir / "merchants.emb");
  REQUIRE(loaded.ok());
  CHECK(loaded->rows() == 5);
  CHECK(loaded->dim() == 3);
  CHECK(loaded->values() == e.values());
  CHECK(loaded->config_json() == R"({"method":"test"})");
  // The container's header and table (3 sections), its header checksum, then the header
  // section (20 bytes), the config (17) and the values, each at a multiple of 8, the checksum.
  CHECK(std::filesystem::file_size(dir / "merchants.emb") ==
        48 + 3 * 56 + 4 + 4 + 20 + 4 + 17 + 7 + 5 * 3 * 4 + 4);

  // Saving again replaces the file.
  const Embeddings empty;
  REQUIRE(empty.Save(dir / "merchants.emb").ok());
  auto reloaded = Embeddings::Load(dir / "merchants.emb");
  REQUIRE(reloaded.ok());
  CHECK(reloaded->rows() == 0);
}

TEST_CASE("Embeddings::Load refuses truncated, corrupted and foreign files", "[embed]") {
  const auto dir = testing::FreshTempDir("embeddings_corrupt");
  const auto path = dir / "e.emb";
  REQUIRE(Sample().Save(path).ok());
  const std::vector<char> good = ReadBytes(path);

  SECTION("truncated") {
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{40}, good.size() - 1}) {
      WriteBytes(path, std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
      auto r = Embeddings::Load(path);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsCorruption());
      CHECK(r.status().message().find(path.string()) != std::string::npos);
    }
  }
  SECTION("trailing bytes") {
    std::vector<char> longer = good;
    longer.push_back('x');
    WriteBytes(path, longer);
    CHECK(Embeddings::Load(path).status().IsCorruption());
  }
  SECTION("a flipped value bit") {
    std::vector<char> bad = good;
    bad[SectionAt(good, "values") + 5] ^= 0x01;
    WriteBytes(path, bad);
    auto r = Embeddings::Load(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("checksum mismatch") != std::string::npos);
  }
  SECTION("a header claiming more rows") {
    std::vector<char> bad = good;
    const std::size_t header = SectionAt(good, "header");
    bad[header + kRowsAt] = 100;
    WriteBytes(path, bad);
    CHECK(Embeddings::Load(path).status().IsCorruption());  // the checksum
    Reseal(bad);
    WriteBytes(path, bad);
    auto more = Embeddings::Load(path);
    CHECK(more.status().IsCorruption());
    CHECK(more.status().message() == path.string() +
                                         ": section values holds 15 floats but the header (100 x "
                                         "3) needs 300");
    bad[header + kRowsAt + 3] = 0x7f;  // absurd row count: refused before any allocation
    Reseal(bad);
    WriteBytes(path, bad);
    CHECK(Embeddings::Load(path).status().IsCorruption());
  }
  SECTION("bad magic and version") {
    std::vector<char> bad = good;
    bad[0] = 'X';
    WriteBytes(path, bad);
    CHECK(Embeddings::Load(path).status().IsInvalidArgument());
    CHECK(Embeddings::Load(path).status().message().find("bad magic") != std::string::npos);
    bad = good;
    bad[8] = 9;
    WriteBytes(path, bad);
    CHECK(Embeddings::Load(path).status().IsInvalidArgument());
    CHECK(Embeddings::Load(path).status().message().find("version 9") != std::string::npos);
  }
  SECTION("missing") {
    CHECK(Embeddings::Load(dir / "absent.emb").status().IsIOError());
  }
}

TEST_CASE("Embeddings::Save reports an unwritable path", "[embed]") {
  auto s = Sample().Save("/nonexistent-dir/e.emb");
  REQUIRE_FALSE(s.ok());
  CHECK(s.IsIOError());
  CHECK(s.message().find("/nonexistent-dir/e.emb.tmp") != std::string::npos);
}

TEST_CASE("Embeddings rows, normalisation and shape checks", "[embed]") {
  auto bad = Embeddings::FromValues(2, 3, std::vector<float>(5));
  CHECK(bad.status().IsInvalidArgument());
  Embeddings e(2, 2);
  e.MutableRow(0)[0] = 3;
  e.MutableRow(0)[1] = 4;
  e.NormalizeRows();
  CHECK(e.Row(0)[0] == Approx(0.6f));
  CHECK(e.Row(0)[1] == Approx(0.8f));
  CHECK(e.Row(1)[0] == 0.0f);  // zero rows stay zero
  CHECK(e.Dot(0, 0) == Approx(1.0f));
}

namespace {

// Rows 1 and 3 of 5 stored; the others are zero.
Embeddings SparseSample() {
  return Embeddings::FromStoredRows(5, 2, {1, 3}, {3, 4, -1, 0}, R"({"method":"sparse"})").value();
}

}  // namespace

TEST_CASE("Sparse embeddings read like dense ones and store only their rows", "[embed]") {
  Embeddings e = SparseSample();
  CHECK(e.sparse());
  CHECK(e.rows() == 5);
  CHECK(e.values().size() == 4);
  CHECK(e.Row(1)[0] == 3.0f);
  CHECK(e.Row(3)[0] == -1.0f);
  for (std::uint32_t r : {0u, 2u, 4u}) {
    CHECK(e.Row(r)[0] == 0.0f);
    CHECK(e.Row(r)[1] == 0.0f);
  }
  e.NormalizeRows();
  CHECK(e.Row(1)[0] == Approx(0.6f));
  CHECK(e.Row(1)[1] == Approx(0.8f));
  CHECK(e.Dot(1, 3) == Approx(-0.6f));
  CHECK(e.Dot(0, 1) == 0.0f);
  e.MutableRow(3)[1] = 2.0f;
  CHECK(e.Row(3)[1] == 2.0f);

  CHECK(Embeddings::FromStoredRows(5, 2, {3, 1}, {0, 0, 0, 0}).status().IsInvalidArgument());
  CHECK(Embeddings::FromStoredRows(5, 2, {1, 1}, {0, 0, 0, 0}).status().IsInvalidArgument());
  CHECK(Embeddings::FromStoredRows(5, 2, {1, 5}, {0, 0, 0, 0}).status().IsInvalidArgument());
  CHECK(Embeddings::FromStoredRows(5, 2, {1, 3}, {0, 0, 0}).status().IsInvalidArgument());
}

TEST_CASE("Sparse embeddings round-trip through Save and Load", "[embed]") {
  const auto dir = testing::FreshTempDir("embeddings_sparse");
  const auto path = dir / "skus.emb";
  const Embeddings e = SparseSample();
  REQUIRE(e.Save(path).ok());
  // container header and 4 entries, its checksum; header section, config, 2 ids, 2 x 2 floats
  // (each at a multiple of 8), checksum
  CHECK(std::filesystem::file_size(path) ==
        48 + 4 * 56 + 4 + 4 + 20 + 4 + 19 + 5 + 2 * 4 + 4 * 4 + 4);
  auto loaded = Embeddings::Load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->sparse());
  CHECK(loaded->rows() == 5);
  CHECK(loaded->stored_row_ids() == std::vector<std::uint32_t>{1, 3});
  CHECK(loaded->values() == e.values());
  CHECK(loaded->config_json() == e.config_json());
  for (std::uint32_t r = 0; r < 5; ++r) {
    CHECK(std::equal(e.Row(r).begin(), e.Row(r).end(), loaded->Row(r).begin()));
  }
  const std::vector<char> good = ReadBytes(path);
  const std::size_t ids_at = SectionAt(good, "row_ids");

  SECTION("row ids out of order or out of range are refused, naming the file") {
    for (std::uint32_t bad_id : {1u, 7u}) {
      std::vector<char> bad = good;
      std::memcpy(bad.data() + ids_at + 4, &bad_id, 4);
      Reseal(bad);
      WriteBytes(path, bad);
      auto r = Embeddings::Load(path);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsCorruption());
      CHECK(r.status().message().find("stored row id " + std::to_string(bad_id)) !=
            std::string::npos);
      CHECK(r.status().message().find(path.string()) != std::string::npos);
    }
  }
  SECTION("a stored-row count that does not fit the file is refused before allocating") {
    // The row_ids section's length (its table entry), checksums resealed.
    const std::size_t length_at =
        testing::ContainerEntry(testing::ContainerSectionIndex(good, "row_ids")) + 48;
    for (std::uint64_t bytes : {std::uint64_t{12}, std::uint64_t{24}, ~std::uint64_t{0} - 3}) {
      std::vector<char> bad = good;
      std::memcpy(bad.data() + length_at, &bytes, 8);
      Reseal(bad);
      WriteBytes(path, bad);
      auto r = Embeddings::Load(path);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsCorruption());
    }
  }
  SECTION("a row count other than the graph's is refused before the row table is allocated") {
    // Fuzzing found it: a sparse header claiming 2^30 rows (checksum intact) made Load fill a
    // 4 GB row table (tests/fuzz/regressions/embeddings/).
    CHECK(Embeddings::Load(path, 5).ok());
    auto other = Embeddings::Load(path, 6);
    INFO(other.status().ToString());
    CHECK(other.status().IsInvalidArgument());
    CHECK(other.status().message().find("holds 5 rows but the model's graph has 6") !=
          std::string::npos);
    std::vector<char> bad = good;
    const std::uint32_t huge = std::uint32_t{1} << 30;
    std::memcpy(bad.data() + SectionAt(good, "header") + kRowsAt, &huge, 4);
    Reseal(bad);
    WriteBytes(path, bad);
    CHECK(Embeddings::Load(path, 5).status().IsInvalidArgument());
  }
  SECTION("truncated anywhere") {
    for (std::size_t cut = 0; cut < good.size(); cut += 7) {
      WriteBytes(path, std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
      auto r = Embeddings::Load(path);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsCorruption());
      CHECK(r.status().message().find(path.string()) != std::string::npos);
    }
  }
}

TEST_CASE("Embeddings::Load refuses a dimension it could not have written", "[embed]") {
  // A well-formed sparse file (valid checksums) storing no rows, whose header claims 2^30
  // dimensions: loading it would allocate a 4 GB zero row. Refused before any allocation.
  const auto dir = testing::FreshTempDir("embeddings_dim");
  const auto path = dir / "huge.emb";
  REQUIRE(Embeddings::FromStoredRows(10, 4, {}, {}).value().Save(path).ok());
  std::vector<char> bytes = ReadBytes(path);
  const std::uint32_t dim = 1u << 30;
  std::memcpy(bytes.data() + SectionAt(bytes, "header") + kDimAt, &dim, 4);
  Reseal(bytes);
  WriteBytes(path, bytes);
  auto r = Embeddings::Load(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCorruption());
  CHECK(r.status().message().find("dimension 1073741824") != std::string::npos);

  // The same file with a sane dimension loads: 10 rows, none stored.
  const std::uint32_t small = 4;
  std::memcpy(bytes.data() + SectionAt(bytes, "header") + kDimAt, &small, 4);
  Reseal(bytes);
  WriteBytes(path, bytes);
  auto ok = Embeddings::Load(path);
  REQUIRE(ok.ok());
  CHECK(ok->sparse());
  CHECK(ok->rows() == 10);
  CHECK(ok->Row(9)[3] == 0.0f);
}

TEST_CASE("Embeddings record the graph they were trained on; older versions are refused",
          "[embed]") {
  const auto dir = testing::FreshTempDir("embeddings_graph");
  const auto path = dir / "m.emb";
  Embeddings e = Sample();
  e.set_graph_fingerprint(0x0123456789abcdefULL);
  REQUIRE(e.Save(path).ok());
  auto loaded = Embeddings::Load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->graph_fingerprint() == 0x0123456789abcdefULL);
  auto header = Embeddings::ReadGraphFingerprint(path);
  REQUIRE(header.ok());
  CHECK(*header == 0x0123456789abcdefULL);

  // Versions 1 to 4 (before the container: magic, u32 version, then their own header) are
  // refused by their version, by Load and by ReadGraphFingerprint, with the fix.
  for (std::uint32_t version : {1u, 2u, 3u, 4u}) {
    std::vector<char> old(40 + 17 + 5 * 3 * 4 + 4, 0);
    std::memcpy(old.data(), "PGEMBED", 8);
    std::memcpy(old.data() + 8, &version, 4);
    WriteBytes(path, old);
    const std::string expected = path.string() + ": embeddings format version " +
                                 std::to_string(version) +
                                 ", this build reads 5: rebuild the model with `partnergraph "
                                 "build`";
    for (const Status& s :
         {Embeddings::Load(path).status(), Embeddings::ReadGraphFingerprint(path).status()}) {
      CHECK(s.IsInvalidArgument());
      CHECK(s.message() == expected);
    }
  }
}
