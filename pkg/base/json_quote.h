// JSON string quoting shared by every JSON writer in the project (logs,
// CDI specs, vgpuctl output). Pure and thread-safe.
#ifndef VGPU_PKG_BASE_JSON_QUOTE_H_
#define VGPU_PKG_BASE_JSON_QUOTE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vgpu {

// `value` as a JSON string literal, quotes included: '"', '\\' and control
// characters escaped; valid UTF-8 kept as is, each byte of an invalid
// sequence replaced by \ufffd, so the output is always valid JSON.
std::string JsonQuote(absl::string_view value);

// Appends JsonQuote(value) to *out.
void AppendJsonQuoted(std::string* out, absl::string_view value);

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_JSON_QUOTE_H_
