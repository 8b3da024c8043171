// What thrift_request_fuzz.cpp and thrift_processor_fuzz.cpp share: the protocols configured as
// server/rpc_server.cpp configures them, and the seed calls.
#pragma once

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "PartnerGraph.h"

namespace partnergraph::fuzz {

// rpc_server.cpp: max_frame_bytes (1 MiB by default) bounds strings and containers.
inline constexpr int kMaxFrameBytes = 1 << 20;

inline std::shared_ptr<apache::thrift::TConfiguration> ServerConfiguration() {
  // A copy: the constant is declared in the class only (make_shared's reference would need its
  // definition).
  const int max_message = apache::thrift::TConfiguration::DEFAULT_MAX_MESSAGE_SIZE;
  return std::make_shared<apache::thrift::TConfiguration>(max_message, kMaxFrameBytes);
}

// A protocol of the server's configuration over `transport`.
inline std::shared_ptr<apache::thrift::protocol::TProtocol> ServerProtocol(
    std::shared_ptr<apache::thrift::transport::TTransport> transport, bool compact) {
  namespace tp = apache::thrift::protocol;
  if (compact) {
    return std::make_shared<tp::TCompactProtocol>(std::move(transport), kMaxFrameBytes,
                                                  kMaxFrameBytes);
  }
  return std::make_shared<tp::TBinaryProtocol>(std::move(transport), kMaxFrameBytes, kMaxFrameBytes,
                                               /*strict_read=*/true,
                                               /*strict_write=*/true);
}

// A TMemoryBuffer reading a private copy of `bytes`. The copy has one byte more than it
// shows, so that its address is never null: Thrift 0.17's TBufferBase::readAll computes
// rBase_ + len before comparing, which UBSan reports on an empty buffer's null base (a real
// server's transports always have a buffer).
inline std::shared_ptr<apache::thrift::transport::TMemoryBuffer> ReadBuffer(
    std::vector<std::uint8_t>& copy, const std::uint8_t* bytes, std::size_t size) {
  copy.assign(bytes, bytes + size);
  copy.push_back(0);
  return std::make_shared<apache::thrift::transport::TMemoryBuffer>(
      copy.data(), static_cast<std::uint32_t>(size),
      apache::thrift::transport::TMemoryBuffer::OBSERVE, ServerConfiguration());
}

// Reads from a private copy of `bytes` with the server's protocol configuration.
class ThriftReader {
 public:
  ThriftReader(const std::string& bytes, bool compact)
      : buffer_(
            ReadBuffer(copy_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())),
        protocol_(ServerProtocol(buffer_, compact)) {}
  apache::thrift::protocol::TProtocol* protocol() { return protocol_.get(); }

 private:
  std::vector<std::uint8_t> copy_;
  std::shared_ptr<apache::thrift::transport::TMemoryBuffer> buffer_;
  std::shared_ptr<apache::thrift::protocol::TProtocol> protocol_;
};

// The bytes `value.write` writes.
template <typename T>
std::string Encode(const T& value, bool compact) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  auto out = ServerProtocol(buffer, compact);
  value.write(out.get());
  return buffer->getBufferAsString();
}

// The bytes of a whole call message, as the generated client writes it.
template <typename Args>
std::string EncodeCall(const std::string& name, const Args& args, bool compact) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  auto out = ServerProtocol(buffer, compact);
  out->writeMessageBegin(name, apache::thrift::protocol::T_CALL, 7);
  args.write(out.get());
  out->writeMessageEnd();
  return buffer->getBufferAsString();
}

// Seed calls of every method with `api_key`, with datasets/tiny's ids (and the fixture
// engine's fault triggers).
struct SeedCall {
  std::string name;
  std::string binary;  // the whole message
  std::string compact;
  std::string args_binary;  // the arguments struct alone
  std::string args_compact;
};

// The service's methods in declaration order (thrift_request_fuzz.cpp's decoders 1..11).
inline const std::vector<std::string>& MethodNames() {
  static const std::vector<std::string> names = {"Health",
                                                 "Stats",
                                                 "GetMerchant",
                                                 "ListMerchants",
                                                 "RecommendPartners",
                                                 "RecommendCouponPairs",
                                                 "ExplainPair",
                                                 "OverlapReport",
                                                 "SubmitAttributionJob",
                                                 "JobStatus",
                                                 "JobResult"};
  return names;
}

inline std::vector<SeedCall> SeedCalls(const std::string& api_key) {
  namespace r = partnergraph::rpc;
  std::vector<SeedCall> calls;
  // The generated argument structs declare a copy constructor and setters that Thrift 0.17
  // does not define: fields are assigned directly, and the structs are never copied.
  auto add = [&calls, &api_key](const std::string& name, auto& args) {
    args.api_key = api_key;
    calls.push_back({name, EncodeCall(name, args, false), EncodeCall(name, args, true),
                     Encode(args, false), Encode(args, true)});
  };
  {
    r::PartnerGraph_Health_args a;
    add("Health", a);
  }
  {
    r::PartnerGraph_Stats_args a;
    add("Stats", a);
  }
  for (const char* id : {"m_bakery", "fault:internal", "nope"}) {
    r::PartnerGraph_GetMerchant_args a;
    a.merchant_id = id;
    add("GetMerchant", a);
  }
  {
    r::PartnerGraph_ListMerchants_args a;
    a.request.__set_page_size(2);
    a.request.__set_category("bakery");
    a.request.__set_region("north");
    add("ListMerchants", a);
    a.request.__set_page_token("stale");
    add("ListMerchants", a);
  }
  {
    r::PartnerGraph_RecommendPartners_args a;
    a.request.__set_merchant_id("m_bakery");
    a.request.__set_k(3);
    add("RecommendPartners", a);
    r::PartnerFilters f;
    f.__set_include_existing_partners(true);
    f.__set_regions({"north"});
    f.__set_categories({"florist", "wine"});
    f.__set_exclude_categories({"hardware"});
    f.__set_tiers({"gold"});
    f.__set_long_tail_boost(0.5);
    f.__set_candidates(50);
    a.request.__set_filters(f);
    add("RecommendPartners", a);
  }
  {
    r::PartnerGraph_RecommendCouponPairs_args a;
    a.request.__set_merchant_id("m_bakery");
    a.request.__set_k(5);
    add("RecommendCouponPairs", a);
    r::PartnerGraph_RecommendCouponPairs_args b;
    b.request.__set_sku_id("s_bread");
    r::CouponFilters f;
    f.__set_min_price(1.0);
    f.__set_max_price(50.0);
    f.__set_categories({"flowers"});
    b.request.__set_filters(f);
    add("RecommendCouponPairs", b);
  }
  {
    r::PartnerGraph_ExplainPair_args a;
    a.request.__set_merchant_id("m_bakery");
    a.request.__set_other_merchant_id("m_florist");
    add("ExplainPair", a);
  }
  {
    r::PartnerGraph_OverlapReport_args a;
    a.request.__set_merchant_id("m_bakery");
    a.request.__set_other_merchant_id("m_florist");
    add("OverlapReport", a);
  }
  {
    r::PartnerGraph_SubmitAttributionJob_args a;
    a.request.__set_journeys_path("paths.csv");
    a.request.__set_model("markov");
    a.request.__set_order(2);
    a.request.__set_known_channels({"email", "web"});
    add("SubmitAttributionJob", a);
  }
  {
    r::PartnerGraph_JobStatus_args a;
    a.job_id = "attr-1";
    add("JobStatus", a);
  }
  {
    r::PartnerGraph_JobResult_args a;
    a.request.__set_job_id("attr-1");
    a.request.__set_offset(0);
    a.request.__set_page_size(10);
    add("JobResult", a);
  }
  return calls;
}

// Writes each seed call (SeedCalls(api_key)) to `dir` as "<prefix>call_<n>_<name>_<protocol>",
// behind the selector byte `call_selector` (| 1 for compact). With `args_too`, also each
// arguments struct alone as "<prefix>args_<n>_<name>_<protocol>", behind the selector of its
// decoder in thrift_request_fuzz.cpp ((1 + method index) << 1, | 1 for compact).
inline void WriteCallSeeds(const std::filesystem::path& dir, std::uint8_t call_selector,
                           bool args_too, const std::string& api_key = "",
                           const std::string& prefix = "") {
  auto write = [&](const std::string& file, std::uint8_t selector, const std::string& bytes) {
    std::ofstream out(dir / (prefix + file), std::ios::binary | std::ios::trunc);
    out.put(static_cast<char>(selector));
    out << bytes;
  };
  int n = 0;
  for (const SeedCall& call : SeedCalls(api_key)) {
    const std::string stem = std::to_string(n) + "_" + call.name;
    write("call_" + stem + "_binary", call_selector, call.binary);
    write("call_" + stem + "_compact", call_selector | 1, call.compact);
    if (args_too) {
      std::uint8_t method = 0;
      while (MethodNames()[method] != call.name) ++method;
      const auto selector = static_cast<std::uint8_t>((1 + method) << 1);
      write("args_" + stem + "_binary", selector, call.args_binary);
      write("args_" + stem + "_compact", selector | 1, call.args_compact);
    }
    ++n;
  }
}

}  // namespace partnergraph::fuzz
