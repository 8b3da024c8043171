// Fuzz target: whole calls through the server's processor (server/serving_processor.hpp over
// server/handler.hpp) against the fixture engine of tests/server/fixture_engine.hpp, reading
// and writing with the protocols configured as server/rpc_server.cpp configures them.
//
// Input: a selector byte (bit 0: compact instead of binary; bit 1: the handler with a keys file,
// where "fuzz-operator" is an operator's key and "fuzz-merchant" m_bakery's, instead of the
// loopback handler where every caller is an operator), then the bytes a connection sends: up
// to kMaxCalls messages are processed in turn, as a connection would (rpc_server.cpp's
// ConnectionProcessor: a Thrift exception closes the connection; anything else escapes and is a
// finding). Every reply the processor writes must decode as a reply to the call, or as a
// TApplicationException.
//
// Attribution jobs never run: their input root is an empty folder and their queue holds 0 jobs,
// so SubmitAttributionJob checks the request and refuses it (InvalidArgument or Unavailable).
// Seeds: every call as the C++ client writes it, in both protocols, for both handlers
// (make_seed_corpus.py runs this target with PG_FUZZ_WRITE_SEEDS).
#include <spdlog/spdlog.h>
#include <thrift/TApplicationException.h>
#include <thrift/transport/TBufferTransports.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fixture_engine.hpp"
#include "fuzz_support.hpp"
#include "handler.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "serving_processor.hpp"
#include "thrift_fuzz_common.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;
namespace at = apache::thrift;
namespace rpc = partnergraph::rpc;

namespace {

constexpr int kMaxCalls = 8;

struct Processors {
  std::shared_ptr<server::ServingProcessor> loopback;
  std::shared_ptr<server::ServingProcessor> keyed;
};

std::shared_ptr<server::ServingProcessor> MakeProcessor(std::shared_ptr<const Engine> engine,
                                                        std::optional<ApiKeys> keys) {
  server::AttributionJobsOptions jobs;
  jobs.workers = 1;
  jobs.max_queued = 0;
  jobs.input_root = ScratchDir() / "attribution-root";
  std::filesystem::create_directories(jobs.input_root);
  auto handler =
      std::make_shared<server::PartnerGraphHandler>(std::move(engine), std::move(keys), jobs);
  return std::make_shared<server::ServingProcessor>(handler);
}

const Processors& TheProcessors() {
  static const Processors processors = [] {
    spdlog::set_level(spdlog::level::off);  // the handler logs every call
    Result<std::shared_ptr<const Engine>> engine = testing::OpenFixtureEngine(ScratchDir());
    if (!engine.ok()) {
      std::fprintf(stderr, "thrift_processor_fuzz: %s\n", engine.status().ToString().c_str());
      std::abort();
    }
    const auto keys_path = ScratchDir() / "keys.tsv";
    {
      std::ofstream keys(keys_path, std::ios::trunc);
      keys << "# fuzz keys\n"
           << Sha256Hex("fuzz-operator") << "\toperator\tfuzz operator\n"
           << Sha256Hex("fuzz-merchant") << "\tmerchant:m_bakery\tfuzz merchant\n";
    }
    Result<ApiKeys> keys = ApiKeys::Load(keys_path);
    if (!keys.ok()) {
      std::fprintf(stderr, "thrift_processor_fuzz: %s\n", keys.status().ToString().c_str());
      std::abort();
    }
    return Processors{MakeProcessor(*engine, std::nullopt), MakeProcessor(*engine, *keys)};
  }();
  return processors;
}

// Reads the result struct of `name` (or a TApplicationException) from a reply; aborts when the
// reply does not decode.
void CheckReply(const std::string& reply, bool compact) {
  ThriftReader reader(reply, compact);
  auto* in = reader.protocol();
  try {
    std::string name;
    at::protocol::TMessageType type;
    std::int32_t seqid = 0;
    in->readMessageBegin(name, type, seqid);
    if (type == at::protocol::T_EXCEPTION) {
      at::TApplicationException e;
      e.read(in);
    } else if (type != at::protocol::T_REPLY) {
      throw at::TApplicationException("reply of type " + std::to_string(type));
    } else {
      const std::map<std::string, void (*)(at::protocol::TProtocol*)> results = {
          {"Health",
           [](auto* p) {
             rpc::PartnerGraph_Health_result r;
             r.read(p);
           }},
          {"Stats",
           [](auto* p) {
             rpc::PartnerGraph_Stats_result r;
             r.read(p);
           }},
          {"GetMerchant",
           [](auto* p) {
             rpc::PartnerGraph_GetMerchant_result r;
             r.read(p);
           }},
          {"ListMerchants",
           [](auto* p) {
             rpc::PartnerGraph_ListMerchants_result r;
             r.read(p);
           }},
          {"RecommendPartners",
           [](auto* p) {
             rpc::PartnerGraph_RecommendPartners_result r;
             r.read(p);
           }},
          {"RecommendCouponPairs",
           [](auto* p) {
             rpc::PartnerGraph_RecommendCouponPairs_result r;
             r.read(p);
           }},
          {"ExplainPair",
           [](auto* p) {
             rpc::PartnerGraph_ExplainPair_result r;
             r.read(p);
           }},
          {"OverlapReport",
           [](auto* p) {
             rpc::PartnerGraph_OverlapReport_result r;
             r.read(p);
           }},
          {"SubmitAttributionJob",
           [](auto* p) {
             rpc::PartnerGraph_SubmitAttributionJob_result r;
             r.read(p);
           }},
          {"JobStatus",
           [](auto* p) {
             rpc::PartnerGraph_JobStatus_result r;
             r.read(p);
           }},
          {"JobResult",
           [](auto* p) {
             rpc::PartnerGraph_JobResult_result r;
             r.read(p);
           }},
          {"RecordEvents",
           [](auto* p) {
             rpc::PartnerGraph_RecordEvents_result r;
             r.read(p);
           }},
          {"ReloadModel",
           [](auto* p) {
             rpc::PartnerGraph_ReloadModel_result r;
             r.read(p);
           }},
      };
      const auto result = results.find(name);
      if (result == results.end()) throw at::TApplicationException("reply to unknown " + name);
      result->second(in);
    }
    in->readMessageEnd();
  } catch (const at::TException& e) {
    std::fprintf(stderr,
                 "thrift_processor_fuzz: the server wrote a reply its client cannot "
                 "read: %s\n",
                 e.what());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* out = std::getenv("PG_FUZZ_WRITE_SEEDS")) {
    WriteCallSeeds(out, 0, /*args_too=*/false);
    // The same calls for the keyed handler, with a merchant's key and with an operator's.
    WriteCallSeeds(out, 2, false, "fuzz-merchant", "merchant_");
    WriteCallSeeds(out, 2, false, "fuzz-operator", "operator_");
  }
  (void)TheProcessors();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool compact = (data[0] & 1) != 0;
  const auto& processor = (data[0] & 2) != 0 ? TheProcessors().keyed : TheProcessors().loopback;
  std::vector<std::uint8_t> request;
  auto in_buffer = ReadBuffer(request, data + 1, size - 1);
  auto in = ServerProtocol(in_buffer, compact);
  for (int call = 0; call < kMaxCalls && in_buffer->available_read() > 0; ++call) {
    auto out_buffer = std::make_shared<at::transport::TMemoryBuffer>();
    auto out = ServerProtocol(out_buffer, compact);
    bool keep_open = false;
    try {
      keep_open = processor->process(in, out, nullptr);
    } catch (const at::TException&) {
      return 0;  // ConnectionProcessor closes the connection
    }
    const std::string reply = out_buffer->getBufferAsString();
    if (!reply.empty()) CheckReply(reply, compact);
    if (!keep_open) return 0;
  }
  return 0;
}
