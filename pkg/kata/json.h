// A minimal JSON value, writer and parser for the files pkg/kata owns or
// reads: CDI specs and the cold-plug plan. The stack has no JSON library.
// Objects keep insertion order, so serialization is deterministic. Numbers
// are kept as their literal text. Values are plain data: thread-compatible.
#ifndef VGPU_PKG_KATA_JSON_H_
#define VGPU_PKG_KATA_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::kata {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null
  static JsonValue Bool(bool b);
  static JsonValue Number(int64_t n);
  static JsonValue NumberLiteral(std::string literal);  // Already valid JSON.
  static JsonValue String(std::string s);
  static JsonValue Array();
  static JsonValue Object();
  // An array of strings.
  static JsonValue StringArray(const std::vector<std::string>& items);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool bool_value() const { return bool_; }
  // The string of a kString, the literal text of a kNumber.
  const std::string& text() const { return text_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // REQUIRES: is_array().
  JsonValue& Append(JsonValue v);
  // REQUIRES: is_object(). Appends; does not replace an existing key.
  JsonValue& Set(std::string key, JsonValue v);
  // The first member named `key`, or nullptr (also when not an object).
  const JsonValue* Find(absl::string_view key) const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

// Two-space indented JSON ending in "\n"; empty arrays/objects as [] / {}.
std::string SerializeJson(const JsonValue& value);

// Parses one JSON document (RFC 8259; nesting at most 64 deep). Duplicate
// object keys are kept in order. InvalidArgument naming line and column
// ("line 3 col 7: expected ':'") on any syntax error or trailing data.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

// The human name of a kind: "string", "object", ...
const char* JsonKindName(JsonValue::Kind kind);

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_JSON_H_
