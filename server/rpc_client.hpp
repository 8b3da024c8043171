// RpcClient: a C++ client of the PartnerGraph Thrift service whose interface shows no Thrift type
// (STYLE.md: only server/ includes Thrift-generated code). The CLI (`partnergraph query`),
// `partnergraph events append|tail`, bench/load_generator and the tests use it.
//
// Answers come back as the Engine's view structs (engine_views.hpp; the client does not link the
// engine). Errors are Status values:
//   the server's typed exceptions -> NotFound, InvalidArgument, PermissionDenied, Unavailable,
//                                    with the server's message;
//   no connection, a broken one, a timeout -> IOError naming host:port (the client is then
//                                    closed: every later call returns IOError; Connect again);
//   a reply that does not parse, or a Thrift application error -> Internal.
//
// The first Connect() silences Thrift's own messages on stderr (its GlobalOutput) for the
// process: every failure is reported through the returned Status instead.
//
// Thread safety: one RpcClient is one connection; use it from one thread at a time. Connect()
// may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/engine_views.hpp"
#include "partnergraph/events/event.hpp"

namespace partnergraph::client {

enum class RpcProtocol { kBinary, kCompact };

struct RpcClientOptions {
  std::string host = "127.0.0.1";
  int port = 9090;
  // Sent with every call; ignored by a server started without a keys file.
  std::string api_key;
  // Must match the server's --protocol.
  RpcProtocol protocol = RpcProtocol::kBinary;
  int connect_timeout_ms = 3000;
  // Time allowed for one call's reply.
  int call_timeout_ms = 30000;
  // Largest reply frame accepted.
  int max_frame_bytes = 64 << 20;
};

struct HealthInfo {
  std::string status;  // "ok" or "draining"
  std::string version;
  std::int64_t uptime_seconds = 0;
  std::string model;
  std::string caller_role;  // "operator" or "merchant:<id>"
  // Set when the server keeps an event log (--events): the last event sequence applied to the
  // answers, and the log's last durable sequence (docs/events.md).
  std::optional<std::int64_t> event_sequence;
  std::optional<std::int64_t> event_log_sequence;
  std::optional<std::int64_t> model_event_sequence;  // the last event the model includes
};

// ReloadModel's answer (partnergraph.thrift ReloadModelResponse).
struct ReloadInfo {
  std::string model;
  std::int64_t model_event_sequence = 0;
  std::int64_t events_replayed = 0;
  double open_seconds = 0;
  double swap_seconds = 0;
};

// RecordEvents' answer (partnergraph.thrift RecordEventsResponse).
struct RecordEventsResult {
  // Per event of the batch, in its order: the event's log sequence (for a duplicate, the
  // sequence of its first recording) and whether its id had been recorded before.
  std::vector<std::int64_t> sequences;
  std::vector<bool> duplicate;
  std::int64_t new_events = 0;     // events recorded by this call
  std::int64_t last_sequence = 0;  // the log's last sequence once the batch was durable
};

struct ServerStats {
  EngineStats engine;  // model_dir and built_at are not sent (Health has them)
  std::int64_t requests_served = 0;
  std::int64_t requests_failed = 0;
};

struct ListMerchantsQuery {
  std::optional<std::string> page_token;
  std::optional<int> page_size;  // unset: the server's default (100)
  std::optional<std::string> category;
  std::optional<std::string> region;
};

// SubmitAttributionJob's request (partnergraph.thrift AttributionJobRequest): unset fields are
// not sent (the server's defaults apply).
struct AttributionJobQuery {
  std::optional<std::string> journeys_path;  // a file on the server
  std::optional<std::string> data_dir;       // a dataset folder on the server
  std::string model;
  std::optional<int> order;
  std::optional<double> half_life_seconds;
  std::optional<double> half_life_touches;
  std::optional<double> position_first_share;
  std::optional<double> position_last_share;
  std::optional<int> shapley_max_exact_channels;
  std::optional<std::int64_t> shapley_samples;
  std::optional<std::int64_t> shapley_seed;
  std::optional<std::int64_t> lookback_seconds;
  std::vector<std::string> known_channels;  // empty: not sent
};

struct AttributionJobStatusInfo {
  std::string job_id;
  std::string state;  // "queued", "running", "succeeded", "failed"
  double progress = 0.0;
  std::string error;                // failed only
  std::int64_t queue_position = 0;  // queued only
};

struct AttributionCreditInfo {
  std::string key;
  double conversions = 0.0;
  double value = 0.0;
  std::optional<double> removal_effect;  // Markov
  std::optional<double> value_removal_effect;
  std::optional<double> conversions_error_bound;  // sampled Shapley
  std::optional<double> value_error_bound;
};

struct SkuAttributionCreditInfo {
  std::string sku_id;
  std::string dimension;  // "channel" or "partner"
  std::string key;
  double conversions = 0.0;
  double value = 0.0;
  std::optional<double> removal_effect;  // Markov
};

// One transition of a Markov job's chain (partnergraph.thrift MarkovTransition).
struct MarkovTransitionInfo {
  std::string from;  // "(start)", "email > search", ...
  std::string to;    // a state, "(conversion)" or "(null)"
  double count = 0.0;
  double probability = 0.0;
};

// One page of JobResult (partnergraph.thrift AttributionJobResultResponse).
struct AttributionJobResultPage {
  std::string job_id;
  std::string model;
  int order = 0;
  double journeys = 0.0;
  double conversions = 0.0;
  double value = 0.0;
  double nulls = 0.0;
  std::vector<AttributionCreditInfo> channels;
  std::vector<AttributionCreditInfo> partners;
  std::vector<SkuAttributionCreditInfo> sku_credits;
  std::int64_t sku_credits_total = 0;
  std::optional<std::int64_t> next_offset;  // unset on the last page
  std::optional<bool> shapley_exact;
  std::vector<MarkovTransitionInfo> markov_transitions;  // Markov only (else empty)
};

class RpcClient {
 public:
  // Opens one connection. IOError "cannot connect to host:port: reason" when it cannot.
  static Result<std::unique_ptr<RpcClient>> Connect(const RpcClientOptions& options);
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // The key sent with the following calls.
  void set_api_key(std::string api_key);
  const RpcClientOptions& options() const;

  Result<HealthInfo> Health();
  Result<ServerStats> Stats();
  Result<MerchantView> GetMerchant(const std::string& merchant_id);
  Result<MerchantPage> ListMerchants(const ListMerchantsQuery& query);
  // k unset: the server's default (10). Only non-default filter fields are sent.
  Result<PartnerAnswer> RecommendPartners(const std::string& merchant_id, std::optional<int> k,
                                          const PartnerFiltersView& filters = {});
  // Sends the ids that are set (the server wants exactly one).
  Result<CouponAnswer> RecommendCouponPairs(const std::optional<std::string>& sku_id,
                                            const std::optional<std::string>& merchant_id,
                                            std::optional<int> k,
                                            const CouponFiltersView& filters = {});
  Result<PairExplanationView> ExplainPair(const std::string& merchant_id,
                                          const std::string& other_merchant_id);
  Result<OverlapReportView> OverlapReport(const std::string& merchant_id,
                                          const std::string& other_merchant_id);
  // Operator only. The new job's id.
  Result<std::string> SubmitAttributionJob(const AttributionJobQuery& query);
  Result<AttributionJobStatusInfo> JobStatus(const std::string& job_id);
  // offset / page_size unset: the server's defaults (0 / 1000).
  Result<AttributionJobResultPage> JobResult(const std::string& job_id,
                                             std::optional<std::int64_t> offset = std::nullopt,
                                             std::optional<int> page_size = std::nullopt);
  // Records `batch` durably (docs/events.md "Serving"): times are sent as ISO-8601 UTC, enums
  // as their CSV words. The server takes 1..10,000 events per call and refuses a batch whole:
  // InvalidArgument or PermissionDenied naming "events[i].<kind>.<field>" (i: the index in
  // `batch`), Unavailable when it runs without --events. InvalidArgument before sending when a
  // count does not fit the wire's i32 (order_line.quantity, policy_change.k_min).
  Result<RecordEventsResult> RecordEvents(std::span<const Event> batch);
  Result<ReloadInfo> ReloadModel();

 private:
  struct Impl;
  explicit RpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnergraph::client
