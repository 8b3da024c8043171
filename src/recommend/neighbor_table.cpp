#include "partnergraph/recommend/neighbor_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <type_traits>

#include "partnergraph/common/atomic_file_writer.hpp"

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the neighbour files are little-endian and read by copying");
static_assert(sizeof(Neighbor) == 8 && std::is_trivially_copyable_v<Neighbor> &&
                  offsetof(Neighbor, score) == 4,
              "a stored hit is (u32 id, f32 score)");
static_assert(sizeof(SkuId) == 4 && std::is_trivially_copyable_v<SkuId>);
static_assert(sizeof(MerchantId) == 4 && std::is_trivially_copyable_v<MerchantId>);

constexpr char kSkuMagic[8] = {'P', 'G', 'S', 'K', 'U', 'N', 'B', 'R'};
constexpr char kMerchantMagic[8] = {'P', 'G', 'M', 'E', 'R', 'N', 'B', 'R'};
constexpr std::size_t kHeaderBytes = 44;

const char* Magic(NeighborKind kind) {
  return kind == NeighborKind::kSkus ? kSkuMagic : kMerchantMagic;
}

// The words of the configuration and the graph for each kind.
struct KindWords {
  const char* item;        // "SKU"
  const char* items;       // "SKUs"
  const char* candidates;  // the option that sets k - 1
  const char* ef_search;   // the option that sets efSearch
  const char* index;       // "SKU index"
};
KindWords Words(NeighborKind kind) {
  if (kind == NeighborKind::kSkus) {
    return {"SKU", "SKUs", "coupon_candidates", "coupon_ef_search", "SKU index"};
  }
  return {"merchant", "merchants", "partner_candidates", "the merchant index's efSearch",
          "merchant index"};
}

template <typename T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T Get(const char* bytes, std::size_t offset) {
  T v;
  std::memcpy(&v, bytes + offset, sizeof v);
  return v;
}

// The key a file's header records (Save's layout: k at 12, efSearch 16, item count 20, index
// fingerprint 24, index checksum 32).
NeighborKey KeyFromHeader(const char* header, NeighborKind kind) {
  NeighborKey key;
  key.kind = kind;
  key.k = Get<std::uint32_t>(header, 12);
  key.ef_search = Get<std::uint32_t>(header, 16);
  key.item_count = Get<std::uint32_t>(header, 20);
  key.index_fingerprint = Get<std::uint64_t>(header, 24);
  key.index_checksum = Get<std::uint32_t>(header, 32);
  return key;
}

std::string Hex(std::uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// Why a file of `version` is refused, with what to do about it.
std::string VersionMessage(std::uint32_t version, const std::filesystem::path& path) {
  std::string out = "format version " + std::to_string(version) + " is not " +
                    std::to_string(kNeighborFormatVersion);
  if (version < kNeighborFormatVersion) {
    out += " (written before the lists recorded the config.json they were computed with): "
           "`partnergraph precompute --model " + path.parent_path().string() +
           "` rewrites it, or rebuild the model";
  }
  return out;
}

}  // namespace

NeighborKey ExpectedSkuNeighborKey(const VectorIndex& sku_index, std::uint32_t sku_count,
                                   const RecommendOptions& options) {
  NeighborKey key;
  key.kind = NeighborKind::kSkus;
  key.k = options.coupon_candidates + 1;
  key.ef_search = options.coupon_ef_search;
  key.item_count = sku_count;
  key.index_fingerprint = sku_index.fingerprint();
  key.index_checksum = sku_index.file_checksum();
  return key;
}

NeighborKey ExpectedMerchantNeighborKey(const VectorIndex& merchant_index,
                                        std::uint32_t merchant_count,
                                        const RecommendOptions& options) {
  NeighborKey key;
  key.kind = NeighborKind::kMerchants;
  key.k = options.partner_candidates + 1;
  key.ef_search = 0;
  key.item_count = merchant_count;
  key.index_fingerprint = merchant_index.fingerprint();
  key.index_checksum = merchant_index.file_checksum();
  return key;
}

std::string DescribeKeyMismatch(const NeighborKey& expected, const NeighborKey& actual) {
  std::string out;
  auto add = [&out](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  if (actual.kind != expected.kind) {
    add(std::string("holds ") + Words(actual.kind).item + " lists but the model asks " +
        Words(expected.kind).item + " lists");
    return out;
  }
  const KindWords w = Words(expected.kind);
  if (actual.k != expected.k) {
    add("computed for k " + std::to_string(actual.k) + " (" + w.candidates + " " +
        std::to_string(actual.k - 1) + ") but the model asks " + std::to_string(expected.k) +
        " (" + w.candidates + " " + std::to_string(expected.k - 1) + ")");
  }
  if (actual.ef_search != expected.ef_search) {
    add(std::string("computed with ") + w.ef_search + " " + std::to_string(actual.ef_search) +
        " but the model's is " + std::to_string(expected.ef_search));
  }
  if (actual.item_count != expected.item_count) {
    add("computed for " + std::to_string(actual.item_count) + " " + w.items +
        " but the graph has " + std::to_string(expected.item_count));
  }
  if (actual.index_fingerprint != expected.index_fingerprint) {
    add(std::string("computed for a ") + w.index + " of another graph (fingerprint " +
        Hex(actual.index_fingerprint, 16) + " != " + Hex(expected.index_fingerprint, 16) + ")");
  } else if (actual.index_checksum != expected.index_checksum) {
    add(std::string("computed on another ") + w.index + " (index checksum " +
        Hex(actual.index_checksum, 8) + " != " + Hex(expected.index_checksum, 8) + ")");
  }
  return out;
}

template <typename Id>
Result<NeighborTable<Id>> NeighborTable<Id>::FromLists(NeighborKey key, std::vector<Id> items,
                                                       std::vector<std::uint64_t> offsets,
                                                       std::vector<Neighbor> hits) {
  const std::string what = std::string(Words(kKind).item) + " neighbour lists: ";
  if (key.kind != kKind) {
    return Status::InvalidArgument(what + "a key of " + Words(key.kind).item + " lists");
  }
  NeighborTable t;
  t.key_ = key;
  t.items_ = std::move(items);
  t.offsets_ = std::move(offsets);
  t.hits_ = std::move(hits);
  if (std::string bad = t.BuildSlots(); !bad.empty()) return Status::InvalidArgument(what + bad);
  return t;
}

template <typename Id>
std::string NeighborTable<Id>::BuildSlots() {
  const KindWords w = Words(kKind);
  const std::string items = std::to_string(key_.item_count) + " " + w.items;
  if (offsets_.size() != items_.size() + 1) {
    return std::to_string(offsets_.size()) + " offsets for " + std::to_string(items_.size()) +
           " " + w.items + " (expected one more)";
  }
  if (offsets_.front() != 0 || offsets_.back() != hits_.size()) {
    return "the offsets do not span the " + std::to_string(hits_.size()) + " hits";
  }
  slot_.assign(key_.item_count, kNoSlot);
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const std::uint32_t s = items_[i].value;
    const std::string name = std::string(w.item) + " " + std::to_string(s);
    if (s >= key_.item_count) return name + " is beyond the " + items;
    if (i > 0 && !(items_[i - 1] < items_[i])) {
      return std::string("the ") + w.item + " ids are not ascending at " + name;
    }
    // Each offset inside the hits, ascending: a damaged middle offset past the last one would
    // make Find read past the hits.
    if (offsets_[i + 1] > hits_.size()) {
      return name + ": offset " + std::to_string(offsets_[i + 1]) + " is past the " +
             std::to_string(hits_.size()) + " hits";
    }
    if (offsets_[i + 1] < offsets_[i] || offsets_[i + 1] - offsets_[i] > key_.k) {
      return name + ": " + std::to_string(offsets_[i + 1] - offsets_[i]) + " hits for k " +
             std::to_string(key_.k);
    }
    for (std::uint64_t h = offsets_[i]; h < offsets_[i + 1]; ++h) {
      if (hits_[h].id >= key_.item_count) {
        return name + ": hit " + std::to_string(hits_[h].id) + " is beyond the " + items;
      }
    }
    slot_[s] = static_cast<std::uint32_t>(i);
  }
  return {};
}

template <typename Id>
std::uint64_t NeighborTable<Id>::MemoryBytes() const {
  return items_.capacity() * sizeof(Id) + offsets_.capacity() * sizeof(std::uint64_t) +
         hits_.capacity() * sizeof(Neighbor) + slot_.capacity() * sizeof(std::uint32_t);
}

template <typename Id>
Status NeighborTable<Id>::Save(const std::filesystem::path& path,
                               std::uint32_t config_digest) const {
  std::string header(Magic(kKind), sizeof kSkuMagic);
  Put<std::uint32_t>(header, kFormatVersion);
  Put<std::uint32_t>(header, key_.k);
  Put<std::uint32_t>(header, key_.ef_search);
  Put<std::uint32_t>(header, key_.item_count);
  Put<std::uint64_t>(header, key_.index_fingerprint);
  Put<std::uint32_t>(header, key_.index_checksum);
  Put<std::uint32_t>(header, covered());
  Put<std::uint32_t>(header, config_digest);
  PG_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(file.Append(header.data(), header.size()));
  PG_RETURN_IF_ERROR(file.Append(items_.data(), items_.size() * sizeof(Id)));
  PG_RETURN_IF_ERROR(file.Append(offsets_.data(), offsets_.size() * sizeof(std::uint64_t)));
  PG_RETURN_IF_ERROR(file.Append(hits_.data(), hits_.size() * sizeof(Neighbor)));
  const std::uint32_t crc = file.crc();
  PG_RETURN_IF_ERROR(file.Append(&crc, sizeof crc));
  return file.Commit();
}

template <typename Id>
Result<NeighborTable<Id>> NeighborTable<Id>::Load(const std::filesystem::path& path,
                                                  const NeighborKey& expected) {
  const std::string name = path.filename().string();
  auto corrupt = [&](const std::string& what) { return Status::Corruption(name + ": " + what); };
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return Status::IOError("cannot read " + path.string());
  char header[kHeaderBytes];
  if (size < kHeaderBytes + 8 + 4 || !in.read(header, kHeaderBytes)) {
    return corrupt("file is truncated (" + std::to_string(size) + " bytes)");
  }
  if (std::memcmp(header, Magic(kKind), sizeof kSkuMagic) != 0) {
    return corrupt(std::string("not a ") + Words(kKind).item + " neighbour file (bad magic)");
  }
  // Before any size: another version lays the header out differently.
  if (const auto version = Get<std::uint32_t>(header, 8); version != kFormatVersion) {
    return corrupt(VersionMessage(version, path));
  }
  const std::uint32_t covered = Get<std::uint32_t>(header, 36);
  // The size the counts need, before allocating anything of their size.
  const std::uint64_t lists_bytes = std::uint64_t{covered} * 4 + (std::uint64_t{covered} + 1) * 8;
  if (size < kHeaderBytes + lists_bytes + 4) {
    return corrupt("file is truncated or damaged (" + std::to_string(size) + " bytes, its " +
                   std::to_string(covered) + " " + Words(kKind).items + " need at least " +
                   std::to_string(kHeaderBytes + lists_bytes + 4) + ")");
  }
  NeighborTable t;
  t.items_.resize(covered);
  t.offsets_.resize(std::size_t{covered} + 1);
  in.read(reinterpret_cast<char*>(t.items_.data()),
          static_cast<std::streamsize>(t.items_.size() * sizeof(Id)));
  in.read(reinterpret_cast<char*>(t.offsets_.data()),
          static_cast<std::streamsize>(t.offsets_.size() * sizeof(std::uint64_t)));
  if (!in) return corrupt("file is truncated");
  const std::uint64_t hit_count = t.offsets_.back();
  const std::uint64_t hits_bytes = size - (kHeaderBytes + lists_bytes + 4);
  if (hits_bytes % sizeof(Neighbor) != 0 || hit_count != hits_bytes / sizeof(Neighbor)) {
    return corrupt("file is truncated or damaged (" + std::to_string(size) +
                   " bytes; its offsets count " + std::to_string(hit_count) + " hits, the file holds " +
                   std::to_string(hits_bytes / sizeof(Neighbor)) + ")");
  }
  t.hits_.resize(hit_count);
  in.read(reinterpret_cast<char*>(t.hits_.data()),
          static_cast<std::streamsize>(t.hits_.size() * sizeof(Neighbor)));
  std::uint32_t stored_crc = 0;
  in.read(reinterpret_cast<char*>(&stored_crc), sizeof stored_crc);
  if (!in) return corrupt("file is truncated");
  std::uint32_t crc = Crc32(0, header, kHeaderBytes);
  crc = Crc32(crc, t.items_.data(), t.items_.size() * sizeof(Id));
  crc = Crc32(crc, t.offsets_.data(), t.offsets_.size() * sizeof(std::uint64_t));
  crc = Crc32(crc, t.hits_.data(), t.hits_.size() * sizeof(Neighbor));
  if (crc != stored_crc) return corrupt("checksum mismatch (the file is damaged or truncated)");

  t.key_ = KeyFromHeader(header, kKind);
  t.config_digest_ = Get<std::uint32_t>(header, 40);
  if (t.key_ != expected) {
    return Status::InvalidArgument(name + " does not match the model: " +
                                   DescribeKeyMismatch(expected, t.key_) +
                                   "; `partnergraph precompute --model " +
                                   path.parent_path().string() + "` rewrites it");
  }
  if (std::string bad = t.BuildSlots(); !bad.empty()) return corrupt(bad);
  return t;
}

Result<NeighborFileInfo> ReadNeighborFileInfo(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path.string());
  char header[kHeaderBytes];
  if (!in.read(header, 12)) return Status::Corruption(name + ": file is truncated");
  NeighborFileInfo info;
  if (std::memcmp(header, kSkuMagic, sizeof kSkuMagic) == 0) {
    info.key.kind = NeighborKind::kSkus;
  } else if (std::memcmp(header, kMerchantMagic, sizeof kMerchantMagic) == 0) {
    info.key.kind = NeighborKind::kMerchants;
  } else {
    return Status::Corruption(name + ": not a neighbour file (bad magic)");
  }
  if (const auto version = Get<std::uint32_t>(header, 8); version != kNeighborFormatVersion) {
    return Status::Corruption(name + ": " + VersionMessage(version, path));
  }
  if (!in.read(header + 12, kHeaderBytes - 12)) {
    return Status::Corruption(name + ": file is truncated");
  }
  info.key = KeyFromHeader(header, info.key.kind);
  info.covered = Get<std::uint32_t>(header, 36);
  info.config_digest = Get<std::uint32_t>(header, 40);
  return info;
}

template class NeighborTable<SkuId>;
template class NeighborTable<MerchantId>;

}  // namespace partnergraph
