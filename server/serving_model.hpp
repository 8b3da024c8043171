// ServingModel: the model a serving process answers from, and its swap to a newer build of the
// same folder without downtime (issue 14 "Fresh models", docs/events.md "Fresh models").
//
// Every call takes Current() once and answers from that Engine to its end, so a swap never
// mixes two models in one answer; the old Engine is freed when its last call ends.
//
// Reload() opens the model folder again (a `partnergraph build --out` of the same folder
// publishes a new model there in one step, model_folder.hpp), and, with an event log:
//   1. replays the log past the new model's event_sequence into the new model's LiveState while
//      the old model keeps serving and recording;
//   2. inside EventLog::RunExclusive (no batch commits meanwhile): replays the few events
//      recorded during step 1, points the log's hooks at the new LiveState, and publishes the
//      new Engine.
// So every event is applied to the new model exactly once, and a call after the swap sees every
// event acknowledged before it. A failure at any step leaves the old model serving (and its
// hooks in place). A model whose event_sequence is past the log's end was not built from this
// log: refused.
//
// Watch() polls the folder's manifest.json (device, inode, modification time, size: a publish
// always writes a new file) and reloads when it changes; a reload that fails is logged, the
// old model keeps serving, and that folder is not tried again until it changes.
//
// Thread safety: Current() from any thread at any time; Reload() from any thread (one at a
// time: a second waits for the first). Watch() once; the destructor stops the watcher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/live_state.hpp"
#include "partnergraph/events/event_log.hpp"

namespace partnergraph::server {

// Opens a model folder (Engine::Open in the server; a fixture in tests).
using EngineOpener = std::function<Result<std::shared_ptr<const Engine>>(
    const std::filesystem::path& dir, const EngineOptions& options)>;

struct ReloadReport {
  std::string model;  // "<folder> (built <date>)"
  std::uint64_t model_event_sequence = 0;
  std::uint64_t events_replayed = 0;
  double open_seconds = 0;
  double swap_seconds = 0;
};

// The event log's hooks for a model's LiveState: check every batch against it, apply every
// durable event to it.
EventHooks LiveHooks(const std::shared_ptr<LiveState>& live);

class ServingModel {
 public:
  // `engine` must not be null. `events`: the log it was opened with (hooks on engine's
  // LiveState, replayed: OpenServingEventLog), or null. Without `opener`, Reload() is
  // Unavailable (a server built around a fixture engine).
  ServingModel(std::shared_ptr<const Engine> engine, std::shared_ptr<EventLog> events,
               std::filesystem::path dir = {}, EngineOpener opener = nullptr,
               EngineOptions options = {});
  ~ServingModel();
  ServingModel(const ServingModel&) = delete;
  ServingModel& operator=(const ServingModel&) = delete;

  std::shared_ptr<const Engine> Current() const;
  // The event log (null: none). Its hooks follow the current model.
  const std::shared_ptr<EventLog>& events() const { return events_; }

  // See the top. Errors: Unavailable without an opener; the opener's (the folder named);
  // InvalidArgument when the new model takes no events but the server has a log, or its
  // event_sequence is past the log's end; Corruption from the log's replay.
  Result<ReloadReport> Reload();

  // Starts polling the folder every `interval` (see the top). Returns at once.
  void Watch(std::chrono::milliseconds interval);

 private:
  struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool present = false;
    bool operator==(const FileIdentity&) const = default;
  };
  FileIdentity ManifestIdentity() const;
  void WatchLoop(std::chrono::milliseconds interval);

  std::filesystem::path dir_;
  EngineOpener opener_;
  EngineOptions options_;
  std::shared_ptr<EventLog> events_;

  mutable std::mutex current_mu_;  // guards current_ (a copy per call: a few ns)
  std::shared_ptr<const Engine> current_;
  std::mutex reload_mu_;  // one Reload at a time

  std::mutex watch_mu_;  // guards stop_watching_
  std::condition_variable watch_cv_;
  bool stop_watching_ = false;
  std::thread watcher_;
};

}  // namespace partnergraph::server
