// JSON for the whole project: one value type, one strict parser, one
// writer, over nlohmann/json (header-only). `Json` keeps object members in
// insertion order, so what we write is deterministic. nlohmann's exceptions
// stop in json.cc. Values are plain data (thread-compatible); the functions
// are pure and thread-safe.
#ifndef VGPU_PKG_BASE_JSON_H_
#define VGPU_PKG_BASE_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vgpu {

using Json = nlohmann::ordered_json;

// Parses one JSON document (RFC 8259; nesting at most 64 deep), as strictly
// as the CDI library reads specs. InvalidArgument naming line and column
// ("parse error at line 3, column 7: ...") on a syntax error or trailing
// data, and naming the key on a duplicate object key.
absl::StatusOr<Json> ParseJson(absl::string_view text);

enum class JsonStyle {
  // Two-space indent, `"key": value`, empty arrays/objects as [] / {},
  // ending in "\n": CDI specs and `vgpuctl ... --json`.
  kPretty,
  // One line, no spaces, no trailing newline: log lines.
  kCompact,
};

// `value` as JSON text. Strings: '"', '\\' and control characters (DEL
// too) escaped, valid UTF-8 kept as is, each byte of an invalid sequence
// written as \ufffd, so the output is always valid JSON. Members are
// written in order, duplicates included.
std::string DumpJson(const Json& value, JsonStyle style = JsonStyle::kPretty);

// Where `text` stops being well-formed UTF-8 (JSON and YAML text must be):
// the byte offset of the first invalid sequence, or text.size() if none.
size_t FirstInvalidUtf8(absl::string_view text);

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_JSON_H_
