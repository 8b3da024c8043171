#include "call_events.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "status_mapping.hpp"

namespace partnergraph::server {
namespace {

// The record of the call this thread is answering (set from getContext to freeContext); the
// storage is reused, so a call allocates nothing for it.
thread_local CallRecord this_thread_call;
thread_local CallRecord* current_call = nullptr;

}  // namespace

CallRecord* CallRecord::Current() { return current_call; }

std::string_view MethodName(std::string_view fn_name) {
  const std::size_t dot = fn_name.rfind('.');
  return dot == std::string_view::npos ? fn_name : fn_name.substr(dot + 1);
}

CallEvents::CallEvents(std::shared_ptr<CallCounters> counters) : counters_(std::move(counters)) {}

void* CallEvents::getContext(const char* /*fn_name*/, void* /*server_context*/) {
  this_thread_call = CallRecord();
  current_call = &this_thread_call;
  return current_call;
}

void CallEvents::freeContext(void* ctx, const char* fn_name) {
  current_call = nullptr;
  auto* call = static_cast<CallRecord*>(ctx);
  if (call == nullptr || !call->answered_) return;
  if (call->status_.ok()) {
    counters_->served.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters_->failed.fetch_add(1, std::memory_order_relaxed);
  const Principal* caller = call->caller_;
  const std::string who = caller == nullptr
                              ? std::string("unauthenticated caller")
                              : fmt::format("'{}' ({})", caller->name, caller->RoleString());
  const std::string_view method = MethodName(fn_name);
  if (IsInternalFault(call->status_.code())) {
    spdlog::error("{} by {} failed inside the server: {}", method, who, call->status_.ToString());
  } else {
    spdlog::debug("{} by {}: {}", method, who, call->status_.ToString());
  }
}

}  // namespace partnergraph::server
