// The event log of a serving process (docs/events.md "Restart"): opened with the Engine's
// LiveState as its hooks (every batch checked against the model, every durable event applied to
// the answers), and replayed past the model's last event before the server listens, so that
// Health's first "ok" already reflects every acknowledged event.
//
// Thread safety: call once, before serving.
#pragma once

#include <filesystem>
#include <memory>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/events/event_log.hpp"

namespace partnergraph::server {

struct ReplayReport {
  std::uint64_t from_sequence = 0;  // the model's last event (replay starts after it)
  std::uint64_t to_sequence = 0;    // the log's last
  std::uint64_t events = 0;
  double seconds = 0;
};

// Opens (creating when absent) the event log in `dir` for `engine` and replays it. Errors:
// InvalidArgument when the Engine takes no events or the log ends before the model's last event
// (the log of another model); the log's own errors (IOError, Unavailable when another process
// holds it, Corruption) with the folder named.
Result<std::shared_ptr<EventLog>> OpenServingEventLog(const std::filesystem::path& dir,
                                                      const Engine& engine,
                                                      ReplayReport* report = nullptr);

}  // namespace partnergraph::server
