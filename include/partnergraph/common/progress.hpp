// Progress: a one-line progress display on stderr for long steps.
// It draws only when stderr is a terminal (so logs and pipes stay clean) and
// at most every 100 ms. Thread safety: Advance() may be called from many
// threads at once; the other members from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace partnergraph {

class Progress {
 public:
  // `total` 0 means unknown (the display shows a count, not a percentage).
  Progress(std::string label, std::uint64_t total);
  ~Progress();  // calls Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Advance(std::uint64_t n = 1);
  // Draws the final state and ends the line (once).
  void Finish();
  // Whether anything is drawn (stderr is a terminal).
  bool enabled() const { return enabled_; }
  // Units advanced so far and the total given; readable from any thread (a job's status).
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t total() const { return total_; }

 private:
  void Draw(std::uint64_t done, bool final_line);
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::int64_t> last_draw_ns_{0};
  std::mutex draw_mutex_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace partnergraph
