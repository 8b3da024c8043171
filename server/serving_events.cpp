// OpenServingEventLog: the serving process's event log, opened and replayed
// (serving_events.hpp).
#include "serving_events.hpp"

#include <fmt/format.h>

#include <chrono>

#include "partnergraph/engine/live_state.hpp"
#include "serving_model.hpp"

namespace partnergraph::server {

Result<std::shared_ptr<EventLog>> OpenServingEventLog(const std::filesystem::path& dir,
                                                      const Engine& engine, ReplayReport* report) {
  std::shared_ptr<LiveState> live = engine.live();
  if (!live) {
    return Status::InvalidArgument(
        fmt::format("--events {}: this model takes no live events", dir.string()));
  }
  PG_ASSIGN_OR_RETURN(std::unique_ptr<EventLog> log, EventLog::Open(dir, {}, LiveHooks(live)));
  const std::uint64_t from = live->model_sequence();
  if (log->last_sequence() < from) {
    return Status::InvalidArgument(fmt::format(
        "--events {}: the log ends at event {} but the model already includes events up to {}: "
        "it is not the log this model was built from",
        dir.string(), log->last_sequence(), from));
  }
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t replayed = 0;
  PG_RETURN_IF_ERROR(log->Replay(from, [&](EventSequence sequence, const Event& event) {
    live->Apply(sequence, event);
    ++replayed;
    return Status::Ok();
  }));
  if (report != nullptr) {
    report->from_sequence = from;
    report->to_sequence = log->last_sequence();
    report->events = replayed;
    report->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  return std::shared_ptr<EventLog>(std::move(log));
}

}  // namespace partnergraph::server
