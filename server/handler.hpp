// PartnerGraphHandler: the service of server/partnergraph.thrift over one Engine.
//
// Every call: authenticate the key (or, without a keys file, treat the caller as an operator),
// check the request's documented ranges (the message names the field), check the principal may
// ask about the merchant, call the Engine, convert its views to the wire structs. Errors leave as
// typed exceptions through ThrowAsThrift (status_mapping.hpp), the only place that decides which.
//
// Thread safety: one instance serves every connection; all methods may run concurrently. The
// Engine and ApiKeys are immutable; the counters are atomics; AttributionJobs is thread-safe and
// runs the batch attribution jobs on its own threads.
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
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/engine/engine.hpp"

namespace partnergraph::server {

class PartnerGraphHandler final : public rpc::PartnerGraphIf {
 public:
  // `engine` must not be null. Without `keys` every caller is an operator: only for a server
  // bound to loopback (server_cli.cpp enforces that). `jobs` must be valid
  // (ValidateAttributionJobsOptions); its workers start here and stop with the handler.
  PartnerGraphHandler(std::shared_ptr<const Engine> engine, std::optional<ApiKeys> keys,
                      AttributionJobsOptions jobs = {});

  // From now on Health reports "draining". Calls keep being answered.
  void BeginDrain() { draining_.store(true, std::memory_order_relaxed); }

  std::int64_t requests_served() const { return served_.load(std::memory_order_relaxed); }
  std::int64_t requests_failed() const { return failed_.load(std::memory_order_relaxed); }

  void Health(rpc::HealthResponse& out, const std::string& api_key) override;
  void Stats(rpc::StatsResponse& out, const std::string& api_key) override;
  void GetMerchant(rpc::Merchant& out, const std::string& api_key,
                   const std::string& merchant_id) override;
  void ListMerchants(rpc::ListMerchantsResponse& out, const std::string& api_key,
                     const rpc::ListMerchantsRequest& request) override;
  void RecommendPartners(rpc::RecommendPartnersResponse& out, const std::string& api_key,
                         const rpc::RecommendPartnersRequest& request) override;
  // RecommendPartners for the reply writer (ServingProcessor): the same checks, counting,
  // logging and typed exceptions, but the answer (precomputed or live) is borrowed from the
  // Engine into *out (Engine::BorrowPartners) instead of copied into wire structs.
  void RecommendPartnersBorrowed(const std::string& api_key,
                                 const rpc::RecommendPartnersRequest& request,
                                 BorrowedPartnerAnswer* out);
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

 private:
  // The caller's principal; PermissionDenied for a missing or unknown key. Points into keys_
  // (or at loopback_), valid while the handler lives.
  Result<const Principal*> Authenticate(const std::string& api_key) const;
  // The request's documented ranges and the principal's access to its merchant; the filters
  // as the Engine takes them.
  Result<PartnerFiltersView> CheckPartnersRequest(const Principal& principal,
                                                  const rpc::RecommendPartnersRequest& request) const;
  // Runs `body(principal)` for call `call`: authentication, counting, logging, and the mapping of
  // a non-OK Status (or an escaped std::exception) to the call's declared exceptions.
  template <typename Body>
  void Serve(std::string_view call, std::uint8_t declared, const std::string& api_key,
             Body&& body);

  std::shared_ptr<const Engine> engine_;
  std::optional<ApiKeys> keys_;
  Principal loopback_;  // every caller, when there is no keys file
  std::string model_description_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> draining_{false};
  std::atomic<std::int64_t> served_{0};
  std::atomic<std::int64_t> failed_{0};
  std::unique_ptr<AttributionJobs> jobs_;
};

}  // namespace partnergraph::server
