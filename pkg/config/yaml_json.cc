#include "pkg/config/yaml_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/json_quote.h"
#include "yaml-cpp/yaml.h"

namespace vgpu::config {
namespace {

// A plain scalar as JSON: null, true/false, an integer or a float when the
// core schema says so, else nullopt (a string).
std::optional<std::string> PlainScalarJson(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return "null";
  }
  for (const char* t : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                        "on", "On", "ON"}) {
    if (s == t) return "true";
  }
  for (const char* f : {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                        "off", "Off", "OFF"}) {
    if (s == f) return "false";
  }
  const bool negative = s[0] == '-';
  const size_t sign = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  const absl::string_view digits = absl::string_view(s).substr(sign);
  int base = 10;
  absl::string_view body = digits;
  if (absl::StartsWith(digits, "0o")) {
    base = 8;
    body = digits.substr(2);
  } else if (absl::StartsWith(digits, "0x")) {
    base = 16;
    body = digits.substr(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;  // YAML 1.1: 0644 is octal.
    body = digits.substr(1);
  }
  if (!body.empty()) {
    uint64_t value = 0;
    bool ok = true;
    for (char c : body) {
      int d =
          absl::ascii_isdigit(static_cast<unsigned char>(c)) ? c - '0'
          : (base == 16 && absl::ascii_isxdigit(static_cast<unsigned char>(c)))
              ? absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10
              : -1;
      if (d < 0 || d >= base || value > (UINT64_MAX - d) / base) {
        ok = false;
        break;
      }
      value = value * base + static_cast<uint64_t>(d);
    }
    if (ok) return absl::StrCat(negative ? "-" : "", value);
  }
  double d = 0;
  const bool numeric_start =
      !digits.empty() &&
      (absl::ascii_isdigit(static_cast<unsigned char>(digits[0])) ||
       digits[0] == '.');
  if (numeric_start && absl::SimpleAtod(s, &d) &&
      s.find_first_not_of("+-.0123456789eE") == std::string::npos) {
    return absl::StrCat(d);  // "09" is 9 (go-yaml: a float); JSON has no "09".
  }
  return std::nullopt;
}

absl::Status Convert(const YAML::Node& node, std::string& out) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out += "null";
      return absl::OkStatus();
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      // Tag "!" marks a quoted (non-plain) scalar: always a string.
      if (node.Tag() != "!") {
        if (std::optional<std::string> json = PlainScalarJson(s)) {
          out += *json;
          return absl::OkStatus();
        }
      }
      out += JsonQuote(s);
      return absl::OkStatus();
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const YAML::Node& item : node) {
        if (!first) out += ',';
        first = false;
        if (absl::Status s = Convert(item, out); !s.ok()) return s;
      }
      out += ']';
      return absl::OkStatus();
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          const YAML::Mark mark = entry.first.Mark();
          return absl::InvalidArgumentError(
              absl::StrCat(mark.line + 1, ":", mark.column + 1,
                           ": map key is not a scalar"));
        }
        if (!first) out += ',';
        first = false;
        out += JsonQuote(entry.first.Scalar());
        out += ':';
        if (absl::Status s = Convert(entry.second, out); !s.ok()) return s;
      }
      out += '}';
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown YAML node type");
}

}  // namespace

absl::StatusOr<std::string> YamlToJson(absl::string_view yaml) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (docs.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("want one YAML document, found ", docs.size()));
  }
  std::string out;
  if (docs.empty()) return std::string("null");
  absl::Status converted = Convert(docs[0], out);
  if (!converted.ok()) return converted;
  return out;
}

}  // namespace vgpu::config
