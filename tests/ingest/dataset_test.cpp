#include "partnergraph/ingest/dataset.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace partnergraph;

TEST_CASE("Every contact channel reads back from its own spelling", "[ingest]") {
  for (int i = 0; i < kContactChannelCount; ++i) {
    const auto channel = static_cast<ContactChannel>(i);
    INFO(std::string(ToString(channel)));
    CHECK(ParseContactChannel(ToString(channel)) == channel);
  }
  CHECK(ToString(ContactChannel::kCallCentre) == "call_centre");
  CHECK(ToString(ContactChannel::kAccountManager) == "account_manager");
  CHECK(static_cast<int>(ContactChannel::kAccountManager) == kContactChannelCount - 1);
}

TEST_CASE("\"phone\" is read as call_centre and never written", "[ingest]") {
  CHECK(ParseContactChannel("phone") == ContactChannel::kCallCentre);
  for (int i = 0; i < kContactChannelCount; ++i) {
    CHECK(ToString(static_cast<ContactChannel>(i)) != "phone");
  }
}

TEST_CASE("Unknown or differently cased channels are refused", "[ingest]") {
  CHECK_FALSE(ParseContactChannel("fax").has_value());
  CHECK_FALSE(ParseContactChannel("Phone").has_value());
  CHECK_FALSE(ParseContactChannel("call centre").has_value());
  CHECK_FALSE(ParseContactChannel("").has_value());
}
