// LiveOverlay: the part of a served model that live events change at once (issue 14,
// docs/events.md): each merchant's policy (permission model, k_min, share_overlaps,
// discoverable, allow_coupons), how many of its customers it may contact (which consent
// changes move), and the declared relations of pairs (partner, competitor, blocked). Everything
// else of the model (graph counts, embeddings, indexes) changes only with a new model.
//
// The recommenders and the Engine read a merchant's policy, its contactable customers and a
// pair's relations from here, never from the graph or the profiles, so that the answer after an
// event reflects it: the overlay starts as a copy of the model's values and events overwrite
// them. Contactable customers are counted on any channel (what the scores read) and per channel
// (GetMerchant's reach per channel).
//
// Consent: a change of customer c's status toward merchant m on one channel moves m's
// contactable count only when c is one of m's customers (else no count of the model contains c;
// the change is kept for the model that folds the log). The latest-dated record wins (an older
// record arriving later does not undo a newer one); at equal times the more restrictive wins; a
// sales block wins over any later status until sales lifts it (consent/contact_policy.hpp).
//
// Thread safety: one writer at a time (the event log's commit thread, or replay before
// serving) calls the Set methods; any number of readers call the const methods concurrently
// with it. A merchant's policy is one atomic word, so a reader sees a policy as a whole, old or
// new; the relation overrides are read under a shared lock only for merchants that have any.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/consent/contact_policy.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

class LiveOverlay {
 public:
  // The model's values: `graph`'s policies and relations, and `contactable[m]` (merchant m's
  // customers it may contact on at least one channel, as the profiles counted them).
  // `by_channel[m * kContactChannelCount + i]` the same per channel i.
  LiveOverlay(std::shared_ptr<const EcosystemGraph> graph, std::vector<std::uint32_t> contactable,
              std::vector<std::uint32_t> by_channel);
  LiveOverlay(const LiveOverlay&) = delete;
  LiveOverlay& operator=(const LiveOverlay&) = delete;
  ~LiveOverlay();

  // ---- Reads (any thread) ----
  MerchantPolicy Policy(MerchantId m) const;
  std::uint32_t Contactable(MerchantId m) const {
    return contactable_[m.value].load(std::memory_order_relaxed);
  }
  // m's customers it may contact on `channel`.
  std::uint32_t ContactableOn(MerchantId m, ContactChannel channel) const {
    return by_channel_[std::size_t{m.value} * kContactChannelCount +
                       static_cast<std::size_t>(channel)]
        .load(std::memory_order_relaxed);
  }
  // The stricter (larger) k_min of a pair.
  std::uint32_t PairKMin(MerchantId a, MerchantId b) const;
  bool IsPartner(MerchantId a, MerchantId b) const;
  bool IsBlocked(MerchantId a, MerchantId b) const;
  bool IsDeclaredCompetitor(MerchantId a, MerchantId b) const;
  // Declared (with the overrides) or derived (same category: not changed by events).
  bool IsCompetitor(MerchantId a, MerchantId b) const;
  // Appends the merchants m may not be suggested with to *out: its partners (unless
  // include_partners), competitors and blocked pairs; sorted, possibly with repeats.
  void Excluded(MerchantId m, bool include_partners, std::vector<MerchantId>* out) const;
  // Whether any event changed m's policy, contactable count or relations since the model.
  bool Touched(MerchantId m) const;
  // How many merchants are Touched (0: every answer equals the model's).
  std::uint32_t touched_merchants() const { return touched_count_.load(std::memory_order_acquire); }

  // ---- Writes (one writer at a time) ----
  // Sets m's policy; a new permission model recounts m's contactable customers.
  void SetPolicy(MerchantId m, const MerchantPolicy& policy);
  // Records customer c's consent record toward m on `channel` and moves m's contactable count.
  void SetConsent(CustomerId c, MerchantId m, ContactChannel channel, ConsentStatus status,
                  std::string_view source, Timestamp ts);
  // Adds (present) or removes a declared relation of the pair {a, b}; a != b.
  void SetRelation(MerchantId a, MerchantId b, PartnershipKind kind, bool present);

 private:
  // The consent overrides: per (customer, merchant) pair an event named, the state of each of its
  // channels (live_overlay.cpp).
  class ConsentPairs;
  // The declared relations of a pair, as bits (kPartnerBit...).
  using RelationBits = std::uint8_t;

  static std::uint64_t PairKey(MerchantId a, MerchantId b);
  // Moves m's counts from c's channels `before` to `after`.
  void MoveCounts(MerchantId m, ContactChannelSet before, ContactChannelSet after);
  RelationBits GraphRelations(MerchantId a, MerchantId b) const;
  // The pair's bits (overridden or the graph's); takes the lock only when a or b has overrides.
  RelationBits Relations(MerchantId a, MerchantId b) const;
  void MarkTouched(MerchantId m);

  std::shared_ptr<const EcosystemGraph> graph_;
  const EcosystemGraph& g_;
  // Per merchant: the policy packed in one word (PackPolicy), flags and the contactable count.
  std::unique_ptr<std::atomic<std::uint64_t>[]> policy_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> contactable_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> by_channel_;  // kContactChannelCount per merchant
  std::unique_ptr<std::atomic<std::uint8_t>[]> flags_;        // kTouchedFlag, kRelationsFlag
  std::atomic<std::uint32_t> touched_count_{0};
  // Written and read by the writer only.
  std::unique_ptr<ConsentPairs> consent_;
  // Pair overrides, and per merchant the other merchants of its overridden pairs.
  mutable std::shared_mutex relations_mu_;
  std::unordered_map<std::uint64_t, RelationBits> relations_;
  std::unordered_map<std::uint32_t, std::vector<MerchantId>> override_pairs_of_;
};

}  // namespace partnergraph
