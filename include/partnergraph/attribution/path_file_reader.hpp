// Reading the aggregated path format into a JourneyTable of distinct paths.
//
// Format (../shared/datasets/attribution/README.md): one journey group per
// line, `path;total_conversions;total_conversion_value;total_null`, channels
// of the path joined by '>' (normally " > "; spaces and tabs around a channel
// name are trimmed). An optional first line starting with "path;" is a header.
// LF or CRLF line ends; the last line may lack its line end.
// The three numbers are decimal, finite and >= 0 (fractions are accepted).
// Rows repeating a path are aggregated (weights summed); a path with both
// conversions and nulls 0 is kept (it adds nothing to any model).
//
// Errors (InvalidArgument, "FILE:LINE: reason"; the first bad line in file
// order is reported, the load is refused):
//   wrong field count, blank line, empty path, empty channel name ("a >  > b"),
//   a number that is not a number, negative, not finite, or a channel not in
//   AttributionOptions::known_channels when that list is set.
//
// Streaming: a oneTBB pipeline reads the file in chunks of options.chunk_bytes
// (serially), parses each chunk into a per-chunk aggregate (in parallel) and
// merges the aggregates in file order (serially), with at most
// options.chunks_per_wave chunks in flight. Memory is bounded by the distinct
// paths and channels plus the chunks in flight, never by the rows.
// Channel ids are given in order of first appearance in the file; paths are
// listed in order of first appearance. The result is the same bytes whatever
// the number of threads (chunks do not depend on it; sums are in file order).
//
// Thread safety: the functions are reentrant; each call uses its own state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

// Reads the path file `path`. `progress` (may be null; not owned) is advanced
// by the bytes read. Errors: IOError when the file cannot be read (naming it),
// InvalidArgument for a malformed row (see above), InvalidArgument for invalid
// options.
Result<JourneyTable> ReadPathFile(const std::filesystem::path& path,
                                  const AttributionOptions& options,
                                  Progress* progress = nullptr);

// Parses `text` as if it were a path file named `display_name` (for tests and
// tools); same rules, errors and chunking as ReadPathFile.
Result<JourneyTable> ParsePathText(std::string_view text, std::string_view display_name,
                                   const AttributionOptions& options);

}  // namespace partnergraph
