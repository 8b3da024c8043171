#include "status_mapping.hpp"

#include <cassert>

#include "partnergraph_types.h"

namespace partnergraph::server {

bool IsInternalFault(Status::Code code) {
  return code == Status::Code::kCorruption || code == Status::Code::kIOError ||
         code == Status::Code::kInternal;
}

WireError MapStatus(Status::Code code, std::uint8_t declared) {
  switch (code) {
    case Status::Code::kNotFound:
      if (declared & kDeclaresNotFound) return WireError::kNotFound;
      [[fallthrough]];
    case Status::Code::kInvalidArgument:
      if (declared & kDeclaresInvalidArgument) return WireError::kInvalidArgument;
      return WireError::kUnavailable;
    case Status::Code::kPermissionDenied:
      return WireError::kPermissionDenied;
    case Status::Code::kOk:
    case Status::Code::kUnavailable:
    case Status::Code::kCorruption:
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      break;
  }
  return WireError::kUnavailable;
}

void ThrowAsThrift(const Status& status, std::uint8_t declared) {
  assert(!status.ok() && "ThrowAsThrift called with an OK status");
  const std::string message = IsInternalFault(status.code())
                                  ? "internal error while answering; the server logged the cause"
                                  : status.message();
  switch (MapStatus(status.code(), declared)) {
    case WireError::kNotFound: {
      rpc::NotFound e;
      e.__set_message(message);
      throw e;
    }
    case WireError::kInvalidArgument: {
      rpc::InvalidArgument e;
      e.__set_message(message);
      throw e;
    }
    case WireError::kPermissionDenied: {
      rpc::PermissionDenied e;
      e.__set_message(message);
      throw e;
    }
    case WireError::kUnavailable:
      break;
  }
  rpc::Unavailable e;
  e.__set_message(message);
  throw e;
}

}  // namespace partnergraph::server
