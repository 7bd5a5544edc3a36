// YamlToJson: one YAML document as a JSON value, for readers of YAML files
// whose schema is JSON's (CDI specs may be either). pkg/config is the only
// user of yaml-cpp; this lets the CDI reader take YAML and JSON alike.
// Pure and thread-safe.
#ifndef VGPU_PKG_CONFIG_YAML_JSON_H_
#define VGPU_PKG_CONFIG_YAML_JSON_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/base/json.h"

namespace vgpu::config {

// Maps become objects (keys as strings, in document order), sequences
// arrays. Plain scalars are resolved as the CDI library's YAML reader
// (go-yaml, YAML 1.1) does: `~`/`null`/empty -> null; `true`/`false`/`yes`/
// `no`/`on`/`off`/`y`/`n` (and their capitalised forms) -> booleans;
// integers in decimal, `0o`/leading-0 octal and `0x` hex -> numbers (`0644`
// -> 420); decimal floats -> numbers (`09` -> 9.0). Every other scalar, and
// every quoted one, is a string. An empty document is null. InvalidArgument
// with line:column on text that is not UTF-8, a YAML error, a map key that is
// not a scalar or that appears twice in one map (go-yaml rejects both), nesting
// deeper than 64, more than 100000 nodes once aliases are expanded, and on more
// than one document.
absl::StatusOr<Json> YamlToJson(absl::string_view yaml);

}  // namespace vgpu::config

#endif  // VGPU_PKG_CONFIG_YAML_JSON_H_
