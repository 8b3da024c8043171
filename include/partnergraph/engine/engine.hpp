// Engine: the serving facade over one immutable model snapshot (graph +
// embeddings + indexes + precomputed results), speaking in external string ids.
//
// The server (server/) and the CLI call only this; they never see graph
// internals. The Engine is the one place a request's values are checked: every
// public method checks its arguments against Limits() (the model's
// RecommendOptions) before an implementation answers, and returns a Status that
// maps one-to-one onto the Thrift exceptions: NotFound (unknown id),
// InvalidArgument (a value out of range or an unknown filter value; the message
// names the request field as server/partnergraph.thrift spells it, e.g.
// "RecommendPartnersRequest.k = 0 is out of range 1..100"), Unavailable.
// Authorisation is NOT done here: callers check the Principal (api_keys.hpp)
// before calling. Privacy IS done here: counts about another merchant's
// customers below the stricter k_min of the pair are returned as nullopt, and
// an answer for Audience::kMerchant (the merchant asking about itself) is
// computed from disclosed evidence only and says the same about another
// merchant that does not exist, opted out of discovery, is in a blocked pair
// with it or does not share overlaps (docs/privacy.md).
//
// Live events (live_state.hpp): the policies, contactable counts and relations the answers read
// are the model's until an event changes them through live(); every answer reads them as they
// are when it is computed. A precomputed answer is served only while no event has changed any
// of them (after one, answers are computed live until the next model).
//
// Thread safety: an Engine is immutable after Open() but for its LiveState, which is safe to
// change while answers are computed; every const method may be called from any number of
// threads at once. Swap snapshots by replacing a std::shared_ptr<const Engine> atomically
// (std::atomic_store).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/engine_views.hpp"

namespace partnergraph {

class LiveState;

struct EngineOptions {
  // Threads FAISS's OpenMP may use inside one request (1 on server workers: STYLE.md).
  int search_threads = 1;
  // Load the precomputed default answers written at build time, when present.
  bool use_precomputed = true;
  // Load the precomputed neighbour lists (sku_neighbors.bin, merchant_neighbors.bin), when
  // present: coupon queries then read their trigger SKUs' index hits, and partner queries
  // without an in-index filter their candidates, instead of searching. false: every query
  // searches (same answers, slower).
  bool use_neighbor_lists = true;
};

// A partner answer borrowed from the model, for a caller that writes it out without copying it
// (the server's reply writer): the strings point into the Engine's graph (or into `owned`, for an
// Engine that does not lend its strings, such as a test double) and stay valid while the Engine
// lives and *this is not refilled. RecommendPartners copies it into a PartnerAnswer.
struct SharedSegmentRef {
  std::string_view segment_id;
  std::string_view description;
  std::optional<std::int64_t> count;  // nullopt: suppressed (below k_min)
};

struct PartnerRef {
  std::string_view merchant_id;
  std::string_view name;
  std::string_view category;
  std::string_view region;
  double score = 0;
  ScoreComponentsView components;
  std::span<const SharedSegmentRef> shared_segments;  // into BorrowedPartnerAnswer::segments
  std::optional<std::int64_t> shared_customers;       // nullopt: suppressed
};

struct BorrowedPartnerAnswer {
  std::vector<PartnerRef> partners;
  std::vector<SharedSegmentRef> segments;  // the partners' shared_segments, in order
  bool precomputed = false;
  // With live events: the answer reflects every event up to this sequence (set by the server).
  std::optional<std::uint64_t> event_sequence;
  PartnerAnswer owned;  // the strings `partners` points into, when not the model's
};

// The limits every request is checked against (the Engine's public methods). The IDL
// (server/partnergraph.thrift) documents the defaults.
struct RequestLimits {
  int max_k = 100;                   // k of a partner or coupon request: RecommendOptions::max_k
  int max_candidates = 10000;        // PartnerFilters.candidates: RecommendOptions::max_candidates
  int max_page_size = 1000;          // ListMerchantsRequest.page_size
  double max_long_tail_boost = 100;  // PartnerFilters.long_tail_boost, from 0
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Opens the model folder written by `partnergraph build`, refusing one that does not
  // verify against its manifest.json (model_manifest.hpp), naming the file. Open runs the
  // cheap checks only, so that a multi-GB model still opens fast: every listed file is
  // present with its listed size and the CRC-32 it records (its trailing checksum, a few
  // bytes) is the manifest's, each derived file records the model's graph, config.json has
  // the manifest's config digest and the precomputed files record it; the loaders then
  // check every byte they read against the file's own checksum. Reading every byte of
  // every file against the manifest (the files Open does not load included) is
  // `partnergraph verify`'s.
  // Errors: NotFound when the folder or its manifest.json is absent; Corruption naming the
  // file when a part is missing, truncated, damaged, another model's, or the manifest is of
  // the previous format ("rebuild the model"); InvalidArgument naming the file when a part
  // does not match the others (built from another graph; a sku_neighbors.bin of another SKU
  // index or other recommend options, naming the field; config.json changed since the
  // model was built or precomputed: "run `partnergraph precompute`"); IOError when
  // unreadable.
  static Result<std::shared_ptr<const Engine>> Open(const std::filesystem::path& model_dir,
                                                    const EngineOptions& options = {});

  virtual EngineStats Stats() const = 0;
  // The state live events change (live_state.hpp); null for an Engine that takes no events.
  virtual std::shared_ptr<LiveState> live() const { return nullptr; }
  // What requests are checked against.
  virtual RequestLimits Limits() const = 0;

  // InvalidArgument for an empty id, NotFound for an unknown one.
  Result<MerchantView> GetMerchant(const std::string& merchant_id) const;
  // page_size 1..max_page_size; InvalidArgument for a bad size or page token. An unknown
  // category or region matches no merchant (an empty page).
  Result<MerchantPage> ListMerchants(const std::optional<std::string>& page_token, int page_size,
                                     const std::string& category, const std::string& region) const;
  // merchant_id non-empty, k 1..max_k, filters.candidates 1..max_candidates,
  // filters.long_tail_boost finite in 0..max_long_tail_boost (InvalidArgument naming the field);
  // NotFound for an unknown merchant; InvalidArgument naming an unknown region, category or
  // tier. The answer is BorrowPartners', copied into views.
  Result<PartnerAnswer> RecommendPartners(const std::string& merchant_id, int k,
                                          const PartnerFiltersView& filters) const;
  // RecommendPartners(merchant_id, k, filters), borrowed: the same checks and errors, the same
  // answer (precomputed or live) written into *out, reusing its storage (on error *out is
  // unspecified).
  Status BorrowPartners(const std::string& merchant_id, int k, const PartnerFiltersView& filters,
                        BorrowedPartnerAnswer* out) const;
  // Exactly one of sku_id / merchant_id non-empty; k 1..max_k; prices finite, >= 0 and
  // min_price <= max_price. NotFound for an unknown SKU or merchant; InvalidArgument naming an
  // unknown category.
  Result<CouponAnswer> RecommendCouponPairs(const std::string& sku_id,
                                            const std::string& merchant_id, int k,
                                            const CouponFiltersView& filters) const;
  // Both ids non-empty and different (InvalidArgument). NotFound for an unknown merchant_id.
  // other_merchant_id: kOperator gets NotFound only when it does not exist; kMerchant gets one
  // NotFound (OtherMerchantUnavailable) whether it does not exist, opted out of discovery or is
  // in a blocked pair with merchant_id.
  Result<PairExplanationView> ExplainPair(const std::string& merchant_id,
                                          const std::string& other_merchant_id,
                                          Audience audience) const;
  // Both ids non-empty and different (InvalidArgument). PermissionDenied when merchant_id has
  // not opted in to share overlaps. About the other merchant: kOperator gets NotFound (unknown)
  // or PermissionDenied (does not share); kMerchant gets OtherMerchantUnavailable whether it does
  // not exist, opted out of discovery, is in a blocked pair with merchant_id or does not share
  // overlaps.
  Result<OverlapReportView> OverlapReport(const std::string& merchant_id,
                                          const std::string& other_merchant_id,
                                          Audience audience) const;

 protected:
  // What an implementation answers, called by the public method of the same name once the
  // request has passed its checks (values in range, ids non-empty): it resolves the ids and
  // filter values against the model, with the errors listed above.
  virtual Result<MerchantView> AnswerGetMerchant(const std::string& merchant_id) const = 0;
  virtual Result<MerchantPage> AnswerListMerchants(const std::optional<std::string>& page_token,
                                                   int page_size, const std::string& category,
                                                   const std::string& region) const = 0;
  virtual Status AnswerPartners(const std::string& merchant_id, int k,
                                const PartnerFiltersView& filters,
                                BorrowedPartnerAnswer* out) const = 0;
  virtual Result<CouponAnswer> AnswerCouponPairs(const std::string& sku_id,
                                                 const std::string& merchant_id, int k,
                                                 const CouponFiltersView& filters) const = 0;
  virtual Result<PairExplanationView> AnswerExplainPair(const std::string& merchant_id,
                                                        const std::string& other_merchant_id,
                                                        Audience audience) const = 0;
  virtual Result<OverlapReportView> AnswerOverlapReport(const std::string& merchant_id,
                                                        const std::string& other_merchant_id,
                                                        Audience audience) const = 0;
};

// The one answer a merchant gets about another merchant it may not learn anything about
// (SPEC.md "Privacy": "does not exist", "opted out" and "does not share" look the same).
Status OtherMerchantUnavailable(const std::string& other_merchant_id);

namespace engine_internal {
// ListMerchants' page tokens: opaque, bound to the listing they continue (its category and
// region filters and the model's graph). Exposed for tests.
std::string EncodePageToken(std::uint32_t offset, std::uint64_t binding);
// The offset of `token`, or InvalidArgument when it is malformed or issued for another
// binding.
Result<std::uint32_t> DecodePageToken(const std::string& token, std::uint64_t binding);
}  // namespace engine_internal

}  // namespace partnergraph
