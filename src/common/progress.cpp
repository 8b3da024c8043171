#include "partnergraph/common/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace partnergraph {

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::Advance(std::uint64_t n) {
  std::uint64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  if (!enabled_) return;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now() - start_)
                 .count();
  auto last = last_draw_ns_.load(std::memory_order_relaxed);
  if (now - last < 100'000'000) return;
  if (!last_draw_ns_.compare_exchange_strong(last, now)) return;
  Draw(done, false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) Draw(done_.load(), true);
}

void Progress::Draw(std::uint64_t done, bool final_line) {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (total_ > 0) {
    std::fprintf(stderr, "\r%s: %llu/%llu (%.0f%%) %.1fs%s", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 100.0 * static_cast<double>(done) / static_cast<double>(total_), secs,
                 final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "\r%s: %llu %.1fs%s", label_.c_str(),
                 static_cast<unsigned long long>(done), secs, final_line ? "\n" : "");
  }
  std::fflush(stderr);
}

}  // namespace partnergraph
