// CallEvents: per-call counting and logging of the PartnerGraph service, as the Thrift
// TProcessorEventHandler of the processor (ServingProcessor sets it), instead of in every
// handler method.
//
// A call is counted once the handler has answered it: served when it returned an answer,
// failed when it raised one of its typed exceptions (the handler reports which through
// CallRecord). A failure is logged with the call, the caller and the Status: at error level for
// a fault inside the server (IsInternalFault), at debug level otherwise. A call whose bytes do
// not parse never reaches the handler and is not counted (the connection logs it).
//
// Thread safety: CallEvents and CallCounters may be used from any number of threads at once.
// Thrift runs one call on one thread, from getContext to freeContext: the CallRecord of that
// call is the thread's own.
#pragma once

#include <thrift/TProcessor.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/api_keys.hpp"

namespace partnergraph::server {

// The calls counted since the server started (Stats answers them).
struct CallCounters {
  std::atomic<std::int64_t> served{0};
  std::atomic<std::int64_t> failed{0};
};

// What the handler tells CallEvents about the call it is answering.
class CallRecord {
 public:
  // The record of the call this thread is answering through a processor with CallEvents, or
  // null (a handler method called directly, as tests do).
  static CallRecord* Current();

  // The handler answered: `caller` is null when authentication failed, `status` is OK for an
  // answer, else the error the caller gets. `caller` must outlive the call.
  void Answered(const Principal* caller, Status status) {
    answered_ = true;
    caller_ = caller;
    status_ = std::move(status);
  }

 private:
  friend class CallEvents;
  bool answered_ = false;
  const Principal* caller_ = nullptr;
  Status status_;
};

class CallEvents final : public apache::thrift::TProcessorEventHandler {
 public:
  explicit CallEvents(std::shared_ptr<CallCounters> counters);

  // Starts this thread's CallRecord for `fn_name` ("PartnerGraph.Health").
  void* getContext(const char* fn_name, void* server_context) override;
  // Counts and logs the call (when the handler answered it) and ends its CallRecord.
  void freeContext(void* ctx, const char* fn_name) override;

 private:
  std::shared_ptr<CallCounters> counters_;
};

// The method name of a processor's function name: "Health" for "PartnerGraph.Health".
std::string_view MethodName(std::string_view fn_name);

}  // namespace partnergraph::server
