// ApiKeys: who is calling. Maps API keys to roles (SPEC.md "Serving").
//
// Keys file format (UTF-8 text, one key per line, '#' starts a comment line):
//   <sha256 of the key, 64 lowercase hex digits> <TAB> <role> <TAB> <name>
// role is `operator` or `merchant:<merchant_id>` (the merchant's external id).
// The file holds only hashes; a key itself is shown once, when created.
//
// Thread safety: an ApiKeys is immutable after Load(); Authenticate() may be
// called from any number of threads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct Principal {
  enum class Role { kOperator, kMerchant };
  Role role = Role::kMerchant;
  std::string merchant_id;  // external merchant id when role == kMerchant
  std::string name;         // the key's name, for logs

  bool is_operator() const { return role == Role::kOperator; }
  // Who the Engine's answers for this principal are computed for (docs/privacy.md).
  Audience audience() const { return is_operator() ? Audience::kOperator : Audience::kMerchant; }
  // OK when this principal may see merchant `merchant_id`'s own view: an operator
  // always; a merchant only for itself. The error never says whether another
  // merchant exists.
  Status CheckMerchantAccess(std::string_view merchant_id) const;
  // OK only for an operator.
  Status CheckOperator() const;
  // "operator" or "merchant:<id>".
  std::string RoleString() const;
};

// Parses a role string; InvalidArgument naming it when malformed.
Result<Principal> ParseRole(std::string_view role);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

class ApiKeys {
 public:
  // Reads a keys file. Errors name file:line: a malformed hash, an unknown role,
  // a missing field, a hash listed twice. IOError when it cannot be read.
  static Result<ApiKeys> Load(const std::filesystem::path& path);
  // An empty key set: every call is refused.
  ApiKeys() = default;

  // The principal owning `key`, or PermissionDenied ("unknown API key") for a
  // missing or wrong key. Compares hashes, never raw keys.
  Result<Principal> Authenticate(std::string_view key) const;
  // As Authenticate, without copying: the principal stays owned by this ApiKeys.
  Result<const Principal*> Find(std::string_view key) const;
  std::size_t size() const { return by_hash_.size(); }

  // Creates a random key (32 bytes from the OS, hex), appends its hash, role and
  // name to `path` (created with mode 0600 if missing) and returns the key.
  // InvalidArgument for a malformed role; IOError when the file cannot be written.
  static Result<std::string> AddKey(const std::filesystem::path& path, std::string_view role,
                                    std::string_view name);

 private:
  std::unordered_map<std::string, Principal> by_hash_;
};

}  // namespace partnergraph
