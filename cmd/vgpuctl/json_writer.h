// JsonWriter: a small streaming writer for vgpuctl's --json output (the
// stack has no JSON library). Produces pretty-printed JSON with two-space
// indentation; members appear in call order, so output is deterministic.
// Strings are escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD.
// REQUIRES: calls nest correctly (Key only directly inside an object, one
// value after each Key). Not thread-safe.
#ifndef VGPU_CMD_VGPUCTL_JSON_WRITER_H_
#define VGPU_CMD_VGPUCTL_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pkg/base/json_quote.h"

namespace vgpu::vgpuctl {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Shorthands: a string or null when empty / absent.
  JsonWriter& StringOrNull(absl::string_view value);
  JsonWriter& IntOrNull(std::optional<int64_t> value);
  JsonWriter& StringArray(const std::vector<std::string>& values);

  // The document so far, with a trailing newline once complete.
  std::string Finish() const { return out_ + "\n"; }

 private:
  struct Level {
    bool is_object = false;
    int count = 0;
  };
  void BeforeValue();
  void Open(char c, bool is_object);
  void Close(char c);
  void Newline();

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

// `value` as a JSON string literal, quotes included (pkg/base).
using ::vgpu::JsonQuote;

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_JSON_WRITER_H_
