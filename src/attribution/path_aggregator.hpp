// Internal: per-chunk aggregation of paths, and the in-order merge of chunks
// into a JourneyTable of distinct paths (used by the path-file and binary
// readers).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "partnergraph/attribution/journey_table.hpp"

namespace partnergraph::attribution_internal {

// The distinct paths of one chunk with their summed weights (summed in line
// order), plus the chunk's line count and its first error.
struct ChunkPaths {
  // Names of the chunk's local channel ids, in order of first appearance. Left
  // empty when the ids are already global (binary files).
  std::vector<std::string> channels;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> touches;
  std::vector<double> conversions;
  std::vector<double> value;
  std::vector<double> nulls;
  std::uint64_t lines = 0;       // lines (or records) consumed
  std::uint64_t rows = 0;        // data rows aggregated
  std::uint64_t error_line = 0;  // 1-based within the chunk, when `error` is set
  std::string error;

  std::uint32_t AddPath(std::span<const std::uint32_t> ids) {
    touches.insert(touches.end(), ids.begin(), ids.end());
    offsets.push_back(touches.size());
    conversions.push_back(0);
    value.push_back(0);
    nulls.push_back(0);
    return static_cast<std::uint32_t>(conversions.size() - 1);
  }
  void Add(std::uint32_t path, double c, double v, double n) {
    conversions[path] += c;
    value[path] += v;
    nulls[path] += n;
  }
};

// Merges chunks in the order they are given. Channel ids follow the order of
// first appearance across chunks, paths too; weights of a path are summed in
// chunk order. Not synchronised.
class PathMerger {
 public:
  // For chunks with global ids: the key names.
  void SetKeys(std::vector<std::string> keys) {
    table_.keys = std::move(keys);
    for (std::uint32_t i = 0; i < table_.keys.size(); ++i) key_index_.emplace(table_.keys[i], i);
  }

  void Merge(const ChunkPaths& chunk) {
    remap_.clear();
    for (const std::string& name : chunk.channels) {
      auto [it, inserted] =
          key_index_.try_emplace(name, static_cast<std::uint32_t>(table_.keys.size()));
      if (inserted) table_.keys.push_back(name);
      remap_.push_back(it->second);
    }
    const bool global = chunk.channels.empty();
    for (std::size_t i = 0; i < chunk.conversions.size(); ++i) {
      key_.clear();
      for (std::uint64_t t = chunk.offsets[i]; t < chunk.offsets[i + 1]; ++t) {
        std::uint32_t id = chunk.touches[t];
        key_.push_back(static_cast<char32_t>(global ? id : remap_[id]));
      }
      auto [it, inserted] =
          path_index_.try_emplace(key_, static_cast<std::uint32_t>(table_.path_count()));
      if (inserted) {
        ids_.assign(key_.begin(), key_.end());
        table_.AddPath(ids_, chunk.conversions[i], chunk.value[i], chunk.nulls[i]);
      } else {
        table_.conversions[it->second] += chunk.conversions[i];
        table_.value[it->second] += chunk.value[i];
        table_.nulls[it->second] += chunk.nulls[i];
      }
    }
    table_.input_rows += chunk.rows;
  }

  JourneyTable Finish() && { return std::move(table_); }

 private:
  JourneyTable table_;
  std::unordered_map<std::string, std::uint32_t> key_index_;
  std::unordered_map<std::u32string, std::uint32_t> path_index_;
  std::vector<std::uint32_t> remap_;
  std::vector<std::uint32_t> ids_;
  std::u32string key_;
};

}  // namespace partnergraph::attribution_internal
