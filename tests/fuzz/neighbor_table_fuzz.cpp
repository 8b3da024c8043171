// Fuzz target: NeighborTable<SkuId>::Load, NeighborTable<MerchantId>::Load and
// ReadNeighborFileInfo (recommend/neighbor_table.hpp), the loaders of sku_neighbors.bin and
// merchant_neighbors.bin.
//
// Input: the file's bytes; the container's checksums are rewritten to match (fuzz_support.hpp).
// Load is given the key the file's own header records, as if the model matched, so that the lists
// are checked (BuildSlots). The item count comes from the graph in a real model (Load allocates
// a slot per item), so a header claiming more than kMaxItems is given the tiny model's count
// instead (Load must refuse the file). A file that loads is read back through Find for every
// item: each list must lie inside the stored hits.
// Seeds: both files of a `partnergraph build --data datasets/tiny` model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {

constexpr std::uint32_t kMaxItems = 1u << 16;
constexpr std::uint32_t kTinyItems = 6;

template <typename Id>
void LoadAndRead(const std::filesystem::path& path, NeighborKey expected) {
  Result<NeighborTable<Id>> table = NeighborTable<Id>::Load(path, expected);
  if (!table.ok()) return;
  if (!(table->key() == expected)) std::abort();
  std::size_t sink = table->MemoryBytes() + table->config_digest();
  std::uint32_t covered = 0;
  for (std::uint32_t i = 0; i < expected.item_count; ++i) {
    const auto hits = table->Find(Id(i));
    if (!hits) continue;
    ++covered;
    if (hits->size() > expected.k) std::abort();
    for (const Neighbor& n : *hits) {
      if (n.id >= expected.item_count) std::abort();
      sink += n.id;
    }
  }
  if (covered != table->covered()) std::abort();
  volatile std::size_t keep = sink;
  (void)keep;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes = AsString(data, size);
  FixContainerChecksums(bytes);
  const auto path = WriteScratchFile("neighbors.bin", bytes);
  Result<NeighborFileInfo> info = ReadNeighborFileInfo(path);
  NeighborKey key;
  if (info.ok()) {
    key = info->key;
    if (key.item_count > kMaxItems) key.item_count = kTinyItems;
  } else {
    key.k = 4;
    key.item_count = kTinyItems;
  }
  key.kind = NeighborKind::kSkus;
  LoadAndRead<SkuId>(path, key);
  key.kind = NeighborKind::kMerchants;
  LoadAndRead<MerchantId>(path, key);
  (void)DescribeKeyMismatch(NeighborKey{}, key);
  return 0;
}
