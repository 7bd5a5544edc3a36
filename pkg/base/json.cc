#include "pkg/base/json.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vgpu {
namespace {

constexpr int kMaxDepth = 64;

// Thrown by the parser callback, caught in ParseJson.
struct Rejected {
  std::string reason;
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    min = 0x80;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    min = 0x800;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    min = 0x10000;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// nlohmann escapes neither DEL nor invalid UTF-8 the way our outputs always
// have, so strings are quoted here.
void AppendQuoted(absl::string_view value, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(value, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(value.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

class Writer {
 public:
  Writer(JsonStyle style, std::string& out)
      : pretty_(style == JsonStyle::kPretty), out_(out) {}

  void Write(const Json& v, int indent) {
    switch (v.type()) {
      case Json::value_t::string:
        AppendQuoted(v.get_ref<const std::string&>(), out_);
        return;
      case Json::value_t::array:
        List(v.size(), '[', ']', indent,
             [&](size_t i) { Write(v[i], indent + 1); });
        return;
      case Json::value_t::object: {
        const Json::object_t& members = v.get_ref<const Json::object_t&>();
        List(members.size(), '{', '}', indent, [&](size_t i) {
          const auto& member = *(members.begin() + i);
          AppendQuoted(member.first, out_);
          out_ += pretty_ ? ": " : ":";
          Write(member.second, indent + 1);
        });
        return;
      }
      default:
        out_ += v.dump();  // null, booleans and numbers
        return;
    }
  }

 private:
  // "[\n  item,\n  item\n]" pretty, "[item,item]" compact; "[]" when empty.
  template <typename Emit>
  void List(size_t n, char open, char close, int indent, Emit emit) {
    out_.push_back(open);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out_.push_back(',');
      if (pretty_) {
        out_.push_back('\n');
        out_.append(2 * (indent + 1), ' ');
      }
      emit(i);
    }
    if (pretty_ && n > 0) {
      out_.push_back('\n');
      out_.append(2 * indent, ' ');
    }
    out_.push_back(close);
  }

  const bool pretty_;
  std::string& out_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
// without the bracketed prefix.
std::string ParseErrorMessage(const char* what) {
  absl::string_view msg = what;
  if (absl::StartsWith(msg, "[json.exception.")) {
    const size_t end = msg.find("] ");
    if (end != absl::string_view::npos) msg.remove_prefix(end + 2);
  }
  return std::string(msg);
}

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  // One set of seen keys per open object (none for an array).
  std::vector<std::set<std::string>> keys;
  const Json::parser_callback_t check =
      [&keys](int depth, Json::parse_event_t event, Json& parsed) {
        switch (event) {
          case Json::parse_event_t::object_start:
          case Json::parse_event_t::array_start:
            if (depth >= kMaxDepth) {
              throw Rejected{absl::StrCat("nesting deeper than ", kMaxDepth)};
            }
            keys.emplace_back();
            break;
          case Json::parse_event_t::object_end:
          case Json::parse_event_t::array_end:
            keys.pop_back();
            break;
          case Json::parse_event_t::key:
            if (!keys.back().insert(parsed.get<std::string>()).second) {
              throw Rejected{absl::StrCat(
                  "duplicate key ", DumpJson(parsed, JsonStyle::kCompact))};
            }
            break;
          case Json::parse_event_t::value:
            break;
        }
        return true;
      };
  try {
    return Json::parse(text.begin(), text.end(), check);
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(ParseErrorMessage(e.what()));
  } catch (const Rejected& r) {
    return absl::InvalidArgumentError(r.reason);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(ParseErrorMessage(e.what()));
  }
}

size_t FirstInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) return i;
    i += len;
  }
  return text.size();
}

std::string DumpJson(const Json& value, JsonStyle style) {
  std::string out;
  Writer(style, out).Write(value, 0);
  if (style == JsonStyle::kPretty) out.push_back('\n');
  return out;
}

}  // namespace vgpu
