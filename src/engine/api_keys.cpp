#include "partnergraph/engine/api_keys.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace partnergraph {
namespace {

std::string ToHex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xF]);
  }
  return out;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

}  // namespace

Status Principal::CheckMerchantAccess(std::string_view id) const {
  if (is_operator() || id == merchant_id) return Status::Ok();
  return Status::PermissionDenied("key '" + name + "' (" + RoleString() +
                                  ") may only ask about its own merchant");
}

Status Principal::CheckOperator() const {
  if (is_operator()) return Status::Ok();
  return Status::PermissionDenied("key '" + name + "' (" + RoleString() +
                                  ") is not an operator key");
}

std::string Principal::RoleString() const {
  return is_operator() ? "operator" : "merchant:" + merchant_id;
}

Result<Principal> ParseRole(std::string_view role) {
  Principal p;
  if (role == "operator") {
    p.role = Principal::Role::kOperator;
    return p;
  }
  constexpr std::string_view kPrefix = "merchant:";
  if (role.substr(0, kPrefix.size()) == kPrefix && role.size() > kPrefix.size()) {
    p.role = Principal::Role::kMerchant;
    p.merchant_id = std::string(role.substr(kPrefix.size()));
    return p;
  }
  return Status::InvalidArgument("role \"" + std::string(role) +
                                 "\" is neither \"operator\" nor \"merchant:<merchant_id>\"");
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return ToHex(digest.data(), len);
}

Result<ApiKeys> ApiKeys::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read keys file " + path.string());
  ApiKeys keys;
  std::string line;
  std::size_t line_no = 0;
  const std::string file = path.filename().string();
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto where = [&] { return fmt::format("{}:{}: ", file, line_no); };
    auto fields = SplitTabs(line);
    if (fields.size() < 2 || fields.size() > 3) {
      return Status::InvalidArgument(
          fmt::format("{}expected <sha256>\\t<role>\\t<name>, found {} tab-separated fields",
                      where(), fields.size()));
    }
    if (!IsLowerHex64(fields[0])) {
      return Status::InvalidArgument(where() + "field key_sha256 is not 64 lowercase hex digits");
    }
    auto principal = ParseRole(fields[1]);
    if (!principal.ok()) return principal.status().WithContext(where() + "field role");
    principal->name = fields.size() == 3 ? std::string(fields[2]) : "line " + std::to_string(line_no);
    if (!keys.by_hash_.emplace(std::string(fields[0]), std::move(*principal)).second) {
      return Status::InvalidArgument(where() + "this key hash is listed twice");
    }
  }
  return keys;
}

Result<Principal> ApiKeys::Authenticate(std::string_view key) const {
  PG_ASSIGN_OR_RETURN(const Principal* principal, Find(key));
  return *principal;
}

Result<const Principal*> ApiKeys::Find(std::string_view key) const {
  if (key.empty()) return Status::PermissionDenied("missing API key");
  auto it = by_hash_.find(Sha256Hex(key));
  if (it == by_hash_.end()) return Status::PermissionDenied("unknown API key");
  return &it->second;
}

Result<std::string> ApiKeys::AddKey(const std::filesystem::path& path, std::string_view role,
                                    std::string_view name) {
  PG_ASSIGN_OR_RETURN(Principal principal, ParseRole(role));
  (void)principal;
  if (name.find_first_of("\t\r\n") != std::string_view::npos) {
    return Status::InvalidArgument("key name must not contain tabs or line breaks");
  }
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return Status::Internal("the OS random generator failed");
  }
  std::string key = "pg_" + ToHex(random.data(), random.size());
  std::string line = Sha256Hex(key) + "\t" + std::string(role) + "\t" + std::string(name) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open keys file " + path.string() + " for appending");
  ssize_t written = ::write(fd, line.data(), line.size());
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size()) || !synced) {
    return Status::IOError("cannot append to keys file " + path.string());
  }
  return key;
}

}  // namespace partnergraph
