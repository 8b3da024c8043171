// SaveGraph / LoadGraph: round trips, and every kind of damaged file refused
// with a message that names the file.
#include "partnergraph/graph/graph_io.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/container_bytes.hpp"
#include "graph_test_util.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using partnergraph::testing::BuildGraph;
using partnergraph::testing::DumpGraph;
using partnergraph::testing::FirstDifference;
using partnergraph::testing::FreshTempDir;
using partnergraph::testing::TinyDatasetByHand;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void WriteBytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
std::uint32_t U32(const Bytes& b, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
std::uint64_t U64(const Bytes& b, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}
void SetU32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void SetU64(Bytes& b, std::size_t at, std::uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
// Where section i's bytes are, and every checksum recomputed so that a deliberate edit passes
// the CRC checks and reaches the content validation (common/container_bytes.hpp).
std::pair<std::size_t, std::size_t> Section(const Bytes& b, std::uint32_t i) {
  return partnergraph::testing::ContainerSection(b, i);
}
void Rechecksum(Bytes& b) { partnergraph::testing::ResealContainer(b); }

std::filesystem::path SaveTiny(const std::string& test_name) {
  auto path = FreshTempDir(test_name) / kGraphFileName;
  auto graph = BuildGraph(TinyDatasetByHand());
  Status s = SaveGraph(*graph, path);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return path;
}

// Loads `bytes` written to `path`; returns the status (which must be an error).
Status LoadBytes(const std::filesystem::path& path, const Bytes& bytes) {
  WriteBytes(path, bytes);
  auto loaded = LoadGraph(path);
  return loaded.ok() ? Status::Ok() : loaded.status();
}

void ExpectRefused(const Status& s, const std::filesystem::path& path, const std::string& fragment) {
  INFO(s.ToString());
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().rfind(path.string(), 0) == 0);  // starts with the path
  CHECK(s.message().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("save/load round trip keeps every accessor's answer", "[graph]") {
  auto dir = FreshTempDir("graph_round_trip");
  SECTION("tiny") {
    auto graph = BuildGraph(TinyDatasetByHand());
    REQUIRE(SaveGraph(*graph, dir / "graph.pgg").ok());
    auto loaded = LoadGraph(dir / "graph.pgg");
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK(FirstDifference(DumpGraph(*graph), DumpGraph(**loaded)) == "");
    CHECK((*loaded)->Fingerprint() == graph->Fingerprint());
    CHECK((*loaded)->FindMerchant("m_cheese").ok());
    CHECK((*loaded)->FindCustomer("c05").ok());
    CHECK_FALSE(std::filesystem::exists(dir / "graph.pgg.tmp"));
  }
  SECTION("random, and the file does not depend on the thread count") {
    auto dataset = partnergraph::testing::RandomDataset(11, 200, 1500, 12000);
    GraphOptions one, two;
    one.threads = 1;
    two.threads = 2;
    two.min_copurchase_support = one.min_copurchase_support = 1;
    auto g1 = BuildGraph(dataset, one);
    auto g2 = BuildGraph(dataset, two);
    REQUIRE(SaveGraph(*g1, dir / "one.pgg").ok());
    REQUIRE(SaveGraph(*g2, dir / "two.pgg").ok());
    CHECK(ReadBytes(dir / "one.pgg") == ReadBytes(dir / "two.pgg"));
    auto loaded = LoadGraph(dir / "one.pgg");
    REQUIRE(loaded.ok());
    CHECK(FirstDifference(DumpGraph(*g1), DumpGraph(**loaded)) == "");
    CHECK((*loaded)->options().min_copurchase_support == 1);
  }
  SECTION("an empty graph") {
    auto graph = BuildGraph(Dataset{});
    REQUIRE(SaveGraph(*graph, dir / "empty.pgg").ok());
    auto loaded = LoadGraph(dir / "empty.pgg");
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK((*loaded)->vertex_count() == 0);
  }
  SECTION("saving over an existing file replaces it") {
    REQUIRE(SaveGraph(*BuildGraph(Dataset{}), dir / "graph.pgg").ok());
    auto graph = BuildGraph(TinyDatasetByHand());
    REQUIRE(SaveGraph(*graph, dir / "graph.pgg").ok());
    auto loaded = LoadGraph(dir / "graph.pgg");
    REQUIRE(loaded.ok());
    CHECK((*loaded)->merchant_count() == 6);
  }
}

TEST_CASE("the fingerprint follows merchants and counts", "[graph]") {
  auto a = BuildGraph(TinyDatasetByHand());
  auto b = BuildGraph(TinyDatasetByHand());
  CHECK(a->Fingerprint() == b->Fingerprint());
  Dataset d = TinyDatasetByHand();
  d.orders.pop_back();
  CHECK(BuildGraph(d)->Fingerprint() != a->Fingerprint());
  Dataset renamed = TinyDatasetByHand();
  Dataset other;
  // Same shape, one merchant id spelled differently.
  for (std::uint32_t i = 0; i < renamed.merchant_ids.size(); ++i) {
    other.merchant_ids.Add(i == 3 ? "m_wine_shop" : renamed.merchant_ids.Name(i));
  }
  renamed.merchant_ids = other.merchant_ids;
  CHECK(BuildGraph(renamed)->Fingerprint() != a->Fingerprint());
}

TEST_CASE("a missing, empty or foreign file is refused", "[graph]") {
  auto dir = FreshTempDir("graph_bad_files");
  auto missing = LoadGraph(dir / "nope.pgg");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsNotFound());
  CHECK(missing.status().message().find("nope.pgg") != std::string::npos);

  Status empty = LoadBytes(dir / "empty.pgg", {});
  CHECK(empty.IsCorruption());
  ExpectRefused(empty, dir / "empty.pgg", "file is empty");

  Status tiny = LoadBytes(dir / "tiny.pgg", {'P', 'G'});
  CHECK(tiny.IsCorruption());
  ExpectRefused(tiny, dir / "tiny.pgg", "too short");

  Bytes text(100, 'x');
  Status foreign = LoadBytes(dir / "text.pgg", text);
  CHECK(foreign.IsInvalidArgument());
  ExpectRefused(foreign, dir / "text.pgg", "bad magic");

  auto as_dir = LoadGraph(dir);
  REQUIRE_FALSE(as_dir.ok());
  CHECK(as_dir.status().IsIOError());
}

TEST_CASE("wrong magic and wrong version are refused", "[graph]") {
  auto path = SaveTiny("graph_magic_version");
  Bytes good = ReadBytes(path);

  Bytes magic = good;
  magic[0] = 'X';
  Rechecksum(magic);
  Status s = LoadBytes(path, magic);
  CHECK(s.IsInvalidArgument());
  ExpectRefused(s, path, "bad magic");

  Bytes version = good;
  SetU32(version, 8, kGraphFormatVersion + 1);
  Rechecksum(version);
  s = LoadBytes(path, version);
  CHECK(s.IsInvalidArgument());
  ExpectRefused(s, path,
                "graph format version " + std::to_string(kGraphFormatVersion + 1) +
                    ", this build reads " + std::to_string(kGraphFormatVersion) +
                    ": rebuild the model with `partnergraph build`");

  // The rewritten-checksum helper itself produces a loadable file.
  Bytes same = good;
  Rechecksum(same);
  CHECK(LoadBytes(path, same).ok());
}

TEST_CASE("a truncated file is refused at every length tried", "[graph]") {
  auto path = SaveTiny("graph_truncated");
  Bytes good = ReadBytes(path);
  const std::uint32_t n = U32(good, 12);
  const std::size_t header = partnergraph::testing::ContainerEntry(n) + 4;
  std::vector<std::size_t> lengths = {1,
                                      7,
                                      8,
                                      12,
                                      23,
                                      24,
                                      25,
                                      47,
                                      48,
                                      49,
                                      header - 1,
                                      header,
                                      header + 1,
                                      good.size() / 2,
                                      good.size() - 5,
                                      good.size() - 4,
                                      good.size() - 1};
  for (std::size_t step = 97; step < good.size(); step += 97) lengths.push_back(step);
  for (std::size_t length : lengths) {
    INFO("length " << length << " of " << good.size());
    Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length));
    Status s = LoadBytes(path, cut);
    CHECK(s.IsCorruption());
    ExpectRefused(s, path, "");
  }
  // The size field is checked against the file before anything else is read.
  Bytes cut(good.begin(), good.end() - 100);
  ExpectRefused(LoadBytes(path, cut), path, "truncated or damaged");
  // A lying size field that matches the cut file is caught by the checksum.
  SetU64(cut, 16, cut.size());
  ExpectRefused(LoadBytes(path, cut), path, "checksum");
}

TEST_CASE("a single flipped bit anywhere is refused", "[graph]") {
  auto path = SaveTiny("graph_bit_flips");
  Bytes good = ReadBytes(path);
  REQUIRE(good.size() > 1000);
  // Flip in place (rewriting the whole file each time is slow on some file systems).
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file.is_open());
  auto put = [&file](std::size_t offset, unsigned char byte) {
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(static_cast<char>(byte));
    file.flush();
  };
  std::size_t refused = 0;
  for (std::size_t offset = 0; offset < good.size(); ++offset) {
    put(offset, good[offset] ^ static_cast<unsigned char>(1u << (offset % 8)));
    auto loaded = LoadGraph(path);
    put(offset, good[offset]);
    Status s = loaded.ok() ? Status::Ok() : loaded.status();
    INFO("offset " << offset << ": " << s.ToString());
    REQUIRE_FALSE(s.ok());
    REQUIRE((s.IsCorruption() || s.IsInvalidArgument()));
    REQUIRE(s.message().rfind(path.string(), 0) == 0);
    ++refused;
  }
  CHECK(refused == good.size());
  file.close();
  CHECK(LoadGraph(path).ok());  // restored
}

TEST_CASE("content that passes the checksums but is inconsistent is refused", "[graph]") {
  auto path = SaveTiny("graph_inconsistent");
  Bytes good = ReadBytes(path);
  // Section 0 is meta (counts first), 2 the CSR columns (graph_io.hpp).
  SECTION("a node count that disagrees with the arrays") {
    Bytes b = good;
    auto [meta, length] = Section(b, 0);
    REQUIRE(length >= 8);
    SetU64(b, meta, U64(b, meta) + 1);  // 7 merchants
    Rechecksum(b);
    Status s = LoadBytes(path, b);
    CHECK(s.IsCorruption());
    ExpectRefused(s, path, "do not match");
  }
  SECTION("an absurd node count") {
    Bytes b = good;
    SetU64(b, Section(b, 0).first + 8 * 2, 0xFFFFFFFFull);  // customers
    Rechecksum(b);
    ExpectRefused(LoadBytes(path, b), path, "vertices");
  }
  SECTION("an edge to a vertex out of range") {
    Bytes b = good;
    auto [column, length] = Section(b, 2);
    REQUIRE(length >= 4);
    SetU32(b, column, 0x00FFFFFFu);
    Rechecksum(b);
    Status s = LoadBytes(path, b);
    CHECK(s.IsCorruption());
    ExpectRefused(s, path, "wrong type");
  }
  SECTION("an unsorted neighbour list") {
    Bytes b = good;
    auto [column, length] = Section(b, 2);
    // Merchant 0 (m_bakery) sells SKUs 0 and 1: its first two columns.
    std::uint32_t first = U32(b, column), second = U32(b, column + 4);
    REQUIRE(first < second);
    SetU32(b, column, second);
    SetU32(b, column + 4, first);
    Rechecksum(b);
    ExpectRefused(LoadBytes(path, b), path, "not sorted");
  }
  SECTION("a sales block on a consent edge whose status is not blocked") {
    Bytes b = good;
    auto [blocks, length] = partnergraph::testing::ContainerSection(b, "consent_sales_block");
    auto [statuses, status_length] = partnergraph::testing::ContainerSection(b, "consent_status");
    REQUIRE(length == status_length);
    REQUIRE(length >= 1);
    // The first consent edge is c01's double opt-in at m_bakery.
    REQUIRE(b[statuses] == static_cast<unsigned char>(ConsentStatus::kDoubleOptIn));
    b[blocks] = 1;
    Rechecksum(b);
    Status s = LoadBytes(path, b);
    CHECK(s.IsCorruption());
    ExpectRefused(s, path, "consent edge 0: a sales block with status double_opt_in");
  }
  SECTION("a sales block flag other than 0 or 1") {
    Bytes b = good;
    b[partnergraph::testing::ContainerSection(b, "consent_sales_block").first] = 2;
    Rechecksum(b);
    ExpectRefused(LoadBytes(path, b), path, "consent_sales_block[0] = 2");
  }
  SECTION("a section table that does not tile the file") {
    Bytes b = good;
    std::size_t entry = partnergraph::testing::ContainerEntry(1);
    SetU64(b, entry + 48, U64(b, entry + 48) + 4);  // csr_rowstart 4 bytes longer
    Rechecksum(b);
    ExpectRefused(LoadBytes(path, b), path, "do not fit the");
  }
  SECTION("a huge section count") {
    Bytes b = good;
    SetU32(b, 12, 0x7FFFFFFF);
    Status s = LoadBytes(path, b);
    CHECK(s.IsCorruption());
    ExpectRefused(s, path, "section count");
  }
}

TEST_CASE("SaveGraph reports an unwritable path and leaves no temp file", "[graph]") {
  auto dir = FreshTempDir("graph_save_error");
  auto graph = BuildGraph(TinyDatasetByHand());
  auto path = dir / "no_such_dir" / "graph.pgg";
  Status s = SaveGraph(*graph, path);
  INFO(s.ToString());
  CHECK(s.IsIOError());
  CHECK(s.message().find("no_such_dir") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "no_such_dir"));
}

TEST_CASE("a graph.pgg of format version 1 (before the shared container) names the fix",
          "[graph]") {
  // Version 1 had the same magic and version fields, then its own 24-byte header and 32-byte
  // section entries: the version alone refuses it, before any of its sizes is read.
  auto path = SaveTiny("graph_version_1");
  Bytes old = ReadBytes(path);
  SetU32(old, 8, 1);
  SetU32(old, 12, 22);              // its section count
  SetU64(old, 16, old.size() + 9);  // and a size it would have had
  Status s = LoadBytes(path, old);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == path.string() +
                           ": graph format version 1, this build reads 3: rebuild the model with "
                           "`partnergraph build`");
}

TEST_CASE("a graph.pgg of format version 2 (no sales block per consent edge) names the fix",
          "[graph]") {
  // Version 2 is the container without the consent_sales_block section, written before
  // the consent fold: its consent states may hide a sales block, so it is refused.
  auto path = SaveTiny("graph_version_2");
  Bytes old = ReadBytes(path);
  SetU32(old, 8, 2);
  Status s = LoadBytes(path, old);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == path.string() +
                           ": graph format version 2, this build reads 3: rebuild the model with "
                           "`partnergraph build`");
}
