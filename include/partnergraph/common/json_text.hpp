// JsonText: serialises a nlohmann::json document without ever throwing on the text in it.
//
// nlohmann's dump() throws type_error.316 on a string that is not valid UTF-8; the engine's
// strings come from input files and command lines (a dataset path, a name), so every JSON
// document the programs print or write goes through this: invalid bytes become U+FFFD.
// Thread-safe (no state).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace partnergraph {

// The document as text; `indent` as dump()'s (-1: one line).
inline std::string JsonText(const nlohmann::json& document, int indent = -1) {
  return document.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace partnergraph
