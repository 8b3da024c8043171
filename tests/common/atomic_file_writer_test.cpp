// AtomicFileWriter and WriteFileAtomically: the one "write to a temporary file, fsync, rename,
// fsync the folder" of the tree. A failed write, rename or create leaves the target as it was
// and no temporary file behind, and says which file.
#include "partnergraph/common/atomic_file_writer.hpp"

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/file_checksum.hpp"
#include "test_paths.hpp"

namespace pg = partnergraph;
namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Lowers the process's file size limit (RLIMIT_FSIZE) for its lifetime: a write past it fails
// with EFBIG, as a full disk fails with ENOSPC. SIGXFSZ, which would kill the process, is
// ignored meanwhile.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("WriteFileAtomically replaces a file whole and leaves no temporary", "[common]") {
  const fs::path dir = pg::testing::FreshTempDir("atomic_write");
  const fs::path path = dir / "config.json";
  REQUIRE(pg::WriteFileAtomically(path, "first").ok());
  CHECK(ReadFile(path) == "first");
  REQUIRE(pg::WriteFileAtomically(path, std::string(100000, 'x')).ok());
  CHECK(ReadFile(path) == std::string(100000, 'x'));
  REQUIRE(pg::WriteFileAtomically(path, "").ok());
  CHECK(ReadFile(path).empty());
  CHECK_FALSE(fs::exists(dir / "config.json.tmp"));
}

TEST_CASE("A failed write leaves the old file and no temporary, naming the file", "[common]") {
  const fs::path dir = pg::testing::FreshTempDir("atomic_write_fails");
  const fs::path path = dir / "manifest.json";
  REQUIRE(pg::WriteFileAtomically(path, "old").ok());
  {
    FileSizeLimit limit(4096);
    const pg::Status s = pg::WriteFileAtomically(path, std::string(20000, 'n'));
    REQUIRE_FALSE(s.ok());
    CHECK(s.IsIOError());
    INFO(s.message());
    CHECK(s.message().rfind(path.string() + ": write to " + path.string() + ".tmp failed", 0) == 0);

    // The same through an AtomicFileWriter fed in pieces, and through a CsvWriter.
    auto writer = pg::AtomicFileWriter::Open(path);
    REQUIRE(writer.ok());
    const std::string piece(1000, 'p');
    pg::Status appended;
    for (int i = 0; i < 10 && appended.ok(); ++i) appended = writer->Append(piece.data(), 1000);
    CHECK(appended.IsIOError());
    CHECK(Contains(appended.message(), "manifest.json"));

    auto csv = pg::CsvWriter::Create(dir / "report.csv", {',', false, 512});
    REQUIRE(csv.ok());
    pg::Status row;
    for (int i = 0; i < 1000 && row.ok(); ++i) row = csv->WriteRow({piece});
    CHECK(row.IsIOError());
    CHECK(Contains(row.message(), "report.csv"));
    CHECK(csv->Commit().IsIOError());
  }
  CHECK(ReadFile(path) == "old");
  CHECK_FALSE(fs::exists(dir / "manifest.json.tmp"));
  CHECK_FALSE(fs::exists(dir / "report.csv"));
  CHECK_FALSE(fs::exists(dir / "report.csv.tmp"));
}

TEST_CASE("A failed rename or create leaves no temporary, naming the file", "[common]") {
  const fs::path dir = pg::testing::FreshTempDir("atomic_rename_fails");
  // The target is a folder that is not empty: rename(2) refuses to replace it.
  const fs::path path = dir / "graph.pgg";
  fs::create_directories(path / "inside");
  const pg::Status renamed = pg::WriteFileAtomically(path, "bytes");
  REQUIRE(renamed.IsIOError());
  INFO(renamed.message());
  CHECK(renamed.message().rfind(path.string() + ": cannot rename " + path.string() + ".tmp", 0) ==
        0);
  CHECK_FALSE(fs::exists(dir / "graph.pgg.tmp"));
  CHECK(fs::is_directory(path / "inside"));

  const pg::Status created = pg::WriteFileAtomically(dir / "no_such_dir" / "x.bin", "bytes");
  REQUIRE(created.IsIOError());
  CHECK(Contains(created.message(), "x.bin: cannot create"));

  // A writer destroyed before Commit() removes its temporary; the target is untouched.
  REQUIRE(pg::WriteFileAtomically(dir / "kept.bin", "kept").ok());
  {
    auto writer = pg::AtomicFileWriter::Open(dir / "kept.bin");
    REQUIRE(writer.ok());
    REQUIRE(writer->Append("new", 3).ok());
    CHECK(fs::exists(dir / "kept.bin.tmp"));
  }
  CHECK_FALSE(fs::exists(dir / "kept.bin.tmp"));
  CHECK(ReadFile(dir / "kept.bin") == "kept");
}

TEST_CASE("A file's checksum: every byte, or the CRC-32 it ends with", "[common]") {
  const fs::path dir = pg::testing::FreshTempDir("file_checksum");
  const std::string body = "the bytes of a model file";
  std::string file = body;
  const std::uint32_t crc = pg::Crc32(0, body.data(), body.size());
  file.append(reinterpret_cast<const char*>(&crc), 4);
  REQUIRE(pg::WriteFileAtomically(dir / "f.bin", file).ok());
  auto whole = pg::DigestFile(dir / "f.bin");
  REQUIRE(whole.ok());
  CHECK(whole->size == file.size());
  CHECK(whole->crc == pg::Crc32(0, file.data(), file.size()));
  auto recorded = pg::ReadTrailingCrc32(dir / "f.bin");
  REQUIRE(recorded.ok());
  CHECK(recorded->size == file.size());
  CHECK(recorded->crc == crc);
  // Why a manifest cannot use the whole-file CRC-32 to tell such files apart: it is the
  // same constant for all of them.
  CHECK(whole->crc == 0x2144DF1Cu);
  REQUIRE(pg::WriteFileAtomically(dir / "short.bin", "ab").ok());
  CHECK(pg::ReadTrailingCrc32(dir / "short.bin").status().IsCorruption());
  CHECK(pg::DigestFile(dir / "absent.bin").status().IsIOError());
}
