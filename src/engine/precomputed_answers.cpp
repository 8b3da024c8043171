#include "partnergraph/engine/precomputed_answers.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "byte_io.hpp"
#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/index/faiss_threads.hpp"

namespace partnergraph {
namespace {

using engine_internal::ByteReader;
using engine_internal::ByteWriter;

constexpr char kMagic[8] = {'P', 'G', 'P', 'R', 'E', 'C', 'M', 'P'};

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
                              .WithContext("precompute merchants " + std::to_string(lo) + ".." +
                                           std::to_string(hi - 1) + " (" +
                                           std::string(ToString(audience)) + " view)");
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
  ByteWriter w;
  w.PutBytes(std::string_view(kMagic, sizeof(kMagic)));
  w.Put(kFormatVersion);
  w.Put(fingerprint);
  w.Put(config_digest);
  w.Put(merchant_count());
  w.Put(k_);
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
  w.Put(Crc32(0, w.data().data(), w.data().size()));
  return WriteFileAtomically(path, w.data());
}

namespace {

// Why a file of `version` is refused, with what to do about it.
std::string VersionMessage(std::uint32_t version, std::uint32_t current,
                           const std::filesystem::path& path) {
  std::string out = "format version " + std::to_string(version) + " is not " +
                    std::to_string(current);
  if (version < current) {
    out += version == 1 ? " (written before the merchant view of docs/privacy.md existed)"
                        : " (written before the answers recorded the config.json they were "
                          "computed with)";
    out += ": run `partnergraph precompute --model " + path.parent_path().string() +
           "` to rewrite it, or rebuild the model";
  }
  return out;
}

constexpr std::size_t kHeaderBytes = sizeof(kMagic) + 4 + 8 + 4 + 4 + 4;

}  // namespace

Result<PrecomputedFileInfo> PrecomputedAnswers::ReadFileInfo(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path.string());
  char header[kHeaderBytes];
  if (!in.read(header, sizeof(kMagic) + 4)) return Status::Corruption(name + ": file is truncated");
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption(name + ": not a precomputed-answers file (bad magic)");
  }
  ByteReader r(std::string_view(header + sizeof(kMagic), sizeof(header) - sizeof(kMagic)));
  std::uint32_t version = 0;
  (void)r.Get(&version);
  if (version != kFormatVersion) {
    return Status::Corruption(name + ": " + VersionMessage(version, kFormatVersion, path));
  }
  if (!in.read(header + sizeof(kMagic) + 4, kHeaderBytes - sizeof(kMagic) - 4)) {
    return Status::Corruption(name + ": file is truncated");
  }
  PrecomputedFileInfo info;
  (void)(r.Get(&info.fingerprint) && r.Get(&info.config_digest) && r.Get(&info.merchant_count) &&
         r.Get(&info.k));
  return info;
}

Result<PrecomputedAnswers> PrecomputedAnswers::Load(const std::filesystem::path& path,
                                                    std::uint64_t expected_fingerprint,
                                                    std::uint32_t merchant_count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();
  const std::string name = path.filename().string();
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(name + ": " + what);
  };
  if (data.size() < sizeof(kMagic) + 4) return corrupt("file is truncated");
  if (data.compare(0, sizeof(kMagic), std::string_view(kMagic, sizeof(kMagic))) != 0) {
    return corrupt("not a precomputed-answers file (bad magic)");
  }
  // Before any size: another version lays the file out differently.
  std::uint32_t version = 0;
  std::memcpy(&version, data.data() + sizeof(kMagic), 4);
  if (version != kFormatVersion) return corrupt(VersionMessage(version, kFormatVersion, path));
  if (data.size() < kHeaderBytes + 4) return corrupt("file is truncated");
  std::uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  if (Crc32(0, data.data(), data.size() - 4) != stored_crc) {
    return corrupt("checksum mismatch (the file is damaged or truncated)");
  }

  ByteReader r(std::string_view(data).substr(sizeof(kMagic) + 4,
                                             data.size() - sizeof(kMagic) - 4 - 4));
  std::uint32_t count = 0, k = 0, config_digest = 0;
  std::uint64_t fingerprint = 0;
  if (!r.Get(&fingerprint) || !r.Get(&config_digest) || !r.Get(&count) || !r.Get(&k)) {
    return corrupt("header is truncated");
  }
  if (fingerprint != expected_fingerprint || count != merchant_count) {
    return Status::InvalidArgument(name + " was built for a different graph");
  }
  PrecomputedAnswers out;
  out.k_ = k;
  out.config_digest_ = config_digest;
  for (std::size_t a = 0; a < kAudiences; ++a) {
    out.partners_[a].resize(count);
    out.coupons_[a].resize(count);
  }
  for (std::uint32_t m = 0; m < count; ++m) {
    for (std::size_t a = 0; a < kAudiences; ++a) {
      std::uint32_t np = 0;
      if (!r.Get(&np) || np > k) return corrupt("merchant " + std::to_string(m) + ": bad list");
      for (std::uint32_t i = 0; i < np; ++i) {
        PartnerResult p;
        std::uint32_t nseg = 0;
        if (!r.Get(&p.merchant.value) || !GetScore(r, &p.score) ||
            !ReadOpt(r, &p.shared_customers) || !r.Get(&nseg) || nseg > 64 ||
            p.merchant.value >= count) {
          return corrupt("merchant " + std::to_string(m) + ": bad partner entry");
        }
        for (std::uint32_t s = 0; s < nseg; ++s) {
          SegmentCount sc;
          if (!r.Get(&sc.segment.value) || !ReadOpt(r, &sc.count)) {
            return corrupt("merchant " + std::to_string(m) + ": bad segment entry");
          }
          p.shared_segments.push_back(sc);
        }
        out.partners_[a][m].push_back(std::move(p));
      }
      std::uint32_t nc = 0;
      if (!r.Get(&nc) || nc > k) return corrupt("merchant " + std::to_string(m) + ": bad list");
      for (std::uint32_t i = 0; i < nc; ++i) {
        CouponResult c;
        if (!r.Get(&c.trigger.value) || !r.Get(&c.sku.value) || !r.Get(&c.score) ||
            !ReadOpt(r, &c.support) || !r.Get(&c.lift) || !ReadOpt(r, &c.reach) ||
            !r.Get(&c.embedding_similarity)) {
          return corrupt("merchant " + std::to_string(m) + ": bad coupon entry");
        }
        out.coupons_[a][m].push_back(c);
      }
    }
  }
  if (r.remaining() != 0) return corrupt("trailing bytes after the last merchant");
  return out;
}

}  // namespace partnergraph
