// The text of an errno value, for error messages ("orders.csv: cannot open: No such file or
// directory").
//
// Thread safety: safe to call from many threads at once (strerror_r into a local buffer;
// std::strerror may return a buffer that another thread's call overwrites).
#pragma once

#include <string>

namespace partnergraph {

// strerror's text of `error` (an errno value): "No such file or directory" for ENOENT; for a
// value the C library does not know, its own "Unknown error N".
std::string ErrnoText(int error);

}  // namespace partnergraph
