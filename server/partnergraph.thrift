/**
 * partnergraph service: partner and coupon-pairing recommendations over a
 * partner ecosystem (see ../../shared/SPEC.md "Serving").
 *
 * Every call carries an API key (first argument). Keys map to roles:
 *  - operator: may ask about every merchant;
 *  - merchant:<id>: may ask only about merchant <id>. Asking about any other
 *    merchant id raises PermissionDenied, with the same message whether or not
 *    that merchant exists.
 * A missing or wrong key raises PermissionDenied. Health needs a valid key of
 * any role. A server started without a keys file listens on loopback only and
 * treats every caller as an operator (the api_key argument is then ignored).
 *
 * Privacy (docs/privacy.md): counts about another merchant's customers are
 * aggregates, and a count below k_min (the stricter of the two merchants' k_min)
 * is suppressed: the field is unset and `suppressed` is true. It is never
 * rounded. A merchant key gets the merchant view: scores, score components,
 * the ranking, segments and coupon lifts are computed only from values it may
 * see (docs/privacy.md "The two views"), so no suppressed count and no other
 * merchant's customer count can be derived from any answer or combination of
 * answers. An operator key gets the exact view.
 *
 * Errors are typed exceptions; the connection stays open after one. A fault
 * inside the server (a damaged model part, a bug) is reported as Unavailable
 * and logged; when a call does not declare the exception its error would map
 * to, the closest declared one is raised (docs/serving.md lists the table).
 * Transport: framed; protocol: binary (default) or compact, as the server was
 * started. Request structs use optional fields so the API can grow without
 * breaking clients: a client that does not set a field gets the default.
 */
namespace cpp partnergraph.rpc
namespace py partnergraph_rpc
namespace js partnergraph

/** An id (merchant, SKU, segment) that the model does not hold. */
exception NotFound {
  1: string message
}

/** A request field out of range or malformed; the message names the field. */
exception InvalidArgument {
  1: string message
}

/** A missing or unknown API key, or a key asking outside its role. */
exception PermissionDenied {
  1: string message
}

/** The server cannot answer now (no model loaded, shutting down, overloaded, internal fault). */
exception Unavailable {
  1: string message
}

struct HealthResponse {
  /** "ok" when a model is loaded and serving; "draining" once a shutdown has begun. */
  1: string status
  2: string version
  3: i64 uptime_seconds
  /** The loaded model's folder and its build date. */
  4: string model
  /** The caller's role as the server sees it: "operator" or "merchant:<id>". */
  5: string caller_role
  /**
   * With an event log (--events): the last event sequence applied to the answers, and the
   * log's last durable sequence. Replay ends before the server listens, so they are equal
   * except for the moment between a batch's write and its application.
   */
  6: optional i64 event_sequence
  7: optional i64 event_log_sequence
  /** The last event the model itself includes (`partnergraph build --events`; 0: none). */
  8: optional i64 model_event_sequence
}

struct ReloadModelResponse {
  /** The model now served: its folder and build date, as Health's `model`. */
  1: string model
  /** The last event the new model includes, and the events replayed past it before the swap. */
  2: i64 model_event_sequence
  3: i64 events_replayed
  /** Seconds to open the new model, and to replay and swap (calls wait only in the last part). */
  4: double open_seconds
  5: double swap_seconds
}

struct StatsResponse {
  1: i64 merchants
  2: i64 skus
  3: i64 customers
  4: i64 segments
  5: i64 categories
  6: i64 order_lines
  /** Edge counts by type: sells, bought, reaches, partners, competes, co_purchased, consent. */
  7: map<string, i64> edges
  /** Calls answered since the server started: with a result / with a typed exception. */
  8: i64 requests_served
  9: i64 requests_failed
}

struct Merchant {
  1: string merchant_id
  2: string name
  3: string category
  4: string region
  5: i64 sku_count
  /** Whether this merchant takes part in partner discovery and coupon pairings. */
  6: bool discoverable
  7: bool allow_coupons
  /** Customers and revenue: only in the merchant's own view and for operators. */
  8: optional i64 customers
  9: optional double revenue
  /**
   * Reach: of `customers`, those the merchant may contact on at least one channel, and per
   * channel (email, newsletter, call_centre, sms, post, events, account_manager), under its
   * permission model and its customers' consent, live events included (docs/events.md). Like
   * `customers`, only in the merchant's own view and for operators.
   */
  10: optional i64 contactable
  11: optional map<string, i64> contactable_by_channel
}

struct ListMerchantsRequest {
  /**
   * Opaque cursor from the previous page's next_page_token; unset for the first page. It
   * continues only the listing (category and region filters, model) that issued it: another
   * listing's token, or "", raises InvalidArgument.
   */
  1: optional string page_token
  /** 1..1000, default 100. */
  2: optional i32 page_size = 100
  /** Only merchants of this category / region. */
  3: optional string category
  4: optional string region
}

struct ListMerchantsResponse {
  1: list<Merchant> merchants
  /** Unset on the last page. */
  2: optional string next_page_token
  3: i64 total
}

/** Filters of RecommendPartners; every field optional. */
struct PartnerFilters {
  /** Also return merchants that already partner with the merchant (default false). */
  1: optional bool include_existing_partners
  /** Only these regions / categories; exclude these categories. */
  2: optional list<string> regions
  3: optional list<string> categories
  4: optional list<string> exclude_categories
  /** Only candidates of these scorecard tiers. */
  5: optional list<string> tiers
  /** Weight of the long-tail boost in the score (default from the model config). */
  6: optional double long_tail_boost
  /** ANN candidates fetched before filtering (default from the model config, max 10000). */
  7: optional i32 candidates
}

struct RecommendPartnersRequest {
  1: string merchant_id
  /** 1..100, default 10. */
  2: optional i32 k = 10
  3: optional PartnerFilters filters
}

/**
 * The documented parts of a partner score (docs/recommendations.md). For a merchant key they are
 * the merchant view's (docs/privacy.md): shared_reach is 0 when the shared count is suppressed,
 * long_tail_boost is one fixed factor times the weight for every long-tail merchant.
 */
struct ScoreComponents {
  1: double audience_similarity
  2: double category_complementarity
  3: double shared_reach
  4: double competition_penalty
  5: double long_tail_boost
}

/** A customer segment both merchants reach, with the shared count. */
struct SharedSegment {
  1: string segment_id
  2: string description
  /** Unset when below k_min (then suppressed is true). */
  3: optional i64 count
  4: bool suppressed
}

struct PartnerRecommendation {
  1: string merchant_id
  2: string name
  3: string category
  4: string region
  5: double score
  6: ScoreComponents components
  /**
   * Up to 3 segments; counts follow the privacy rule above. A merchant key is shown only
   * segments whose count it may see (both merchants share overlaps, count >= k_min).
   */
  7: list<SharedSegment> shared_segments
  /** Shared customers of the pair; unset when below k_min. */
  8: optional i64 shared_customers
}

struct RecommendPartnersResponse {
  1: list<PartnerRecommendation> partners
  /** True when served from results precomputed at build time. */
  2: bool precomputed
  /** With an event log: the answer reflects every event up to this sequence (freshness). */
  3: optional i64 event_sequence
}

struct CouponFilters {
  /** Price band of the coupon SKU, in the dataset's currency. */
  1: optional double min_price
  2: optional double max_price
  /** Only coupon SKUs of these categories. */
  3: optional list<string> categories
}

/** Exactly one of sku_id and merchant_id. */
struct RecommendCouponPairsRequest {
  1: optional string sku_id
  2: optional string merchant_id
  /** 1..100, default 10. */
  3: optional i32 k = 10
  4: optional CouponFilters filters
}

/** Buy trigger_sku_id at its merchant, get a coupon for sku_id at merchant_id. */
struct CouponPair {
  1: string trigger_sku_id
  2: string sku_id
  3: string merchant_id
  4: double score
  /** Customers who bought both within the window; unset when below k_min. */
  5: optional i64 support
  /** Co-purchase lift; for a merchant key 0 when the support is suppressed (it would give it back). */
  6: double lift
  /**
   * Contactable customers of the trigger merchant who could receive the coupon: the trigger
   * merchant's own figure, always set. Coupon pairs are answered only to the trigger merchant
   * (by merchant_id) and to operators (by merchant_id or sku_id).
   */
  7: optional i64 reach
  8: double price
}

struct RecommendCouponPairsResponse {
  1: list<CouponPair> pairs
  2: bool precomputed
  /** As in RecommendPartnersResponse. */
  3: optional i64 event_sequence
}

struct ExplainPairRequest {
  1: string merchant_id
  2: string other_merchant_id
}

struct ExplainPairResponse {
  1: double score
  2: ScoreComponents components
  3: list<SharedSegment> shared_segments
  4: optional i64 shared_customers
  /**
   * Why the pair would not be recommended, if it would not (competitor, already a partner...).
   * Operators also see "blocked pair" and "opted out of discovery"; a merchant key asking about
   * such a merchant gets NotFound instead, as for an id that does not exist.
   */
  5: list<string> excluded_because
}

struct OverlapReportRequest {
  1: string merchant_id
  2: string other_merchant_id
}

struct OverlapReportResponse {
  /** Per segment; only when both merchants opted in to share overlaps. */
  1: list<SharedSegment> segments
  2: optional i64 shared_customers
  3: i32 k_min
}

/**
 * Batch attribution jobs (operator only; docs/serving.md "Attribution jobs", the models and
 * their options in docs/attribution.md). A job reads journeys from a file or a dataset folder
 * ON THE SERVER, runs on the server's background job workers (never on the threads answering
 * calls) and keeps its result in memory until it is among the oldest beyond the server's
 * retention (--attribution-keep); a forgotten or never issued job id raises NotFound.
 *
 * Exactly one of journeys_path (a path file "path;total_conversions;total_conversion_value;
 * total_null", or a binary journey file) and data_dir (a native dataset folder:
 * touchpoints.csv joined to orders.csv) must be set. With --attribution-root the input must lie
 * under that folder. The other fields are the model and its options; an unset field takes the
 * default of docs/attribution.md. InvalidArgument names the bad field.
 */
struct AttributionJobRequest {
  1: optional string journeys_path
  2: optional string data_dir
  /** first-touch, last-touch, linear, time-decay, position-based, markov or shapley. */
  3: string model
  /** Markov order 1..4 (default 1); ignored by the other models. */
  4: optional i32 order = 1
  /** Time-decay: half-life in seconds of touch age (native data; default 7 days). */
  5: optional double half_life_seconds
  /** Time-decay: half-life in touches (path files; with data_dir it decays by touches instead). */
  6: optional double half_life_touches
  /** Position-based: shares of the first and the last touch (default 0.4 / 0.4). */
  7: optional double position_first_share
  8: optional double position_last_share
  /** Shapley: exact up to this many channels (<= 24, default 20), else sampled orderings. */
  9: optional i32 shapley_max_exact_channels
  10: optional i64 shapley_samples
  11: optional i64 shapley_seed
  /** data_dir: touchpoints up to this many seconds before an order count (default 30 days). */
  12: optional i64 lookback_seconds
  /** journeys_path: when set, a row naming any other channel fails the job (naming the line). */
  13: optional list<string> known_channels
}

struct SubmitAttributionJobResponse {
  /** Pass to JobStatus / JobResult. */
  1: string job_id
}

enum AttributionJobState {
  QUEUED = 1,
  RUNNING = 2,
  SUCCEEDED = 3,
  FAILED = 4
}

struct AttributionJobStatusResponse {
  1: string job_id
  2: AttributionJobState state
  /** 0..1: bytes read, then paths attributed; 1 once SUCCEEDED or FAILED. */
  3: double progress
  /** FAILED only: what went wrong, naming the file, line and field. */
  4: optional string error
  /** QUEUED only: jobs ahead of this one. */
  5: optional i64 queue_position
}

/** One channel's (or partner's) credit over all SKUs. */
struct AttributionCredit {
  1: string key
  2: double conversions
  3: double value
  /** Markov only: the removal effects of the conversion and the value rewards. */
  4: optional double removal_effect
  5: optional double value_removal_effect
  /** Sampled Shapley only: the stated error bounds. */
  6: optional double conversions_error_bound
  7: optional double value_error_bound
}

/** One SKU's credit to one channel ("channel") or partner ("partner"). */
struct SkuAttributionCredit {
  1: string sku_id
  2: string dimension
  3: string key
  4: double conversions
  5: double value
  /** Markov only. */
  6: optional double removal_effect
}

/**
 * One transition of a Markov job's chain (by channel): the journeys that went from one state
 * to the next. A state is "(start)", the last `order` channels seen joined by " > " (oldest
 * first; fewer at the start of a path), "(conversion)" or "(null)", as in
 * `partnergraph attribute --transitions` and its --json "markov.transitions".
 */
struct MarkovTransition {
  1: string from_state
  2: string to_state
  /** Journeys that made this transition. */
  3: double count
  /** count / the journeys leaving from_state (maximum likelihood). */
  4: double probability
}

struct AttributionJobResultRequest {
  1: string job_id
  /** Index of the first SKU credit of the page (default 0): the next_offset of the last page. */
  2: optional i64 offset = 0
  /** SKU credits per page, 0..10000 (default 1000). */
  3: optional i32 page_size = 1000
}

struct AttributionJobResultResponse {
  1: string job_id
  2: string model
  /** The Markov order; 0 for the other models. */
  3: i32 order
  /** The input: journeys = conversions + nulls. */
  4: double journeys
  5: double conversions
  6: double value
  7: double nulls
  /** Credit per channel, in the input's channel order; they sum to conversions and value. */
  8: list<AttributionCredit> channels
  /** data_dir only: credit per partner (merchant). */
  9: list<AttributionCredit> partners
  /** data_dir only: one page of the SKU x channel credits then the SKU x partner credits. */
  10: list<SkuAttributionCredit> sku_credits
  11: i64 sku_credits_total
  /** Unset on the last page. */
  12: optional i64 next_offset
  /** Shapley only: whether the values are exact (else sampled, with the error bounds above). */
  13: optional bool shapley_exact
  /**
   * Markov only (set on every page, unset for the other models): the transition matrix of the
   * channel chain, every transition with a positive count, from (start) to the absorbing
   * states, sorted by the from state's id (states numbered in order of first appearance), then
   * by the to state's, the absorbing states last. data_dir jobs: the channel chain only.
   */
  14: optional list<MarkovTransition> markov_transitions
}

/**
 * Live events (docs/events.md): the rows of the native CSV files (docs/formats.md) as single
 * changes. Ids are external ids; times are ISO-8601 UTC as in the CSV files
 * ("2026-12-07T10:00:00Z"); enums are the CSV words. Exactly one body of an Event is set.
 */
struct OrderLineEvent {
  1: string order_id
  2: string customer_id
  3: string merchant_id
  4: string sku_id
  5: string ts
  /** > 0 */
  6: i32 quantity
  /** >= 0 */
  7: double unit_price
  8: optional string channel
  9: optional string device
  10: optional string region
}

/** status: unsubscribed, blocked, unclear, pending, confirmed_opt_in, double_opt_in. */
struct ConsentChangeEvent {
  1: string customer_id
  2: string merchant_id
  /** email, newsletter, call_centre (alias phone), sms, post, events, account_manager. */
  3: string channel
  4: string status
  5: string ts
  /** e.g. "web", "sales" (a "blocked" from sales wins over later statuses until sales lifts it). */
  6: optional string source
}

struct EngagementActivityEvent {
  1: string merchant_id
  2: string ts
  /** e.g. email_open, site_visit, email_click, webinar, trade_fair. */
  3: string activity
  4: optional double points
}

/** Unset fields keep their value; at least one must be set. */
struct PolicyChangeEvent {
  1: string merchant_id
  2: string ts
  /** ignore, opt_out_only, weakened, building, full. */
  3: optional string permission_model
  /** >= 1 */
  4: optional i32 k_min
  5: optional bool share_overlaps
  6: optional bool discoverable
  7: optional bool allow_coupons
}

struct PartnershipChangeEvent {
  1: string merchant_a
  2: string merchant_b
  /** partner, competitor, blocked. */
  3: string kind
  /** false: the relation is added; true: removed. */
  4: bool removed
  5: string ts
}

struct NewMerchantEvent {
  1: string merchant_id
  2: string name
  3: string category
  4: string region
  5: string ts
}

struct NewSkuEvent {
  1: string sku_id
  2: string merchant_id
  3: string category
  4: double price
  5: string ts
}

struct Event {
  /** The client's idempotency key (1..128 bytes): an id recorded once is never applied again. */
  1: string event_id
  2: optional OrderLineEvent order_line
  3: optional ConsentChangeEvent consent_change
  4: optional EngagementActivityEvent engagement_activity
  5: optional PolicyChangeEvent policy_change
  6: optional PartnershipChangeEvent partnership_change
  7: optional NewMerchantEvent new_merchant
  8: optional NewSkuEvent new_sku
}

struct RecordEventsRequest {
  /** 1..10000 events, validated whole: one bad event refuses the batch. */
  1: list<Event> events
}

struct RecordEventsResponse {
  /** Per event, in the request's order: its log sequence (the first recording's for a retry). */
  1: list<i64> sequences
  /** Per event: true when its id was recorded before (not applied again). */
  2: list<bool> duplicate
  3: i64 new_events
  /** The log's last sequence once the batch was durable and applied. */
  4: i64 last_sequence
}

service PartnerGraph {
  HealthResponse Health(1: string api_key)
      throws (1: PermissionDenied denied, 2: Unavailable unavailable)

  /** Operator only. */
  StatsResponse Stats(1: string api_key)
      throws (1: PermissionDenied denied, 2: Unavailable unavailable)

  Merchant GetMerchant(1: string api_key, 2: string merchant_id)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /** Operator only. */
  ListMerchantsResponse ListMerchants(1: string api_key, 2: ListMerchantsRequest request)
      throws (1: InvalidArgument invalid, 2: PermissionDenied denied, 3: Unavailable unavailable)

  RecommendPartnersResponse RecommendPartners(1: string api_key, 2: RecommendPartnersRequest request)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  RecommendCouponPairsResponse RecommendCouponPairs(1: string api_key,
                                                    2: RecommendCouponPairsRequest request)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /**
   * The caller must own merchant_id (or be an operator). A merchant key gets the same NotFound
   * for an other_merchant_id that does not exist, opted out of discovery or is in a blocked pair
   * with merchant_id.
   */
  ExplainPairResponse ExplainPair(1: string api_key, 2: ExplainPairRequest request)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /**
   * The caller must own merchant_id (or be an operator); both merchants must share overlaps.
   * PermissionDenied when merchant_id does not share. About the other merchant a merchant key
   * gets one NotFound whether it does not exist, opted out of discovery, is blocked with the
   * caller or does not share; an operator gets NotFound (unknown) or PermissionDenied (does not
   * share). A merchant key is shown only the segments whose counts it may see (docs/privacy.md,
   * complementary suppression included).
   */
  OverlapReportResponse OverlapReport(1: string api_key, 2: OverlapReportRequest request)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /**
   * Operator only. Queues a batch attribution job; returns at once. Unavailable when the job
   * queue is full (--attribution-queue jobs waiting) or the server is shutting down.
   */
  SubmitAttributionJobResponse SubmitAttributionJob(1: string api_key,
                                                    2: AttributionJobRequest request)
      throws (1: InvalidArgument invalid, 2: PermissionDenied denied, 3: Unavailable unavailable)

  /** Operator only. NotFound for an unknown (or forgotten) job id. */
  AttributionJobStatusResponse JobStatus(1: string api_key, 2: string job_id)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /**
   * Operator only. The result of a SUCCEEDED job, one page of SKU credits at a time. NotFound for
   * an unknown job id; Unavailable while the job is QUEUED or RUNNING; InvalidArgument for a
   * FAILED job (the message says why it failed) or a bad offset / page_size.
   */
  AttributionJobResultResponse JobResult(1: string api_key,
                                       2: AttributionJobResultRequest request)
      throws (1: NotFound not_found, 2: InvalidArgument invalid, 3: PermissionDenied denied,
              4: Unavailable unavailable)

  /**
   * Records a batch of events durably (a synced write-ahead log) and applies it to the answers
   * before it returns: the next call sees it. Roles: an operator may record anything; a merchant
   * key only events about itself (its orders, its customers' consent, its policy, its new SKUs);
   * engagement, partnership and new-merchant events are the operator's. The batch is validated
   * whole: one bad event (a missing field, a bad enum, a time beyond the tolerance, an unknown
   * merchant or SKU, another merchant's event) refuses it with InvalidArgument or
   * PermissionDenied naming events[i] and the field, and nothing of it is recorded. A retried
   * batch answers with the first recording's sequences. Unavailable when the server runs
   * without --events.
   */
  RecordEventsResponse RecordEvents(1: string api_key, 2: RecordEventsRequest request)
      throws (1: InvalidArgument invalid, 2: PermissionDenied denied, 3: Unavailable unavailable)

  /**
   * Operator only. Opens the model folder the server was started with (--model) again, as
   * `partnergraph build --out` published it, replays the event log past the new model's last
   * event, and swaps to it in one step: calls keep being answered during the reload (by the old
   * model until the swap, by the new one after), and no event is lost or applied twice. The old
   * model stays in service when the new one cannot be opened (InvalidArgument naming the file
   * or the event sequence at fault) or is not built from this server's event log (its
   * event_sequence past the log's end). One reload at a time: a second call waits for the first.
   */
  ReloadModelResponse ReloadModel(1: string api_key)
      throws (1: InvalidArgument invalid, 2: PermissionDenied denied, 3: Unavailable unavailable)
}
