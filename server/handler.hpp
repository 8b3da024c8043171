// PartnerGraphHandler: the service of server/partnergraph.thrift over one Engine.
//
// A translator: every call authenticates the key (or, without a keys file, treats the caller as
// an operator), checks the principal's role and that it may ask about the merchant, converts the
// request to the Engine's views, calls the Engine (which checks the request's values: engine.hpp)
// and converts its answer to the wire structs. Errors leave as typed exceptions through
// ThrowAsThrift (status_mapping.hpp), the only place that decides which. Counting and logging
// are CallEvents' (call_events.hpp), the processor's event handler: each call tells it its
// caller and outcome.
//
// Thread safety: one instance serves every connection; all methods may run concurrently. Each
// call answers from the ServingModel's current Engine, taken once (a model swap never mixes two
// models in one answer). The Engine and ApiKeys are immutable; the counters are atomics; AttributionJobs is thread-safe and
// runs the batch attribution jobs on its own threads; the EventLog takes concurrent appends (group
// commit) and applies them to the Engine's LiveState, which answers read concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "PartnerGraph.h"
#include "attribution_jobs.hpp"
#include "call_events.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/live_state.hpp"
#include "partnergraph/events/event_log.hpp"
#include "serving_model.hpp"

namespace partnergraph::server {

class PartnerGraphHandler final : public rpc::PartnerGraphIf {
 public:
  // `engine` must not be null. Without `keys` every caller is an operator: only for a server
  // bound to loopback (server_cli.cpp enforces that). `jobs` must be valid
  // (ValidateAttributionJobsOptions); its workers start here and stop with the handler.
  // `events`: the event log RecordEvents writes to, opened with the Engine's LiveState as its
  // hooks and replayed (OpenServingEventLog); null: the server records no events.
  PartnerGraphHandler(std::shared_ptr<const Engine> engine, std::optional<ApiKeys> keys,
                      AttributionJobsOptions jobs = {}, std::shared_ptr<EventLog> events = nullptr);
  // The same over a ServingModel (not null), which ReloadModel swaps.
  PartnerGraphHandler(std::shared_ptr<ServingModel> model, std::optional<ApiKeys> keys,
                      AttributionJobsOptions jobs = {});

  // From now on Health reports "draining". Calls keep being answered.
  void BeginDrain() { draining_.store(true, std::memory_order_relaxed); }

  // The counters CallEvents keeps for this handler's calls (Stats answers them).
  const std::shared_ptr<CallCounters>& counters() const { return counters_; }
  std::int64_t requests_served() const { return counters_->served.load(std::memory_order_relaxed); }
  std::int64_t requests_failed() const { return counters_->failed.load(std::memory_order_relaxed); }

  void Health(rpc::HealthResponse& out, const std::string& api_key) override;
  void Stats(rpc::StatsResponse& out, const std::string& api_key) override;
  void GetMerchant(rpc::Merchant& out, const std::string& api_key,
                   const std::string& merchant_id) override;
  void ListMerchants(rpc::ListMerchantsResponse& out, const std::string& api_key,
                     const rpc::ListMerchantsRequest& request) override;
  // Not used: ServingProcessor answers RecommendPartners with RecommendPartnersBorrowed and its
  // own reply writer. Raises Unavailable (an internal fault, logged) if a processor without that
  // path calls it.
  void RecommendPartners(rpc::RecommendPartnersResponse& out, const std::string& api_key,
                         const rpc::RecommendPartnersRequest& request) override;
  // RecommendPartners as ServingProcessor answers it: the answer (precomputed or live) is
  // borrowed from the Engine into *out (Engine::BorrowPartners) and written out from there.
  // *engine holds the Engine *out borrows from: keep it until the answer is written.
  void RecommendPartnersBorrowed(const std::string& api_key,
                                 const rpc::RecommendPartnersRequest& request,
                                 BorrowedPartnerAnswer* out,
                                 std::shared_ptr<const Engine>* engine);
  void RecommendCouponPairs(rpc::RecommendCouponPairsResponse& out, const std::string& api_key,
                            const rpc::RecommendCouponPairsRequest& request) override;
  void ExplainPair(rpc::ExplainPairResponse& out, const std::string& api_key,
                   const rpc::ExplainPairRequest& request) override;
  void OverlapReport(rpc::OverlapReportResponse& out, const std::string& api_key,
                     const rpc::OverlapReportRequest& request) override;
  void SubmitAttributionJob(rpc::SubmitAttributionJobResponse& out, const std::string& api_key,
                            const rpc::AttributionJobRequest& request) override;
  void JobStatus(rpc::AttributionJobStatusResponse& out, const std::string& api_key,
                 const std::string& job_id) override;
  void JobResult(rpc::AttributionJobResultResponse& out, const std::string& api_key,
                 const rpc::AttributionJobResultRequest& request) override;
  // Validates the batch whole (event_wire.hpp, ValidateEventBatch, the caller's role), then
  // EventLog::Append: durable, checked against the model and applied before it returns.
  void RecordEvents(rpc::RecordEventsResponse& out, const std::string& api_key,
                    const rpc::RecordEventsRequest& request) override;
  // Operator only: ServingModel::Reload.
  void ReloadModel(rpc::ReloadModelResponse& out, const std::string& api_key) override;

  // The most events one RecordEvents call may carry (the IDL's limit).
  static constexpr std::size_t kMaxRecordEventsBatch = 10000;

 private:
  // The caller's principal; PermissionDenied for a missing or unknown key. Points into keys_
  // (or at loopback_), valid while the handler lives.
  Result<const Principal*> Authenticate(const std::string& api_key) const;
  // Answers one call: authenticates `api_key`, runs `body(principal)` (a Status), reports the
  // caller and outcome to the call's CallRecord, and raises a non-OK Status (or an escaped
  // std::exception, as an internal fault) as the typed exception of `declared`.
  template <typename Body>
  void Answer(std::uint8_t declared, const std::string& api_key, Body&& body);

  // The freshness every answer carries: the last event sequence applied before it was computed
  // (nullopt without an event log).
  std::optional<std::uint64_t> EventSequence(const Engine& engine) const;

  std::shared_ptr<ServingModel> model_;
  std::optional<ApiKeys> keys_;
  Principal loopback_;  // every caller, when there is no keys file
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> draining_{false};
  std::shared_ptr<CallCounters> counters_ = std::make_shared<CallCounters>();
  std::unique_ptr<AttributionJobs> jobs_;
};

}  // namespace partnergraph::server
