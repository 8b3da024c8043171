#include "partnergraph/recommend/neighbor_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <type_traits>

#include "partnergraph/common/binary_container.hpp"

namespace partnergraph {
namespace {

static_assert(sizeof(Neighbor) == 8 && std::is_trivially_copyable_v<Neighbor> &&
                  offsetof(Neighbor, score) == 4,
              "a stored hit is (u32 id, f32 score)");
static_assert(sizeof(SkuId) == 4 && std::is_trivially_copyable_v<SkuId>);
static_assert(sizeof(MerchantId) == 4 && std::is_trivially_copyable_v<MerchantId>);

constexpr char kSkuMagic[8] = {'P', 'G', 'S', 'K', 'U', 'N', 'B', 'R'};
constexpr char kMerchantMagic[8] = {'P', 'G', 'M', 'E', 'R', 'N', 'B', 'R'};

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

// A file's container format; an old version names the command that rewrites it.
ContainerFormat Format(NeighborKind kind, const std::filesystem::path& path) {
  return {std::string_view(Magic(kind), sizeof kSkuMagic),
          kind == NeighborKind::kSkus ? "SKU neighbour" : "merchant neighbour",
          kNeighborFormatVersion,
          fmt::format("`partnergraph precompute --model {}` rewrites it, or rebuild the model",
                      path.parent_path().string())};
}

// The header section of an opened file of `kind`.
Result<NeighborFileInfo> ReadHeader(const BinaryContainerReader& file, NeighborKind kind) {
  PG_ASSIGN_OR_RETURN(ByteReader r, file.Records("header"));
  NeighborFileInfo info;
  info.key.kind = kind;
  PG_RETURN_IF_ERROR(r.Read(&info.key.k, "k"));
  PG_RETURN_IF_ERROR(r.Read(&info.key.ef_search, "efSearch"));
  PG_RETURN_IF_ERROR(r.Read(&info.key.item_count, "the item count"));
  PG_RETURN_IF_ERROR(r.Read(&info.key.index_fingerprint, "the index fingerprint"));
  PG_RETURN_IF_ERROR(r.Read(&info.key.index_checksum, "the index checksum"));
  PG_RETURN_IF_ERROR(r.Read(&info.covered, "the covered count"));
  PG_RETURN_IF_ERROR(r.Read(&info.config_digest, "the config digest"));
  return info;
}

std::string Hex(std::uint64_t v, int digits) { return fmt::format("{:#0{}x}", v, digits + 2); }

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
    add(fmt::format("holds {} lists but the model asks {} lists", Words(actual.kind).item,
                    Words(expected.kind).item));
    return out;
  }
  const KindWords w = Words(expected.kind);
  if (actual.k != expected.k) {
    add(fmt::format("computed for k {} ({} {}) but the model asks {} ({} {})", actual.k,
                    w.candidates, actual.k - 1, expected.k, w.candidates, expected.k - 1));
  }
  if (actual.ef_search != expected.ef_search) {
    add(fmt::format("computed with {} {} but the model's is {}", w.ef_search, actual.ef_search,
                    expected.ef_search));
  }
  if (actual.item_count != expected.item_count) {
    add(fmt::format("computed for {} {} but the graph has {}", actual.item_count, w.items,
                    expected.item_count));
  }
  if (actual.index_fingerprint != expected.index_fingerprint) {
    add(fmt::format("computed for a {} of another graph (fingerprint {} != {})", w.index,
                    Hex(actual.index_fingerprint, 16), Hex(expected.index_fingerprint, 16)));
  } else if (actual.index_checksum != expected.index_checksum) {
    add(fmt::format("computed on another {} (index checksum {} != {})", w.index,
                    Hex(actual.index_checksum, 8), Hex(expected.index_checksum, 8)));
  }
  return out;
}

template <typename Id>
Result<NeighborTable<Id>> NeighborTable<Id>::FromLists(NeighborKey key, std::vector<Id> items,
                                                       std::vector<std::uint64_t> offsets,
                                                       std::vector<Neighbor> hits) {
  const std::string what = fmt::format("{} neighbour lists: ", Words(kKind).item);
  if (key.kind != kKind) {
    return Status::InvalidArgument(fmt::format("{}a key of {} lists", what, Words(key.kind).item));
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
  const std::string items = fmt::format("{} {}", key_.item_count, w.items);
  if (offsets_.size() != items_.size() + 1) {
    return fmt::format("{} offsets for {} {} (expected one more)", offsets_.size(), items_.size(),
                       w.items);
  }
  if (offsets_.front() != 0 || offsets_.back() != hits_.size()) {
    return fmt::format("the offsets do not span the {} hits", hits_.size());
  }
  slot_.assign(key_.item_count, kNoSlot);
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const std::uint32_t s = items_[i].value;
    const std::string name = fmt::format("{} {}", w.item, s);
    if (s >= key_.item_count) return fmt::format("{} is beyond the {}", name, items);
    if (i > 0 && !(items_[i - 1] < items_[i])) {
      return fmt::format("the {} ids are not ascending at {}", w.item, name);
    }
    // Each offset inside the hits, ascending: a damaged middle offset past the last one would
    // make Find read past the hits.
    if (offsets_[i + 1] > hits_.size()) {
      return fmt::format("{}: offset {} is past the {} hits", name, offsets_[i + 1], hits_.size());
    }
    if (offsets_[i + 1] < offsets_[i] || offsets_[i + 1] - offsets_[i] > key_.k) {
      return fmt::format("{}: {} hits for k {}", name, offsets_[i + 1] - offsets_[i], key_.k);
    }
    for (std::uint64_t h = offsets_[i]; h < offsets_[i + 1]; ++h) {
      if (hits_[h].id >= key_.item_count) {
        return fmt::format("{}: hit {} is beyond the {}", name, hits_[h].id, items);
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
  ByteWriter header;
  header.Put(key_.k);
  header.Put(key_.ef_search);
  header.Put(key_.item_count);
  header.Put(key_.index_fingerprint);
  header.Put(key_.index_checksum);
  header.Put(covered());
  header.Put(config_digest);
  BinaryContainerWriter file(Format(kKind, path));
  file.AddBytes("header", header.data());
  file.AddArray<Id>("items", items_);
  file.AddArray<std::uint64_t>("offsets", offsets_);
  file.AddArray<Neighbor>("hits", hits_);
  return file.Write(path).status();
}

template <typename Id>
Result<NeighborTable<Id>> NeighborTable<Id>::Load(const std::filesystem::path& path,
                                                  const NeighborKey& expected) {
  const std::string name = path.filename().string();
  PG_ASSIGN_OR_RETURN(auto file, BinaryContainerReader::Open(path, Format(kKind, path),
                                                             ContainerCheck::kWhole, name));
  PG_ASSIGN_OR_RETURN(NeighborFileInfo info, ReadHeader(file, kKind));
  NeighborTable t;
  t.key_ = info.key;
  t.config_digest_ = info.config_digest;
  if (t.key_ != expected) {
    return Status::InvalidArgument(fmt::format(
        "{} does not match the model: {}; `partnergraph precompute --model {}` rewrites it", name,
        DescribeKeyMismatch(expected, t.key_), path.parent_path().string()));
  }
  PG_ASSIGN_OR_RETURN(auto items, file.Array<Id>("items"));
  PG_ASSIGN_OR_RETURN(auto offsets, file.Array<std::uint64_t>("offsets"));
  PG_ASSIGN_OR_RETURN(auto hits, file.Array<Neighbor>("hits"));
  if (items.size() != info.covered) {
    return Status::Corruption(fmt::format("{}: the header counts {} {}, section items holds {}",
                                          name, info.covered, Words(kKind).items, items.size()));
  }
  t.items_.assign(items.begin(), items.end());
  t.offsets_.assign(offsets.begin(), offsets.end());
  t.hits_.assign(hits.begin(), hits.end());
  PG_RETURN_IF_ERROR(file.CheckUnchanged());
  if (std::string bad = t.BuildSlots(); !bad.empty()) {
    return Status::Corruption(fmt::format("{}: {}", name, bad));
  }
  return t;
}

Result<NeighborFileInfo> ReadNeighborFileInfo(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  // The magic chooses the kind.
  char magic[sizeof kSkuMagic] = {};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError(fmt::format("cannot read {}", path.string()));
    in.read(magic, sizeof magic);
  }
  NeighborKind kind = NeighborKind::kSkus;
  if (std::memcmp(magic, kMerchantMagic, sizeof magic) == 0) {
    kind = NeighborKind::kMerchants;
  } else if (std::memcmp(magic, kSkuMagic, sizeof magic) != 0) {
    return Status::InvalidArgument(fmt::format("{}: not a neighbour file (bad magic)", name));
  }
  PG_ASSIGN_OR_RETURN(auto file, BinaryContainerReader::Open(path, Format(kind, path),
                                                             ContainerCheck::kHeader, name));
  return ReadHeader(file, kind);
}

template class NeighborTable<SkuId>;
template class NeighborTable<MerchantId>;

}  // namespace partnergraph
