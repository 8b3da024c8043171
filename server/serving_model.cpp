// ServingModel: the current model and its swap (serving_model.hpp).
#include "serving_model.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <utility>

#include "partnergraph/engine/live_state.hpp"

namespace partnergraph::server {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Applies the log's events after the LiveState's applied sequence (up to the log's last at the
// time of the call) to it; the number applied.
Result<std::uint64_t> CatchUp(const EventLog& log, LiveState& live) {
  std::uint64_t applied = 0;
  PG_RETURN_IF_ERROR(log.Replay(live.applied_sequence(), [&](EventSequence seq, const Event& e) {
    live.Apply(seq, e);
    ++applied;
    return Status::Ok();
  }));
  return applied;
}

}  // namespace

EventHooks LiveHooks(const std::shared_ptr<LiveState>& live) {
  EventHooks hooks;
  hooks.check = [live](std::span<const Event> batch, const std::vector<bool>& recorded) {
    return live->Check(batch, recorded);
  };
  hooks.apply = [live](EventSequence sequence, const Event& event) {
    live->Apply(sequence, event);
  };
  return hooks;
}

ServingModel::ServingModel(std::shared_ptr<const Engine> engine, std::shared_ptr<EventLog> events,
                           std::filesystem::path dir, EngineOpener opener, EngineOptions options)
    : dir_(std::move(dir)),
      opener_(std::move(opener)),
      options_(options),
      events_(std::move(events)),
      current_(std::move(engine)) {}

ServingModel::~ServingModel() {
  {
    std::lock_guard lock(watch_mu_);
    stop_watching_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const Engine> ServingModel::Current() const {
  std::lock_guard lock(current_mu_);
  return current_;
}

Result<ReloadReport> ServingModel::Reload() {
  if (!opener_) return Status::Unavailable("this server cannot reload its model");
  std::lock_guard reload_lock(reload_mu_);
  ReloadReport report;
  auto started = std::chrono::steady_clock::now();
  PG_ASSIGN_OR_RETURN(std::shared_ptr<const Engine> engine, opener_(dir_, options_));
  const EngineStats stats = engine->Stats();
  report.model = fmt::format("{} (built {})", stats.model_dir, stats.built_at);
  report.open_seconds = SecondsSince(started);
  started = std::chrono::steady_clock::now();
  std::shared_ptr<LiveState> live = engine->live();
  if (live) report.model_event_sequence = live->model_sequence();
  if (!events_) {
    std::lock_guard lock(current_mu_);
    current_ = std::move(engine);
    report.swap_seconds = SecondsSince(started);
    return report;
  }
  if (!live) {
    return Status::InvalidArgument(
        fmt::format("{}: the new model takes no live events, but this server records them", report.model));
  }
  if (events_->last_sequence() < live->model_sequence()) {
    return Status::InvalidArgument(fmt::format(
        "{}: the model includes events up to {} but the event log {} ends at {}: it was not built "
        "from this server's log",
        report.model, live->model_sequence(), events_->dir().string(), events_->last_sequence()));
  }
  // 1. Most of the catch-up while the old model serves and records.
  PG_ASSIGN_OR_RETURN(report.events_replayed, CatchUp(*events_, *live));
  // 2. The rest, the hooks and the swap, with commits held back.
  PG_RETURN_IF_ERROR(events_->RunExclusive([&]() -> Status {
    PG_ASSIGN_OR_RETURN(const std::uint64_t more, CatchUp(*events_, *live));
    report.events_replayed += more;
    events_->SetHooks(LiveHooks(live));
    std::lock_guard lock(current_mu_);
    current_ = std::move(engine);
    return Status::Ok();
  }));
  report.swap_seconds = SecondsSince(started);
  return report;
}

ServingModel::FileIdentity ServingModel::ManifestIdentity() const {
  struct stat st {};
  FileIdentity id;
  if (::stat((dir_ / "manifest.json").c_str(), &st) != 0) return id;
  id.present = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = static_cast<std::uint64_t>(st.st_size);
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

void ServingModel::Watch(std::chrono::milliseconds interval) {
  watcher_ = std::thread([this, interval] { WatchLoop(interval); });
}

void ServingModel::WatchLoop(std::chrono::milliseconds interval) {
  FileIdentity served = ManifestIdentity();
  FileIdentity failed;  // the last folder that could not be opened: not tried again
  for (;;) {
    {
      std::unique_lock lock(watch_mu_);
      if (watch_cv_.wait_for(lock, interval, [this] { return stop_watching_; })) return;
    }
    const FileIdentity now = ManifestIdentity();
    if (!now.present || now == served || now == failed) continue;
    Result<ReloadReport> reloaded = Reload();
    if (!reloaded.ok()) {
      // The old model keeps serving; this folder is tried again once it changes.
      spdlog::warn("--watch: cannot reload {} (still serving the previous model): {}",
                   dir_.string(), reloaded.status().ToString());
      failed = now;
      continue;
    }
    served = now;
    spdlog::info("--watch: now serving {} (model includes events up to {}; {} replayed; opened "
                 "in {:.3f} s, swapped in {:.3f} s)",
                 reloaded->model, reloaded->model_event_sequence, reloaded->events_replayed,
                 reloaded->open_seconds, reloaded->swap_seconds);
  }
}

}  // namespace partnergraph::server
