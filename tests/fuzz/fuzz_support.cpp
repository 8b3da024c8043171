#include "fuzz_support.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

namespace partnergraph::fuzz {
namespace {

void PutU32(std::string& bytes, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t GetU32(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

std::uint64_t GetU64(const std::string& bytes, std::size_t at) {
  return GetU32(bytes, at) | (std::uint64_t{GetU32(bytes, at + 4)} << 32);
}

// Removes the scratch folder at exit (libFuzzer leaves through exit() after -max_total_time).
struct ScratchFolder {
  std::filesystem::path path;
  ~ScratchFolder() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// Scratch folders are "pg-fuzz-<pid>-XXXXXX".
constexpr std::string_view kScratchPrefix = "pg-fuzz-";

// Removes the scratch folders of processes that are gone: a crash, an out-of-memory stop or a
// timeout ends a target without running destructors, and -fork runs many processes.
void RemoveStaleScratchFolders(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kScratchPrefix, 0) != 0) continue;
    const std::string pid = name.substr(
        kScratchPrefix.size(), name.find('-', kScratchPrefix.size()) - kScratchPrefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::filesystem::exists("/proc/" + pid, ec)) continue;
    std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace

const std::filesystem::path& ScratchDir() {
  static const ScratchFolder folder = [] {
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    RemoveStaleScratchFolders(base);
    std::string tmpl =
        (base / (std::string(kScratchPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    return ScratchFolder{tmpl};
  }();
  return folder.path;
}

std::filesystem::path WriteScratchFile(const std::string& name, std::string_view bytes) {
  std::filesystem::path path = ScratchDir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

std::uint32_t Crc32(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib counts in uInt: fuzz inputs are far below 4 GB.
  crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
  return static_cast<std::uint32_t>(crc);
}

void FixTrailingChecksum(std::string& bytes) {
  if (bytes.size() < 4) return;
  PutU32(bytes, bytes.size() - 4, Crc32(std::string_view(bytes).substr(0, bytes.size() - 4)));
}

// binary_container.hpp: 48-byte fixed header (u32 section count at 12), n entries of 56 bytes
// (32-byte name, u32 element size, u32 CRC at +36, u64 offset at +40, u64 length at +48), the
// header CRC, the sections, the file CRC.
constexpr std::size_t kFixed = 48, kEntry = 56, kMaxSections = 256;

void FixContainerChecksums(std::string& bytes) {
  if (bytes.size() < kFixed + 8) return;
  const std::uint64_t n = GetU32(bytes, 12);
  const std::uint64_t table_end = kFixed + kEntry * n;  // where the header CRC sits
  if (n > kMaxSections || table_end + 4 + 4 > bytes.size()) return;
  const std::uint64_t body_end = bytes.size() - 4;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t e = kFixed + kEntry * i;
    const std::uint64_t offset = GetU64(bytes, e + 40), length = GetU64(bytes, e + 48);
    if (offset <= body_end && length <= body_end - offset) {
      PutU32(bytes, e + 36, Crc32(std::string_view(bytes).substr(offset, length)));
    }
  }
  PutU32(bytes, table_end, Crc32(std::string_view(bytes).substr(0, table_end)));
  FixTrailingChecksum(bytes);
}

std::optional<std::pair<std::size_t, std::size_t>> FindContainerSection(const std::string& bytes,
                                                                        std::string_view name) {
  if (bytes.size() < kFixed + 8) return std::nullopt;
  const std::uint64_t n = GetU32(bytes, 12);
  if (n > kMaxSections || kFixed + kEntry * n + 8 > bytes.size()) return std::nullopt;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t e = kFixed + kEntry * i;
    const std::string_view field(bytes.data() + e, 32);
    if (field.substr(0, field.find('\0')) != name) continue;
    const std::uint64_t offset = GetU64(bytes, e + 40), length = GetU64(bytes, e + 48);
    if (offset > bytes.size() || length > bytes.size() - offset) return std::nullopt;
    return std::make_pair(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  }
  return std::nullopt;
}

void FixManifestChecksum(std::string& text) {
  static constexpr std::string_view kPattern = "\"manifest_crc32\": \"";
  const std::size_t at = text.find(kPattern);
  if (at == std::string::npos || text.find(kPattern, at + 1) != std::string::npos ||
      at + kPattern.size() + 8 > text.size()) {
    return;
  }
  const std::size_t digits = at + kPattern.size();
  text.replace(digits, 8, "00000000");
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", Crc32(text));
  text.replace(digits, 8, hex);
}

}  // namespace partnergraph::fuzz
