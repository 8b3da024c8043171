#include <catch2/catch.hpp>

#include "partnergraph/common/dictionary.hpp"
#include "partnergraph/common/status.hpp"

using namespace partnergraph;

namespace {
Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value " + std::to_string(v) + " is not positive");
  return v;
}
Result<int> Doubled(int v) {
  PG_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}
}  // namespace

TEST_CASE("Status carries code and message", "[common]") {
  Status s = Status::NotFound("merchant m42");
  CHECK_FALSE(s.ok());
  CHECK(s.IsNotFound());
  CHECK(s.ToString() == "NotFound: merchant m42");
  CHECK(s.WithContext("orders.csv:3").message() == "orders.csv:3: merchant m42");
  CHECK(Status::Ok().ToString() == "OK");
}

TEST_CASE("Result propagates errors through PG_ASSIGN_OR_RETURN", "[common]") {
  auto good = Doubled(4);
  REQUIRE(good.ok());
  CHECK(*good == 8);
  auto bad = Doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message() == "value -1 is not positive");
}

TEST_CASE("Dictionary interns in insertion order", "[common]") {
  Dictionary d;
  CHECK(d.Add("b") == 0);
  CHECK(d.Add("a") == 1);
  CHECK(d.Add("b") == 0);
  CHECK(d.Find("a") == 1);
  CHECK(d.Find("zzz") == Dictionary::kNotFound);
  CHECK(d.Name(1) == "a");
  CHECK(d.size() == 2);
}
