#include "serving_processor.hpp"

#include <thrift/TApplicationException.h>
#include <thrift/TProcessor.h>

#include <utility>

namespace partnergraph::server {

namespace at = apache::thrift;
using at::protocol::TProtocol;
using at::protocol::TType;

namespace {

// Thrift's writeString takes a std::string: each thread copies the model's string_views into
// one buffer that keeps its capacity, so a reply allocates nothing once the buffer has grown.
void WriteString(TProtocol* out, std::string_view value) {
  thread_local std::string buffer;
  buffer.assign(value);
  out->writeString(buffer);
}

void WriteStringField(TProtocol* out, const char* name, std::int16_t id, std::string_view value) {
  out->writeFieldBegin(name, at::protocol::T_STRING, id);
  WriteString(out, value);
  out->writeFieldEnd();
}

void WriteDoubleField(TProtocol* out, const char* name, std::int16_t id, double value) {
  out->writeFieldBegin(name, at::protocol::T_DOUBLE, id);
  out->writeDouble(value);
  out->writeFieldEnd();
}

void WriteI64Field(TProtocol* out, const char* name, std::int16_t id, std::int64_t value) {
  out->writeFieldBegin(name, at::protocol::T_I64, id);
  out->writeI64(value);
  out->writeFieldEnd();
}

// The field order, ids and optional fields below follow server/partnergraph.thrift exactly (the
// generated write() of each struct); the byte-equality test catches any drift.
void WriteComponents(TProtocol* out, const ScoreComponentsView& c) {
  out->writeStructBegin("ScoreComponents");
  WriteDoubleField(out, "audience_similarity", 1, c.audience_similarity);
  WriteDoubleField(out, "category_complementarity", 2, c.category_complementarity);
  WriteDoubleField(out, "shared_reach", 3, c.shared_reach);
  WriteDoubleField(out, "competition_penalty", 4, c.competition_penalty);
  WriteDoubleField(out, "long_tail_boost", 5, c.long_tail_boost);
  out->writeFieldStop();
  out->writeStructEnd();
}

void WriteSegment(TProtocol* out, const SharedSegmentRef& s) {
  out->writeStructBegin("SharedSegment");
  WriteStringField(out, "segment_id", 1, s.segment_id);
  WriteStringField(out, "description", 2, s.description);
  if (s.count) WriteI64Field(out, "count", 3, *s.count);
  out->writeFieldBegin("suppressed", at::protocol::T_BOOL, 4);
  out->writeBool(!s.count.has_value());
  out->writeFieldEnd();
  out->writeFieldStop();
  out->writeStructEnd();
}

void WritePartner(TProtocol* out, const PartnerRef& p) {
  out->writeStructBegin("PartnerRecommendation");
  WriteStringField(out, "merchant_id", 1, p.merchant_id);
  WriteStringField(out, "name", 2, p.name);
  WriteStringField(out, "category", 3, p.category);
  WriteStringField(out, "region", 4, p.region);
  WriteDoubleField(out, "score", 5, p.score);
  out->writeFieldBegin("components", at::protocol::T_STRUCT, 6);
  WriteComponents(out, p.components);
  out->writeFieldEnd();
  out->writeFieldBegin("shared_segments", at::protocol::T_LIST, 7);
  out->writeListBegin(at::protocol::T_STRUCT, static_cast<std::uint32_t>(p.shared_segments.size()));
  for (const auto& s : p.shared_segments) WriteSegment(out, s);
  out->writeListEnd();
  out->writeFieldEnd();
  if (p.shared_customers) WriteI64Field(out, "shared_customers", 8, *p.shared_customers);
  out->writeFieldStop();
  out->writeStructEnd();
}

}  // namespace

std::uint32_t WritePartnersReply(TProtocol* out, std::int32_t seqid,
                                 const BorrowedPartnerAnswer& answer) {
  out->writeMessageBegin("RecommendPartners", at::protocol::T_REPLY, seqid);
  out->writeStructBegin("PartnerGraph_RecommendPartners_result");
  out->writeFieldBegin("success", at::protocol::T_STRUCT, 0);
  out->writeStructBegin("RecommendPartnersResponse");
  out->writeFieldBegin("partners", at::protocol::T_LIST, 1);
  out->writeListBegin(at::protocol::T_STRUCT, static_cast<std::uint32_t>(answer.partners.size()));
  for (const auto& p : answer.partners) WritePartner(out, p);
  out->writeListEnd();
  out->writeFieldEnd();
  out->writeFieldBegin("precomputed", at::protocol::T_BOOL, 2);
  out->writeBool(answer.precomputed);
  out->writeFieldEnd();
  if (answer.event_sequence) {
    out->writeFieldBegin("event_sequence", at::protocol::T_I64, 3);
    out->writeI64(static_cast<std::int64_t>(*answer.event_sequence));
    out->writeFieldEnd();
  }
  out->writeFieldStop();
  out->writeStructEnd();
  out->writeFieldEnd();
  out->writeFieldStop();
  out->writeStructEnd();
  out->writeMessageEnd();
  const std::uint32_t bytes = out->getTransport()->writeEnd();
  out->getTransport()->flush();
  return bytes;
}

ServingProcessor::ServingProcessor(std::shared_ptr<PartnerGraphHandler> handler)
    : rpc::PartnerGraphProcessor(handler), handler_(std::move(handler)) {
  setEventHandler(std::make_shared<CallEvents>(handler_->counters()));
}

bool ServingProcessor::dispatchCall(TProtocol* in, TProtocol* out, const std::string& name,
                                    std::int32_t seqid, void* call_context) {
  if (name != "RecommendPartners") {
    return rpc::PartnerGraphProcessor::dispatchCall(in, out, name, seqid, call_context);
  }
  RecommendPartners(in, out, seqid, call_context);
  return true;
}

void ServingProcessor::RecommendPartners(TProtocol* in, TProtocol* out, std::int32_t seqid,
                                         void* call_context) {
  // The event handler's calls and the errors as the generated process_RecommendPartners makes
  // and writes them.
  static constexpr const char* kFunction = "PartnerGraph.RecommendPartners";
  at::TProcessorEventHandler* events = eventHandler_.get();
  void* ctx = events != nullptr ? events->getContext(kFunction, call_context) : nullptr;
  at::TProcessorContextFreer freer(events, ctx, kFunction);
  if (events != nullptr) events->preRead(ctx, kFunction);
  rpc::PartnerGraph_RecommendPartners_args args;
  args.read(in);
  in->readMessageEnd();
  std::uint32_t bytes = in->getTransport()->readEnd();
  if (events != nullptr) events->postRead(ctx, kFunction, bytes);

  thread_local BorrowedPartnerAnswer borrowed;
  // The Engine `borrowed` points into: kept until the reply is written (a model swap may
  // replace it meanwhile).
  std::shared_ptr<const Engine> engine;
  rpc::PartnerGraph_RecommendPartners_result result;
  bool answered = false;
  try {
    handler_->RecommendPartnersBorrowed(args.api_key, args.request, &borrowed, &engine);
    answered = true;
  } catch (rpc::NotFound& e) {
    result.not_found = std::move(e);
    result.__isset.not_found = true;
  } catch (rpc::InvalidArgument& e) {
    result.invalid = std::move(e);
    result.__isset.invalid = true;
  } catch (rpc::PermissionDenied& e) {
    result.denied = std::move(e);
    result.__isset.denied = true;
  } catch (rpc::Unavailable& e) {
    result.unavailable = std::move(e);
    result.__isset.unavailable = true;
  } catch (const std::exception& e) {
    if (events != nullptr) events->handlerError(ctx, kFunction);
    at::TApplicationException x(e.what());
    out->writeMessageBegin("RecommendPartners", at::protocol::T_EXCEPTION, seqid);
    x.write(out);
    out->writeMessageEnd();
    out->getTransport()->writeEnd();
    out->getTransport()->flush();
    return;
  }
  // Outside the try: a transport error while writing leaves the processor, as from the
  // generated one (the server then closes that connection).
  if (events != nullptr) events->preWrite(ctx, kFunction);
  if (answered) {
    bytes = WritePartnersReply(out, seqid, borrowed);
  } else {
    out->writeMessageBegin("RecommendPartners", at::protocol::T_REPLY, seqid);
    result.write(out);
    out->writeMessageEnd();
    bytes = out->getTransport()->writeEnd();
    out->getTransport()->flush();
  }
  if (events != nullptr) events->postWrite(ctx, kFunction, bytes);
}

}  // namespace partnergraph::server
