#include "partnergraph/engine/precomputed_answers.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <mutex>

#include "partnergraph/common/binary_container.hpp"
#include "partnergraph/index/faiss_threads.hpp"

namespace partnergraph {
namespace {

constexpr char kMagic[8] = {'P', 'G', 'P', 'R', 'E', 'C', 'M', 'P'};

// precomputed.bin's container; an old version names the command that rewrites it.
ContainerFormat Format(const std::filesystem::path& path) {
  return {
      std::string_view(kMagic, sizeof kMagic), "precomputed answers",
      PrecomputedAnswers::kFormatVersion,
      fmt::format("run `partnergraph precompute --model {}` to rewrite it, or rebuild the model",
                  path.parent_path().string())};
}

// The header section of an opened file.
Result<PrecomputedFileInfo> ReadHeader(const BinaryContainerReader& file) {
  PG_ASSIGN_OR_RETURN(ByteReader r, file.Records("header"));
  PrecomputedFileInfo info;
  PG_RETURN_IF_ERROR(r.Read(&info.fingerprint, "the graph fingerprint"));
  PG_RETURN_IF_ERROR(r.Read(&info.config_digest, "the config digest"));
  PG_RETURN_IF_ERROR(r.Read(&info.merchant_count, "the merchant count"));
  PG_RETURN_IF_ERROR(r.Read(&info.k, "k"));
  return info;
}

std::int64_t Opt(const std::optional<std::uint32_t>& v) { return v ? std::int64_t{*v} : -1; }
bool ReadOpt(ByteReader& r, std::optional<std::uint32_t>* out) {
  std::int64_t v = 0;
  if (!r.Get(&v) || v < -1 || v > 0xFFFFFFFFll) return false;
  if (v >= 0) *out = static_cast<std::uint32_t>(v);
  return true;
}

void PutScore(ByteWriter& w, const PartnerScore& s) {
  w.Put(s.audience_similarity);
  w.Put(s.category_complementarity);
  w.Put(s.shared_reach);
  w.Put(s.competition_penalty);
  w.Put(s.long_tail_boost);
  w.Put(s.total);
}
bool GetScore(ByteReader& r, PartnerScore* s) {
  return r.Get(&s->audience_similarity) && r.Get(&s->category_complementarity) &&
         r.Get(&s->shared_reach) && r.Get(&s->competition_penalty) &&
         r.Get(&s->long_tail_boost) && r.Get(&s->total);
}

}  // namespace

Result<PrecomputedAnswers> PrecomputedAnswers::Compute(const Recommender& recommender,
                                                       std::uint32_t k) {
  const std::uint32_t n = recommender.model().graph->merchant_count();
  PrecomputedAnswers out;
  out.k_ = k;
  for (std::size_t a = 0; a < kAudiences; ++a) {
    out.partners_[a].resize(n);
    out.coupons_[a].resize(n);
  }
  std::mutex error_mutex;
  Status first_error;
  // Blocks of kBatchMerchants merchants run in parallel (oneTBB); within a block the ANN
  // searches are batched: one FAISS search for the block's partner queries and one for
  // its trigger SKUs (up to coupon_trigger_skus per merchant), which a Flat index answers
  // with one BLAS matrix product instead of a scan per query.
  const std::uint32_t blocks = (n + kBatchMerchants - 1) / kBatchMerchants;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, blocks, 1), [&](const auto& range) {
    ScopedFaissThreads one_thread(1);
    for (std::uint32_t b = range.begin(); b != range.end(); ++b) {
      const std::uint32_t lo = b * kBatchMerchants;
      const std::uint32_t hi = std::min(n, lo + kBatchMerchants);
      std::vector<MerchantId> merchants;
      for (std::uint32_t i = lo; i < hi; ++i) merchants.push_back(MerchantId(i));
      for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
        PartnerFilters partner_filters;
        partner_filters.audience = audience;
        CouponFilters coupon_filters;
        coupon_filters.audience = audience;
        auto partners = recommender.RecommendPartnersBatch(merchants, k, partner_filters);
        auto coupons = recommender.RecommendCouponPairsBatch(merchants, k, coupon_filters);
        if (!partners.ok() || !coupons.ok()) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (first_error.ok()) {
            first_error = (!partners.ok() ? partners.status() : coupons.status())
                              .WithContext(fmt::format("precompute merchants {}..{} ({} view)", lo,
                                                       hi - 1, ToString(audience)));
          }
          break;
        }
        const std::size_t a = Slot(audience);
        for (std::uint32_t i = lo; i < hi; ++i) {
          out.partners_[a][i] = std::move((*partners)[i - lo]);
          out.coupons_[a][i] = std::move((*coupons)[i - lo]);
        }
      }
    }
  });
  if (!first_error.ok()) return first_error;
  return out;
}

Status PrecomputedAnswers::Save(const std::filesystem::path& path, std::uint64_t fingerprint,
                                std::uint32_t config_digest) const {
  ByteWriter header;
  header.Put(fingerprint);
  header.Put(config_digest);
  header.Put(merchant_count());
  header.Put(k_);
  ByteWriter w;
  for (std::uint32_t m = 0; m < merchant_count(); ++m) {
    for (std::size_t a = 0; a < kAudiences; ++a) {
      w.Put(static_cast<std::uint32_t>(partners_[a][m].size()));
      for (const PartnerResult& p : partners_[a][m]) {
        w.Put(p.merchant.value);
        PutScore(w, p.score);
        w.Put(Opt(p.shared_customers));
        w.Put(static_cast<std::uint32_t>(p.shared_segments.size()));
        for (const SegmentCount& s : p.shared_segments) {
          w.Put(s.segment.value);
          w.Put(Opt(s.count));
        }
      }
      w.Put(static_cast<std::uint32_t>(coupons_[a][m].size()));
      for (const CouponResult& c : coupons_[a][m]) {
        w.Put(c.trigger.value);
        w.Put(c.sku.value);
        w.Put(c.score);
        w.Put(Opt(c.support));
        w.Put(c.lift);
        w.Put(Opt(c.reach));
        w.Put(c.embedding_similarity);
      }
    }
  }
  BinaryContainerWriter file(Format(path));
  file.AddBytes("header", header.data());
  file.AddBorrowed("answers", 1, w.data().data(), w.data().size());
  return file.Write(path).status();
}

Result<PrecomputedFileInfo> PrecomputedAnswers::ReadFileInfo(const std::filesystem::path& path) {
  PG_ASSIGN_OR_RETURN(auto file,
                      BinaryContainerReader::Open(path, Format(path), ContainerCheck::kHeader,
                                                  path.filename().string()));
  return ReadHeader(file);
}

Result<PrecomputedAnswers> PrecomputedAnswers::Load(const std::filesystem::path& path,
                                                    std::uint64_t expected_fingerprint,
                                                    std::uint32_t merchant_count) {
  PG_ASSIGN_OR_RETURN(auto file,
                      BinaryContainerReader::Open(path, Format(path), ContainerCheck::kWhole,
                                                  path.filename().string()));
  PG_ASSIGN_OR_RETURN(PrecomputedFileInfo info, ReadHeader(file));
  if (info.fingerprint != expected_fingerprint || info.merchant_count != merchant_count) {
    return Status::InvalidArgument(
        fmt::format("{} was built for a different graph", path.filename().string()));
  }
  const std::uint32_t count = info.merchant_count, k = info.k;
  PrecomputedAnswers out;
  out.k_ = k;
  out.config_digest_ = info.config_digest;
  for (std::size_t a = 0; a < kAudiences; ++a) {
    out.partners_[a].resize(count);
    out.coupons_[a].resize(count);
  }
  PG_ASSIGN_OR_RETURN(ByteReader r, file.Records("answers"));
  for (std::uint32_t m = 0; m < count; ++m) {
    auto bad = [&r, m](std::string_view what) {
      return r.Error(fmt::format("merchant {}: bad {}", m, what));
    };
    for (std::size_t a = 0; a < kAudiences; ++a) {
      std::uint32_t np = 0;
      if (!r.Get(&np) || np > k) return bad("list");
      for (std::uint32_t i = 0; i < np; ++i) {
        PartnerResult p;
        std::uint32_t nseg = 0;
        if (!r.Get(&p.merchant.value) || !GetScore(r, &p.score) ||
            !ReadOpt(r, &p.shared_customers) || !r.Get(&nseg) || nseg > 64 ||
            p.merchant.value >= count) {
          return bad("partner entry");
        }
        for (std::uint32_t s = 0; s < nseg; ++s) {
          SegmentCount sc;
          if (!r.Get(&sc.segment.value) || !ReadOpt(r, &sc.count)) return bad("segment entry");
          p.shared_segments.push_back(sc);
        }
        out.partners_[a][m].push_back(std::move(p));
      }
      std::uint32_t nc = 0;
      if (!r.Get(&nc) || nc > k) return bad("list");
      for (std::uint32_t i = 0; i < nc; ++i) {
        CouponResult c;
        if (!r.Get(&c.trigger.value) || !r.Get(&c.sku.value) || !r.Get(&c.score) ||
            !ReadOpt(r, &c.support) || !r.Get(&c.lift) || !ReadOpt(r, &c.reach) ||
            !r.Get(&c.embedding_similarity)) {
          return bad("coupon entry");
        }
        out.coupons_[a][m].push_back(c);
      }
    }
  }
  if (r.remaining() != 0) return r.Error("trailing bytes after the last merchant");
  PG_RETURN_IF_ERROR(file.CheckUnchanged());
  return out;
}

}  // namespace partnergraph
