#include <catch2/catch.hpp>

#include <fstream>

#include "partnergraph/engine/api_keys.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

TEST_CASE("Sha256Hex matches the published test vector", "[engine]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("AddKey appends a hash that Authenticate accepts", "[engine]") {
  auto dir = testing::FreshTempDir("api_keys_add");
  auto file = dir / "keys.tsv";
  auto op = ApiKeys::AddKey(file, "operator", "ops");
  auto merchant = ApiKeys::AddKey(file, "merchant:m_bakery", "bakery app");
  REQUIRE(op.ok());
  REQUIRE(merchant.ok());
  CHECK(*op != *merchant);

  // The file holds hashes only, never the keys.
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find(*op) == std::string::npos);
  CHECK(text.find(Sha256Hex(*op)) != std::string::npos);

  auto keys = ApiKeys::Load(file);
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  auto who = keys->Authenticate(*merchant);
  REQUIRE(who.ok());
  CHECK_FALSE(who->is_operator());
  CHECK(who->merchant_id == "m_bakery");
  CHECK(who->name == "bakery app");
  CHECK(who->CheckMerchantAccess("m_bakery").ok());
  CHECK(who->CheckMerchantAccess("m_florist").IsPermissionDenied());
  CHECK(who->CheckOperator().IsPermissionDenied());
  auto boss = keys->Authenticate(*op);
  REQUIRE(boss.ok());
  CHECK(boss->CheckMerchantAccess("anything").ok());
}

TEST_CASE("Authenticate refuses missing and wrong keys", "[engine]") {
  auto dir = testing::FreshTempDir("api_keys_wrong");
  auto file = dir / "keys.tsv";
  REQUIRE(ApiKeys::AddKey(file, "operator", "ops").ok());
  auto keys = ApiKeys::Load(file);
  REQUIRE(keys.ok());
  CHECK(keys->Authenticate("").status().IsPermissionDenied());
  CHECK(keys->Authenticate("pg_not_a_key").status().IsPermissionDenied());
  CHECK(ApiKeys().Authenticate("anything").status().IsPermissionDenied());
}

TEST_CASE("A merchant's denial does not reveal whether another merchant exists", "[engine]") {
  auto p = ParseRole("merchant:m_bakery");
  REQUIRE(p.ok());
  auto exists = p->CheckMerchantAccess("m_florist");
  auto missing = p->CheckMerchantAccess("no_such_merchant");
  CHECK(exists.message() == missing.message());
}

TEST_CASE("Malformed keys files are refused with file:line", "[engine]") {
  auto dir = testing::FreshTempDir("api_keys_bad");
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "keys.tsv") << text;
    return ApiKeys::Load(dir / "keys.tsv");
  };
  const std::string hash(64, 'a');
  CHECK(write("# comment\n" + hash + "\toperator\tops\n").ok());
  auto short_hash = write("abc\toperator\tops\n");
  CHECK(short_hash.status().message() ==
        "keys.tsv:1: field key_sha256 is not 64 lowercase hex digits");
  auto bad_role = write("# c\n" + hash + "\tadmin\tops\n");
  CHECK(bad_role.status().message() ==
        "keys.tsv:2: field role: role \"admin\" is neither \"operator\" nor "
        "\"merchant:<merchant_id>\"");
  auto dup = write(hash + "\toperator\ta\n" + hash + "\toperator\tb\n");
  CHECK(dup.status().message() == "keys.tsv:2: this key hash is listed twice");
  auto one_field = write(hash + "\n");
  CHECK(one_field.status().IsInvalidArgument());
  CHECK(ApiKeys::Load(dir / "missing.tsv").status().IsIOError());
  CHECK(ApiKeys::AddKey(dir / "k2.tsv", "merchant:", "x").status().IsInvalidArgument());
}
