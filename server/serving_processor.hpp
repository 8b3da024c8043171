// ServingProcessor: the generated PartnerGraphProcessor with one fast path. A RecommendPartners
// answer, precomputed at build time or computed live, is written out straight from the model's
// strings (PartnerGraphHandler::RecommendPartnersBorrowed, Engine::BorrowPartners), without
// building the Engine's views and the wire structs first: on the 100k model these copies, their
// allocations and frees were about a third of the server's CPU per precomputed call
// (bench/RESULTS.md, "Serving"). Errors are written as the generated processor writes them; every
// other call takes the generated path. Every call, this one included, goes through CallEvents
// (call_events.hpp), the processor's event handler, which counts and logs it.
//
// WritePartnersReply writes the same bytes as the generated serialiser of the same answer, in
// both protocols (tests/server/serving_processor_test.cpp compares them), so a client cannot
// tell the two paths apart.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "PartnerGraph.h"
#include "call_events.hpp"
#include "handler.hpp"

namespace partnergraph::server {

class ServingProcessor final : public rpc::PartnerGraphProcessor {
 public:
  explicit ServingProcessor(std::shared_ptr<PartnerGraphHandler> handler);

 protected:
  bool dispatchCall(apache::thrift::protocol::TProtocol* in,
                    apache::thrift::protocol::TProtocol* out, const std::string& name,
                    std::int32_t seqid, void* call_context) override;

 private:
  // RecommendPartners as the generated process_RecommendPartners runs it (arguments read, event
  // handler called, typed errors written), but the answer borrowed and written by
  // WritePartnersReply.
  void RecommendPartners(apache::thrift::protocol::TProtocol* in,
                         apache::thrift::protocol::TProtocol* out, std::int32_t seqid,
                         void* call_context);

  std::shared_ptr<PartnerGraphHandler> handler_;
};

// Writes a whole RecommendPartners reply message (T_REPLY, success set) holding `answer`, and
// flushes it; returns the transport's writeEnd() (the bytes written, for the event handler).
std::uint32_t WritePartnersReply(apache::thrift::protocol::TProtocol* out, std::int32_t seqid,
                                 const BorrowedPartnerAnswer& answer);

}  // namespace partnergraph::server
