#include "pkg/kata/json.h"

#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/json_quote.h"
#include "pkg/base/status_macros.h"

namespace vgpu::kata {

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::Number(int64_t n) {
  return NumberLiteral(absl::StrCat(n));
}

JsonValue JsonValue::NumberLiteral(std::string literal) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.text_ = std::move(literal);
  return v;
}

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(s);
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.kind_ = Kind::kArray;
  return v;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.kind_ = Kind::kObject;
  return v;
}

JsonValue JsonValue::StringArray(const std::vector<std::string>& items) {
  JsonValue v = Array();
  for (const std::string& s : items) v.Append(String(s));
  return v;
}

JsonValue& JsonValue::Append(JsonValue v) {
  items_.push_back(std::move(v));
  return items_.back();
}

JsonValue& JsonValue::Set(std::string key, JsonValue v) {
  members_.emplace_back(std::move(key), std::move(v));
  return members_.back().second;
}

const JsonValue* JsonValue::Find(absl::string_view key) const {
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const char* JsonKindName(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBool:
      return "boolean";
    case JsonValue::Kind::kNumber:
      return "number";
    case JsonValue::Kind::kString:
      return "string";
    case JsonValue::Kind::kArray:
      return "array";
    case JsonValue::Kind::kObject:
      return "object";
  }
  return "unknown";
}

namespace {

void Serialize(const JsonValue& v, int indent, std::string& out);

// "[\n  item,\n  item\n]" (or "[]"), each element produced by `emit(i)`.
template <typename Emit>
void SerializeList(size_t n, char open, char close, int indent,
                   std::string& out, Emit emit) {
  if (n == 0) {
    out.push_back(open);
    out.push_back(close);
    return;
  }
  const std::string pad(2 * (indent + 1), ' ');
  out.push_back(open);
  out.push_back('\n');
  for (size_t i = 0; i < n; ++i) {
    out += pad;
    emit(i);
    out += i + 1 < n ? ",\n" : "\n";
  }
  out += std::string(2 * indent, ' ');
  out.push_back(close);
}

void Serialize(const JsonValue& v, int indent, std::string& out) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      out += "null";
      return;
    case JsonValue::Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return;
    case JsonValue::Kind::kNumber:
      out += v.text();
      return;
    case JsonValue::Kind::kString:
      AppendJsonQuoted(&out, v.text());
      return;
    case JsonValue::Kind::kArray:
      SerializeList(v.items().size(), '[', ']', indent, out, [&](size_t i) {
        Serialize(v.items()[i], indent + 1, out);
      });
      return;
    case JsonValue::Kind::kObject:
      SerializeList(v.members().size(), '{', '}', indent, out, [&](size_t i) {
        AppendJsonQuoted(&out, v.members()[i].first);
        out += ": ";
        Serialize(v.members()[i].second, indent + 1, out);
      });
      return;
  }
}

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    VGPU_ASSIGN_OR_RETURN(JsonValue v, ParseValue(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected data after the value");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    int line = 1;
    int col = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, " col ", col, ": ", what));
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<JsonValue> ParseValue(int depth) {
    if (depth > kMaxDepth) return Error("nesting deeper than 64");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    const char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      VGPU_ASSIGN_OR_RETURN(std::string s, ParseString());
      return JsonValue::String(std::move(s));
    }
    if (Consume("true")) return JsonValue::Bool(true);
    if (Consume("false")) return JsonValue::Bool(false);
    if (Consume("null")) return JsonValue();
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    return Error(
        absl::StrCat("unexpected character '", text_.substr(pos_, 1), "'"));
  }

  absl::StatusOr<JsonValue> ParseObject(int depth) {
    ++pos_;  // '{'
    JsonValue obj = JsonValue::Object();
    SkipSpace();
    if (Consume("}")) return obj;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return Error("expected a string key");
      }
      VGPU_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (!Consume(":")) return Error("expected ':'");
      VGPU_ASSIGN_OR_RETURN(JsonValue v, ParseValue(depth + 1));
      obj.Set(std::move(key), std::move(v));
      SkipSpace();
      if (Consume("}")) return obj;
      if (!Consume(",")) return Error("expected ',' or '}'");
    }
  }

  absl::StatusOr<JsonValue> ParseArray(int depth) {
    ++pos_;  // '['
    JsonValue arr = JsonValue::Array();
    SkipSpace();
    if (Consume("]")) return arr;
    while (true) {
      VGPU_ASSIGN_OR_RETURN(JsonValue v, ParseValue(depth + 1));
      arr.Append(std::move(v));
      SkipSpace();
      if (Consume("]")) return arr;
      if (!Consume(",")) return Error("expected ',' or ']'");
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  size_t SkipDigits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    return pos_ - start;
  }

  absl::StatusOr<JsonValue> ParseNumber() {
    const size_t start = pos_;
    Consume("-");
    if (Consume("0")) {
      if (pos_ < text_.size() && IsDigit(text_[pos_])) {
        return Error("leading zero in number");
      }
    } else if (SkipDigits() == 0) {
      return Error("expected a digit");
    }
    if (Consume(".") && SkipDigits() == 0) return Error("expected a digit");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!Consume("+")) Consume("-");
      if (SkipDigits() == 0) return Error("expected a digit");
    }
    return JsonValue::NumberLiteral(
        std::string(text_.substr(start, pos_ - start)));
  }

  absl::StatusOr<uint32_t> ParseHex4() {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      code <<= 4;
      if (IsDigit(c)) {
        code |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        code |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        code |= c - 'A' + 10;
      } else {
        return Error("bad hex digit in \\u escape");
      }
    }
    return code;
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  absl::StatusOr<uint32_t> ParseUnicodeEscape() {
    VGPU_ASSIGN_OR_RETURN(uint32_t cp, ParseHex4());
    if (cp >= 0xdc00 && cp <= 0xdfff) return Error("lone low surrogate");
    if (cp < 0xd800 || cp > 0xdbff) return cp;
    if (!Consume("\\u")) return Error("lone high surrogate");
    VGPU_ASSIGN_OR_RETURN(uint32_t low, ParseHex4());
    if (low < 0xdc00 || low > 0xdfff) return Error("bad low surrogate");
    return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
  }

  absl::Status ParseEscape(std::string& out) {
    if (pos_ >= text_.size()) return Error("unterminated string");
    const char e = text_[pos_++];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(e);
        return absl::OkStatus();
      case 'b':
        out.push_back('\b');
        return absl::OkStatus();
      case 'f':
        out.push_back('\f');
        return absl::OkStatus();
      case 'n':
        out.push_back('\n');
        return absl::OkStatus();
      case 'r':
        out.push_back('\r');
        return absl::OkStatus();
      case 't':
        out.push_back('\t');
        return absl::OkStatus();
      case 'u': {
        VGPU_ASSIGN_OR_RETURN(uint32_t cp, ParseUnicodeEscape());
        AppendUtf8(cp, out);
        return absl::OkStatus();
      }
      default:
        --pos_;
        return Error("bad escape in string");
    }
  }

  absl::StatusOr<std::string> ParseString() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const unsigned char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) return Error("control character in string");
      ++pos_;
      if (c == '\\') {
        VGPU_RETURN_IF_ERROR(ParseEscape(out));
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string SerializeJson(const JsonValue& value) {
  std::string out;
  Serialize(value, 0, out);
  out.push_back('\n');
  return out;
}

absl::StatusOr<JsonValue> ParseJson(absl::string_view text) {
  return Parser(text).ParseDocument();
}

}  // namespace vgpu::kata
