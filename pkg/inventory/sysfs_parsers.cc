#include "pkg/inventory/sysfs_parsers.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkg/base/hex.h"

namespace vgpu::inventory {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

absl::Status Bad(absl::string_view what, absl::string_view raw,
                 absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", QuoteForMessage(raw), ": want ", want));
}

// "0x" + exactly `digits` hex digits.
std::optional<uint32_t> ParsePrefixedHex(absl::string_view s, size_t digits) {
  if (s.size() != digits + 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
    return std::nullopt;
  }
  s.remove_prefix(2);
  return ParseHexDigits(s, digits);
}

// Unsigned decimal digits only, bounded by `max`.
std::optional<uint64_t> ParseUnsigned(absl::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (d > max || v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<int> ParseIntField(absl::string_view s) {
  std::optional<uint64_t> v =
      ParseUnsigned(s, static_cast<uint64_t>(std::numeric_limits<int>::max()));
  if (!v.has_value()) return std::nullopt;
  return static_cast<int>(*v);
}

// "<n>" with an optional K/M/G (and optional "B") suffix, binary units.
std::optional<uint64_t> ParseSize(absl::string_view s) {
  if (absl::EndsWith(s, "B")) s.remove_suffix(1);
  uint64_t shift = 0;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      default:
        break;
    }
    if (shift != 0) s.remove_suffix(1);
  }
  std::optional<uint64_t> v =
      ParseUnsigned(s, std::numeric_limits<uint64_t>::max() >> shift);
  if (!v.has_value()) return std::nullopt;
  return *v << shift;
}

// "WxH" with positive decimal sides.
std::optional<std::pair<int, int>> ParseResolution(absl::string_view s) {
  const size_t x = s.find('x');
  if (x == absl::string_view::npos) return std::nullopt;
  std::optional<int> w = ParseIntField(s.substr(0, x));
  std::optional<int> h = ParseIntField(s.substr(x + 1));
  if (!w.has_value() || !h.has_value()) return std::nullopt;
  return std::make_pair(*w, *h);
}

absl::Status ApplyNvidiaField(absl::string_view key, absl::string_view value,
                              NvidiaMdevDescription& out, bool& have_fb,
                              bool& have_max) {
  std::optional<int> number;
  if (key == "num_heads" || key == "frl_config" || key == "max_instance") {
    number = ParseIntField(value);
    if (!number.has_value()) return Bad(key, value, "a decimal number");
  }
  if (key == "num_heads") {
    out.num_heads = *number;
  } else if (key == "frl_config") {
    out.frl_config = *number;
  } else if (key == "max_instance") {
    out.max_instance = *number;
    have_max = true;
  } else if (key == "framebuffer") {
    std::optional<uint64_t> size = ParseSize(value);
    if (!size.has_value()) return Bad(key, value, "a size such as 1024M");
    out.framebuffer_bytes = *size;
    have_fb = true;
  } else if (key == "max_resolution") {
    std::optional<std::pair<int, int>> res = ParseResolution(value);
    if (!res.has_value()) return Bad(key, value, "WIDTHxHEIGHT");
    out.max_resolution_width = res->first;
    out.max_resolution_height = res->second;
  }
  return absl::OkStatus();
}

absl::Status ApplyGvtgField(absl::string_view key, absl::string_view value,
                            GvtgDescription& out, int& have) {
  if (key == "low_gm_size" || key == "high_gm_size") {
    std::optional<uint64_t> size = ParseSize(value);
    if (!size.has_value()) return Bad(key, value, "a size such as 64MB");
    (key == "low_gm_size" ? out.low_gm_bytes : out.high_gm_bytes) = *size;
    ++have;
  } else if (key == "fence" || key == "weight") {
    std::optional<int> n = ParseIntField(value);
    if (!n.has_value()) return Bad(key, value, "a decimal number");
    (key == "fence" ? out.fence : out.weight) = *n;
  } else if (key == "resolution") {
    if (!ParseResolution(value).has_value()) {
      return Bad(key, value, "WIDTHxHEIGHT");
    }
    out.resolution = std::string(value);
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view TrimSysfsValue(absl::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMax = 64;
  const bool cut = value.size() > kMax;
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMax)),
                      cut ? "..." : "", "\"");
}

absl::StatusOr<uint16_t> ParseHexId(absl::string_view text) {
  std::optional<uint32_t> v = ParsePrefixedHex(TrimSysfsValue(text), 4);
  if (!v.has_value()) return Bad("id", text, "0x and 4 hex digits");
  return static_cast<uint16_t>(*v);
}

absl::StatusOr<uint32_t> ParseClassCode(absl::string_view text) {
  std::optional<uint32_t> v = ParsePrefixedHex(TrimSysfsValue(text), 6);
  if (!v.has_value()) return Bad("class", text, "0x and 6 hex digits");
  return *v;
}

absl::StatusOr<int> ParseDecimalInt(absl::string_view text) {
  absl::string_view s = TrimSysfsValue(text);
  const bool negative = absl::ConsumePrefix(&s, "-");
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<int>::max()) +
      (negative ? 1 : 0);
  std::optional<uint64_t> v =
      s.size() > 10 ? std::nullopt : ParseUnsigned(s, limit);
  if (!v.has_value()) return Bad("number", text, "a decimal integer");
  return negative ? static_cast<int>(-static_cast<int64_t>(*v))
                  : static_cast<int>(*v);
}

absl::StatusOr<int> ParseNumaNode(absl::string_view text) {
  absl::StatusOr<int> v = ParseDecimalInt(text);
  if (!v.ok() || *v < -1) return Bad("numa node", text, "-1 or a node number");
  return *v;
}

absl::StatusOr<int> ParseNonNegativeInt(absl::string_view text) {
  absl::StatusOr<int> v = ParseDecimalInt(text);
  if (!v.ok() || *v < 0 || absl::StartsWith(TrimSysfsValue(text), "-")) {
    return Bad("number", text, "a non-negative decimal integer");
  }
  return *v;
}

absl::StatusOr<std::string> ParseBdf(absl::string_view text) {
  const absl::string_view s = TrimSysfsValue(text);
  std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  const absl::Status bad = Bad("PCI address", text, "DDDD:BB:DD.F");
  if (parts.size() != 3) return bad;
  const absl::string_view domain = parts[0], bus = parts[1];
  const absl::string_view dev_fn = parts[2];
  if (domain.size() < 4 || !ParseHexDigits(domain, 8)) return bad;
  if (bus.size() != 2 || !ParseHexDigits(bus, 2)) return bad;
  if (dev_fn.size() != 4 || dev_fn[2] != '.' ||
      !ParseHexDigits(dev_fn.substr(0, 2), 2)) {
    return bad;
  }
  if (dev_fn[3] < '0' || dev_fn[3] > '7') return bad;
  return absl::AsciiStrToLower(s);
}

absl::StatusOr<std::string> ParseUuid(absl::string_view text) {
  const absl::string_view s = TrimSysfsValue(text);
  const absl::Status bad = Bad("UUID", text, "8-4-4-4-12 hex digits");
  if (s.size() != 36) return bad;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-'
             : !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return bad;
    }
  }
  return absl::AsciiStrToLower(s);
}

absl::StatusOr<NvidiaMdevDescription> ParseNvidiaMdevDescription(
    absl::string_view text) {
  NvidiaMdevDescription out;
  bool have_fb = false, have_max = false;
  for (absl::string_view field : absl::StrSplit(TrimSysfsValue(text), ',')) {
    field = TrimSysfsValue(field);
    if (field.empty()) continue;
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      return Bad("nvidia description field", field, "key=value");
    }
    absl::Status s = ApplyNvidiaField(TrimSysfsValue(field.substr(0, eq)),
                                      TrimSysfsValue(field.substr(eq + 1)), out,
                                      have_fb, have_max);
    if (!s.ok()) return s;
  }
  if (!have_fb || !have_max) {
    return Bad("nvidia description", text, "framebuffer= and max_instance=");
  }
  return out;
}

absl::StatusOr<GvtgDescription> ParseGvtgDescription(absl::string_view text) {
  GvtgDescription out;
  int have = 0;
  for (absl::string_view line : absl::StrSplit(TrimSysfsValue(text), '\n')) {
    line = TrimSysfsValue(line);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return Bad("GVT-g description line", line, "key: value");
    }
    absl::Status s =
        ApplyGvtgField(TrimSysfsValue(line.substr(0, colon)),
                       TrimSysfsValue(line.substr(colon + 1)), out, have);
    if (!s.ok()) return s;
  }
  if (have != 2) {
    return Bad("GVT-g description", text, "low_gm_size: and high_gm_size:");
  }
  return out;
}

absl::StatusOr<std::map<int, std::string>> ParseCreatableVgpuTypes(
    absl::string_view text) {
  std::map<int, std::string> types;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = TrimSysfsValue(line);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return Bad("creatable vGPU type line", line, "ID : name");
    }
    const absl::string_view id = TrimSysfsValue(line.substr(0, colon));
    const absl::string_view name = TrimSysfsValue(line.substr(colon + 1));
    if (first && id == "ID") {
      first = false;
      continue;
    }
    first = false;
    std::optional<int> n = ParseIntField(id);
    if (!n.has_value() || name.empty()) {
      return Bad("creatable vGPU type line", line, "ID : name");
    }
    types[*n] = std::string(name);
  }
  return types;
}

}  // namespace vgpu::inventory
