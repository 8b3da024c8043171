#include "partnergraph/common/binary_container.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/file_checksum.hpp"

using namespace partnergraph;

namespace {

const ContainerFormat kFormat{std::string_view("PGTESTF\0", 8), "test", 3};

std::filesystem::path TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "pg_binary_container_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <typename T>
void Poke(std::string& bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof v);
}

// Rewrites the header's CRC-32 (after n entries) and the trailing one.
void Rechecksum(std::string& bytes) {
  std::uint32_t n = 0;
  std::memcpy(&n, bytes.data() + 12, 4);
  const std::size_t table_end = kContainerFixedBytes + kContainerEntryBytes * n;
  Poke(bytes, table_end, Crc32(0, bytes.data(), table_end));
  Poke(bytes, bytes.size() - 4, Crc32(0, bytes.data(), bytes.size() - 4));
}

// A file with a 5-byte record section and an array of three u64.
std::filesystem::path WriteSample(const std::string& name, std::uint32_t* crc = nullptr) {
  const auto path = TempPath(name);
  static const std::vector<std::uint64_t> values = {7, 8, 9};
  BinaryContainerWriter w(kFormat);
  ByteWriter record;
  record.Put<std::uint32_t>(42);
  record.Put<std::uint8_t>(1);
  w.AddBytes("header", record.data());
  w.AddArray<std::uint64_t>("values", values);
  auto written = w.Write(path);
  INFO(written.status().ToString());
  REQUIRE(written.ok());
  if (crc != nullptr) *crc = *written;
  return path;
}

std::string Message(const Status& s) { return s.message(); }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("A container round-trips named sections, read in place", "[common]") {
  std::uint32_t crc = 0;
  const auto path = WriteSample("round_trip.bin", &crc);
  const std::string bytes = ReadAll(path);
  // Header, two entries, header CRC, the 5-byte section at 168, padding, the array at 176.
  CHECK(bytes.size() == 48 + 2 * 56 + 4 + 4 + 5 + 3 + 24 + 4);
  CHECK(bytes.compare(0, 8, std::string("PGTESTF\0", 8)) == 0);
  // The trailing checksum is the file's CRC-32, as ReadTrailingCrc32 reads it for the manifest.
  auto trailing = ReadTrailingCrc32(path);
  REQUIRE(trailing.ok());
  CHECK(trailing->crc == crc);
  CHECK(trailing->crc == Crc32(0, bytes.data(), bytes.size() - 4));

  for (ContainerCheck check : {ContainerCheck::kWhole, ContainerCheck::kHeader}) {
    auto r = BinaryContainerReader::Open(path, kFormat, check);
    REQUIRE(r.ok());
    CHECK(r->file_crc() == crc);
    auto records = r->Records("header");
    REQUIRE(records.ok());
    std::uint32_t v = 0;
    std::uint8_t b = 0;
    CHECK(records->Read(&v, "the count").ok());
    CHECK(records->Get(&b));
    CHECK(v == 42);
    CHECK(b == 1);
    CHECK(records->remaining() == 0);
    // A read past the end names the file, the section and the offset.
    Status past = records->Read(&v, "the flags");
    CHECK(past.IsCorruption());
    CHECK(Message(past) == path.string() +
                               ": section header (offset 173): the flags needs 4 "
                               "bytes, 0 are left");
    auto values = r->Array<std::uint64_t>("values");
    REQUIRE(values.ok());
    REQUIRE(values->size() == 3);
    CHECK((*values)[2] == 9);
    CHECK(reinterpret_cast<std::uintptr_t>(values->data()) % 8 == 0);
    // The wrong element size or a missing section is refused, naming the section.
    auto as_u32 = r->Array<std::uint32_t>("values");
    CHECK(Contains(Message(as_u32.status()), "section values (offset 176) has 8-byte elements"));
    CHECK(Message(r->Section("nope").status()) == path.string() + ": no section \"nope\"");
  }
}

TEST_CASE("A container of another format, version or size is refused before anything is read",
          "[common]") {
  const auto path = WriteSample("refused.bin");
  const std::string good = ReadAll(path);

  SECTION("another version: InvalidArgument with the fix") {
    std::string bytes = good;
    Poke<std::uint32_t>(bytes, 8, 2);
    WriteAll(path, bytes);
    Status s = BinaryContainerReader::Open(path, kFormat).status();
    CHECK(s.IsInvalidArgument());
    CHECK(Message(s) == path.string() +
                            ": test format version 2, this build reads 3: rebuild the model with "
                            "`partnergraph build`");
    // The version is checked first: an old file of a few bytes gets the same message.
    WriteAll(path, bytes.substr(0, 12));
    CHECK(Message(BinaryContainerReader::Open(path, kFormat).status()) ==
          path.string() +
              ": test format version 2, this build reads 3: rebuild the model with "
              "`partnergraph build`");
  }
  SECTION("another magic") {
    std::string bytes = good;
    bytes[0] = 'X';
    WriteAll(path, bytes);
    Status s = BinaryContainerReader::Open(path, kFormat).status();
    CHECK(s.IsInvalidArgument());
    CHECK(Message(s) == path.string() + ": not a test file (bad magic)");
  }
  SECTION("truncated or extended") {
    for (std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{40}, good.size() - 1}) {
      WriteAll(path, good.substr(0, size));
      Status s = BinaryContainerReader::Open(path, kFormat).status();
      CHECK(s.IsCorruption());
      CHECK(Message(s).rfind(path.string() + ": ", 0) == 0);
    }
    WriteAll(path, good + "x");
    CHECK(Contains(Message(BinaryContainerReader::Open(path, kFormat).status()),
                   "but its header says"));
  }
  SECTION("a damaged byte in a section: the section is named") {
    std::string bytes = good;
    bytes[176] ^= 1;
    WriteAll(path, bytes);
    Status s = BinaryContainerReader::Open(path, kFormat).status();
    CHECK(s.IsCorruption());
    CHECK(Message(s) == path.string() + ": section values (offset 176) checksum mismatch");
    // A header-only open does not read the section until it is asked for.
    auto r = BinaryContainerReader::Open(path, kFormat, ContainerCheck::kHeader);
    REQUIRE(r.ok());
    CHECK(r->Section("header").ok());
    CHECK(r->Section("values").status().IsCorruption());
  }
  SECTION("a damaged padding byte: only the whole-file checksum sees it") {
    std::string bytes = good;
    bytes[175] = 1;
    WriteAll(path, bytes);
    CHECK(Contains(Message(BinaryContainerReader::Open(path, kFormat).status()),
                   "whole-file checksum mismatch"));
  }
  SECTION("a table whose sizes do not fit the file, checksums fixed") {
    std::string bytes = good;
    // The second section's length claims 2^40 bytes: refused before anything is allocated.
    Poke<std::uint64_t>(bytes, 48 + 56 + 48, std::uint64_t{1} << 40);
    Rechecksum(bytes);
    WriteAll(path, bytes);
    Status s = BinaryContainerReader::Open(path, kFormat).status();
    CHECK(s.IsCorruption());
    CHECK(Contains(Message(s),
                   "section 1 (\"values\", table offset 104): offset 176 and length "
                   "1099511627776"));
    // A repeated name.
    bytes = good;
    std::memcpy(bytes.data() + 48 + 56, "header\0", 7);
    Rechecksum(bytes);
    WriteAll(path, bytes);
    CHECK(
        Contains(Message(BinaryContainerReader::Open(path, kFormat).status()), "the name repeats"));
    // A section count far above the table.
    bytes = good;
    Poke<std::uint32_t>(bytes, 12, 100000);
    WriteAll(path, bytes);
    CHECK(Contains(Message(BinaryContainerReader::Open(path, kFormat).status()),
                   "implausible section count 100000"));
  }
  SECTION("a missing file") {
    CHECK(BinaryContainerReader::Open(TempPath("absent.bin"), kFormat).status().IsIOError());
  }
}

TEST_CASE("A container writer refuses names a reader could not tell apart", "[common]") {
  BinaryContainerWriter w(kFormat);
  w.AddBytes("same", "a");
  w.AddBytes("same", "b");
  CHECK(w.Write(TempPath("dup.bin")).status().code() == Status::Code::kInternal);
  BinaryContainerWriter long_name(kFormat);
  long_name.AddBytes(std::string(kContainerNameBytes + 1, 'n'), "a");
  CHECK(long_name.Write(TempPath("long.bin")).status().code() == Status::Code::kInternal);
  // An empty container is valid.
  BinaryContainerWriter empty(kFormat);
  REQUIRE(empty.Write(TempPath("empty.bin")).ok());
  CHECK(BinaryContainerReader::Open(TempPath("empty.bin"), kFormat).ok());
}

TEST_CASE("A stream reader reads a file front to back, mapped or from a pipe", "[common]") {
  const auto path = TempPath("stream.bin");
  WriteAll(path, std::string("headbody!") + std::string(3, '\0'));
  const auto fifo = TempPath("stream.fifo");
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (bool from_pipe : {false, true}) {
    INFO((from_pipe ? "pipe" : "mapped file"));
    std::thread writer;
    if (from_pipe) {
      // The writer blocks in open until the reader opens the other end.
      writer = std::thread([&] { WriteAll(fifo, ReadAll(path)); });
    }
    auto r = BinaryStreamReader::Open(from_pipe ? fifo : path);
    REQUIRE(r.ok());
    std::vector<unsigned char> buffer;
    auto head = r->Read(4, "the head", buffer);
    REQUIRE(head.ok());
    CHECK(std::string(reinterpret_cast<const char*>(*head), 4) == "head");
    CHECK(r->offset() == 4);
    CHECK_FALSE(r->AtEnd().value());
    auto body = r->Read(5, "the body", buffer);
    REQUIRE(body.ok());
    CHECK(std::string(reinterpret_cast<const char*>(*body), 5) == "body!");
    r->Populate(0, 9);  // hints: no effect on what is read
    r->Release(9, 1);
    // Three bytes are left: a read of four names the file and what it was reading.
    Status past = r->Read(4, "block 7", buffer).status();
    CHECK(past.IsCorruption());
    CHECK(past.message() == (from_pipe ? fifo : path).string() + ": file ends inside block 7");
    if (!from_pipe) {
      CHECK(r->Read(3, "the tail", buffer).ok());
      CHECK(r->AtEnd().value());
    }
    CHECK(r->CheckUnchanged().ok());
    if (writer.joinable()) writer.join();
  }
  CHECK(BinaryStreamReader::Open(TempPath("absent.stream")).status().IsIOError());
}
