#include "pkg/config/yaml_json.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace vgpu::config {
namespace {

// A negative integer as JSON; beyond int64 it can only be a float.
Json Negative(uint64_t magnitude) {
  if (magnitude <= static_cast<uint64_t>(INT64_MAX) + 1) {
    return Json(static_cast<int64_t>(0 - magnitude));
  }
  return Json(-static_cast<double>(magnitude));
}

// A plain scalar as JSON: null, true/false, an integer or a float when the
// YAML 1.1 schema says so, else nullopt (a string).
std::optional<Json> PlainScalarJson(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return Json(nullptr);
  }
  for (const char* t : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                        "on", "On", "ON"}) {
    if (s == t) return Json(true);
  }
  for (const char* f : {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                        "off", "Off", "OFF"}) {
    if (s == f) return Json(false);
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
    if (ok) return negative ? Negative(value) : Json(value);
  }
  double d = 0;
  const bool numeric_start =
      !digits.empty() &&
      (absl::ascii_isdigit(static_cast<unsigned char>(digits[0])) ||
       digits[0] == '.');
  if (numeric_start && absl::SimpleAtod(s, &d) &&
      s.find_first_not_of("+-.0123456789eE") == std::string::npos) {
    return Json(d);  // "09" is 9.0 (go-yaml: a float); JSON has no "09".
  }
  return std::nullopt;
}

absl::Status At(const YAML::Mark& mark, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(mark.line + 1, ":", mark.column + 1, ": ", what));
}

// An alias shares its node in yaml-cpp but is copied into the Json value,
// so a few lines of nested aliases ("billion laughs") would expand without
// bound: the conversion has a node budget, and a depth limit as ParseJson.
struct Limits {
  int nodes_left = 100000;
  int depth = 0;
};
constexpr int kMaxDepth = 64;

// Parses without building nodes: only counts the documents.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

absl::StatusOr<Json> Convert(const YAML::Node& node, Limits& limits);

absl::StatusOr<Json> ConvertChild(const YAML::Node& node, Limits& limits) {
  if (--limits.nodes_left < 0) {
    return At(node.Mark(), "more than 100000 nodes (aliases expanded)");
  }
  if (limits.depth >= kMaxDepth) {
    return At(node.Mark(), absl::StrCat("nesting deeper than ", kMaxDepth));
  }
  ++limits.depth;
  absl::StatusOr<Json> value = Convert(node, limits);
  --limits.depth;
  return value;
}

absl::StatusOr<Json> Convert(const YAML::Node& node, Limits& limits) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      // Tag "!" marks a quoted (non-plain) scalar: always a string.
      if (node.Tag() != "!") {
        if (std::optional<Json> json = PlainScalarJson(node.Scalar())) {
          return *std::move(json);
        }
      }
      return Json(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const YAML::Node& item : node) {
        absl::StatusOr<Json> value = ConvertChild(item, limits);
        if (!value.ok()) return value.status();
        out.push_back(*std::move(value));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      std::set<std::string> keys;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return At(entry.first.Mark(), "map key is not a scalar");
        }
        const std::string& key = entry.first.Scalar();
        if (!keys.insert(key).second) {
          return At(entry.first.Mark(),
                    absl::StrCat("duplicate key ",
                                 DumpJson(Json(key), JsonStyle::kCompact)));
        }
        absl::StatusOr<Json> value = ConvertChild(entry.second, limits);
        if (!value.ok()) return value.status();
        out[key] = *std::move(value);
      }
      return out;
    }
  }
  return absl::InternalError("unknown YAML node type");
}

}  // namespace

absl::StatusOr<Json> YamlToJson(absl::string_view yaml) {
  // go-yaml rejects text that is not UTF-8, and yaml-cpp 0.7 can loop
  // without bound on some of it (fuzz/cdi_spec_fuzzer found one).
  if (const size_t bad = FirstInvalidUtf8(yaml); bad < yaml.size()) {
    const absl::string_view before = yaml.substr(0, bad);
    const size_t line_start = before.rfind('\n');
    const size_t column =
        line_start == absl::string_view::npos ? bad : bad - line_start - 1;
    return absl::InvalidArgumentError(
        absl::StrCat(std::count(before.begin(), before.end(), '\n') + 1, ":",
                     column + 1, ": invalid UTF-8"));
  }
  // Count the documents first, at most two: yaml-cpp 0.7's LoadAll never
  // ends on a stray flow indicator at the top (",3" yields empty documents
  // until memory runs out; fuzz/cdi_spec_fuzzer found it).
  YAML::Node doc;
  try {
    std::istringstream in{std::string(yaml)};
    YAML::Parser parser(in);
    DocumentCounter counter;
    int documents = 0;
    while (documents < 2 && parser.HandleNextDocument(counter)) ++documents;
    if (documents > 1) {
      return absl::InvalidArgumentError(
          "want one YAML document, found more than one");
    }
    if (documents == 0) return Json(nullptr);
    doc = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  Limits limits;
  return Convert(doc, limits);
}

}  // namespace vgpu::config
