// The one place where a Status becomes a typed Thrift exception (STYLE.md "Errors").
//
// Table (docs/serving.md repeats it):
//   NotFound          -> NotFound           (InvalidArgument when the call does not declare it)
//   InvalidArgument   -> InvalidArgument    (Unavailable when not declared)
//   PermissionDenied  -> PermissionDenied   (every call declares it)
//   Unavailable       -> Unavailable        (every call declares it)
//   Corruption, IOError, Internal -> Unavailable("internal error ...") : the details stay in the
//                        server log, never reach the caller (they may name files or other tenants)
//
// Thread safety: stateless; call from any thread.
#pragma once

#include <cstdint>

#include "partnergraph/common/status.hpp"

namespace partnergraph::server {

// The typed exceptions one call declares in the IDL, as a bit set.
enum Declared : std::uint8_t {
  kDeclaresNotFound = 1,
  kDeclaresInvalidArgument = 2,
  kDeclaresPermissionDenied = 4,
  kDeclaresUnavailable = 8,
  kDeclaresAll = 15,
};

// The exception type a non-OK `status` maps to for a call declaring `declared`.
enum class WireError { kNotFound, kInvalidArgument, kPermissionDenied, kUnavailable };
WireError MapStatus(Status::Code code, std::uint8_t declared);

// True for the codes that mean a fault inside the server rather than a bad request.
bool IsInternalFault(Status::Code code);

// Throws the typed Thrift exception for `status` (which must not be OK). The message is the
// status's message, except for internal faults, whose message is generic.
[[noreturn]] void ThrowAsThrift(const Status& status, std::uint8_t declared);

}  // namespace partnergraph::server
