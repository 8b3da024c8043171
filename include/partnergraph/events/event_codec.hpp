// The event log's record format: one Event as bytes (docs/formats.md "Event log records").
//
//   u8 record version (kEventRecordVersion) | u8 kind (EventKind) | varint length + event id |
//   the kind's fields in declaration order
// Texts are a varint byte count and the bytes; unsigned integers are LEB128 varints; a
// Timestamp is a zig-zag varint; a double is its 8 IEEE-754 bytes, little-endian; an optional
// field is a u8 presence flag (0 or 1) and then the value; an enum is a u8 in its range.
//
// Why by hand: the log is on the path of every acknowledged event and of the replay (goal >= 1M
// events/s), the records must not depend on the server's generated Thrift types (STYLE.md: only
// server/ includes them), and the format is seven flat structs: a general serialisation library
// would add a schema compiler or a DOM for what is fifty lines of varints.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"
#include "partnergraph/events/event.hpp"

namespace partnergraph {

inline constexpr std::uint8_t kEventRecordVersion = 1;

// Appends the record of `event` to *out.
void EncodeEvent(const Event& event, std::string* out);

// The event a record holds. Corruption naming what is wrong (an unknown version or kind, a
// length past the end, an enum out of range, bytes left over); never reads past `record`.
Result<Event> DecodeEvent(std::string_view record);

}  // namespace partnergraph
