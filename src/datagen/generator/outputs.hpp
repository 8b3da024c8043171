// Output plumbing of the generator: the CSV files of one run (committed
// together) and the ordered parallel block loop. Private to src/datagen.
#pragma once

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph::generator_internal {

class Outputs {
 public:
  explicit Outputs(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<CsvWriter*> Open(const std::string& relative,
                          std::initializer_list<std::string_view> header) {
    PG_ASSIGN_OR_RETURN(CsvWriter w, CsvWriter::Create(dir_ / relative));
    writers_.push_back(std::make_unique<CsvWriter>(std::move(w)));
    PG_RETURN_IF_ERROR(writers_.back()->WriteRow(header));
    return writers_.back().get();
  }
  // Commits every writer; on error the remaining temporary files are removed.
  Status CommitAll(std::uint64_t* bytes) {
    for (auto& w : writers_) {
      *bytes += w->bytes();
      PG_RETURN_IF_ERROR(w->Commit());
    }
    return Status::Ok();
  }

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<CsvWriter>> writers_;
};

// Runs produce(block) for blocks 0..n-1 in parallel and consume(result) in
// block order on one thread at a time; stops at the first consume error.
template <typename Out, typename Produce, typename Consume>
Status RunOrdered(std::uint64_t n_blocks, Produce&& produce, Consume&& consume) {
  if (n_blocks == 0) return Status::Ok();
  std::uint64_t next = 0;
  Status status;
  const std::size_t tokens =
      2 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()) + 2;
  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, std::uint64_t>(tbb::filter_mode::serial_in_order,
                                                    [&](tbb::flow_control& fc) -> std::uint64_t {
                                                      if (next >= n_blocks || !status.ok()) {
                                                        fc.stop();
                                                        return 0;
                                                      }
                                                      return next++;
                                                    }) &
                  tbb::make_filter<std::uint64_t, Out*>(
                      tbb::filter_mode::parallel,
                      [&](std::uint64_t block) -> Out* { return new Out(produce(block)); }) &
                  tbb::make_filter<Out*, void>(tbb::filter_mode::serial_in_order, [&](Out* out) {
                    std::unique_ptr<Out> owned(out);
                    if (status.ok()) status = consume(*owned);
                  }));
  return status;
}

// Merchants per block of the merchant-level files that are generated in parallel.
inline constexpr std::uint64_t kMerchantsPerBlock = 2048;

struct TextBlock {
  std::string text;
  std::uint64_t rows = 0;
};

}  // namespace partnergraph::generator_internal
