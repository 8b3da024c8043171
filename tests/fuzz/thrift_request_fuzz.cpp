// Fuzz target: decoding the Thrift structs of server/partnergraph.thrift (the C++ the build
// generates into build-fuzz/server/gen-cpp, target pg_rpc_thrift) with TBinaryProtocol and
// TCompactProtocol over a TMemoryBuffer, configured as the server configures them
// (rpc_server.cpp: strict binary reads, string and container limits at the 1 MiB frame limit,
// TConfiguration's default message size).
//
// Input: a selector byte (bit 0: compact instead of binary; the rest, modulo the number of
// types, the type), then the encoded bytes. The types are every call's argument struct (what
// the server reads), every request and response struct, every call's result struct (what the
// clients read), and a whole call message: readMessageBegin, then the arguments of the call it
// names. Decoding may only fail with a Thrift exception (the server closes the connection);
// anything else escapes and is a finding. A struct that decodes is written and decoded again:
// writing what that gave must give the same bytes.
// Seeds: every call as the C++ client writes it, in both protocols (make_seed_corpus.py runs
// this target with PG_FUZZ_WRITE_SEEDS), plus a few hand-made messages.
#include <thrift/TApplicationException.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "PartnerGraph.h"
#include "partnergraph_types.h"
#include "thrift_fuzz_common.hpp"

using namespace partnergraph::fuzz;
namespace rpc = partnergraph::rpc;

namespace {

// Decodes one T from `bytes`; on success re-encodes it and checks the fixpoint.
template <typename T>
void Decode(const std::string& bytes, bool compact) {
  T value;
  {
    ThriftReader reader(bytes, compact);
    try {
      value.read(reader.protocol());
    } catch (const apache::thrift::TException&) {
      return;  // the server closes the connection
    }
  }
  const std::string once = Encode(value, compact);
  T again;
  {
    ThriftReader reader(once, compact);
    again.read(reader.protocol());  // must not throw: it is what we wrote
  }
  if (Encode(again, compact) != once) {
    std::fprintf(stderr, "thrift fuzz: re-encoding a decoded struct is not a fixpoint\n");
    std::abort();
  }
}

// A whole call, as the generated processor reads it: the message header, the arguments of
// the call it names, the message end.
void DecodeCall(const std::string& bytes, bool compact) {
  ThriftReader reader(bytes, compact);
  auto* in = reader.protocol();
  try {
    std::string name;
    apache::thrift::protocol::TMessageType type;
    std::int32_t seqid = 0;
    in->readMessageBegin(name, type, seqid);
    const std::map<std::string, std::function<void()>> calls = {
        {"Health",
         [&] {
           rpc::PartnerGraph_Health_args a;
           a.read(in);
         }},
        {"Stats",
         [&] {
           rpc::PartnerGraph_Stats_args a;
           a.read(in);
         }},
        {"GetMerchant",
         [&] {
           rpc::PartnerGraph_GetMerchant_args a;
           a.read(in);
         }},
        {"ListMerchants",
         [&] {
           rpc::PartnerGraph_ListMerchants_args a;
           a.read(in);
         }},
        {"RecommendPartners",
         [&] {
           rpc::PartnerGraph_RecommendPartners_args a;
           a.read(in);
         }},
        {"RecommendCouponPairs",
         [&] {
           rpc::PartnerGraph_RecommendCouponPairs_args a;
           a.read(in);
         }},
        {"ExplainPair",
         [&] {
           rpc::PartnerGraph_ExplainPair_args a;
           a.read(in);
         }},
        {"OverlapReport",
         [&] {
           rpc::PartnerGraph_OverlapReport_args a;
           a.read(in);
         }},
        {"SubmitAttributionJob",
         [&] {
           rpc::PartnerGraph_SubmitAttributionJob_args a;
           a.read(in);
         }},
        {"JobStatus",
         [&] {
           rpc::PartnerGraph_JobStatus_args a;
           a.read(in);
         }},
        {"JobResult",
         [&] {
           rpc::PartnerGraph_JobResult_args a;
           a.read(in);
         }},
    };
    const auto call = calls.find(name);
    if (call == calls.end()) {
      in->skip(apache::thrift::protocol::T_STRUCT);
    } else {
      call->second();
    }
    in->readMessageEnd();
  } catch (const apache::thrift::TException&) {
  }
}

using Decoder = void (*)(const std::string&, bool);

const std::vector<Decoder>& Decoders() {
  static const std::vector<Decoder> decoders = {
      DecodeCall,
      // What the server reads.
      Decode<rpc::PartnerGraph_Health_args>,
      Decode<rpc::PartnerGraph_Stats_args>,
      Decode<rpc::PartnerGraph_GetMerchant_args>,
      Decode<rpc::PartnerGraph_ListMerchants_args>,
      Decode<rpc::PartnerGraph_RecommendPartners_args>,
      Decode<rpc::PartnerGraph_RecommendCouponPairs_args>,
      Decode<rpc::PartnerGraph_ExplainPair_args>,
      Decode<rpc::PartnerGraph_OverlapReport_args>,
      Decode<rpc::PartnerGraph_SubmitAttributionJob_args>,
      Decode<rpc::PartnerGraph_JobStatus_args>,
      Decode<rpc::PartnerGraph_JobResult_args>,
      Decode<rpc::ListMerchantsRequest>,
      Decode<rpc::PartnerFilters>,
      Decode<rpc::RecommendPartnersRequest>,
      Decode<rpc::CouponFilters>,
      Decode<rpc::RecommendCouponPairsRequest>,
      Decode<rpc::ExplainPairRequest>,
      Decode<rpc::OverlapReportRequest>,
      Decode<rpc::AttributionJobRequest>,
      Decode<rpc::AttributionJobResultRequest>,
      // What the clients read (server/rpc_client.cpp, the CLI's `query`).
      Decode<rpc::PartnerGraph_Health_result>,
      Decode<rpc::PartnerGraph_Stats_result>,
      Decode<rpc::PartnerGraph_GetMerchant_result>,
      Decode<rpc::PartnerGraph_ListMerchants_result>,
      Decode<rpc::PartnerGraph_RecommendPartners_result>,
      Decode<rpc::PartnerGraph_RecommendCouponPairs_result>,
      Decode<rpc::PartnerGraph_ExplainPair_result>,
      Decode<rpc::PartnerGraph_OverlapReport_result>,
      Decode<rpc::PartnerGraph_SubmitAttributionJob_result>,
      Decode<rpc::PartnerGraph_JobStatus_result>,
      Decode<rpc::PartnerGraph_JobResult_result>,
      Decode<apache::thrift::TApplicationException>,
  };
  return decoders;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* out = std::getenv("PG_FUZZ_WRITE_SEEDS"))
    WriteCallSeeds(out, 0, /*args_too=*/true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool compact = (data[0] & 1) != 0;
  const Decoder decode = Decoders()[(data[0] >> 1) % Decoders().size()];
  decode(std::string(reinterpret_cast<const char*>(data + 1), size - 1), compact);
  return 0;
}
