#include "pkg/inventory/pci_ids.h"

#include <cerrno>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "pkg/base/local_file.h"

namespace vgpu::inventory {
namespace {

// "hhhh  Name" (after any leading tabs were removed): the id and the name,
// or nullopt for anything else.
std::optional<std::pair<uint16_t, absl::string_view>> SplitIdLine(
    absl::string_view line) {
  if (line.size() < 7 || line[4] != ' ' || line[5] != ' ') return std::nullopt;
  uint16_t id = 0;
  for (size_t i = 0; i < 4; ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (!absl::ascii_isxdigit(c)) return std::nullopt;
    const int digit =
        absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
    id = static_cast<uint16_t>(id * 16 + digit);
  }
  absl::string_view name = absl::StripAsciiWhitespace(line.substr(6));
  if (name.empty()) return std::nullopt;
  return std::make_pair(id, name);
}

}  // namespace

PciIds PciIds::Parse(absl::string_view text,
                     std::optional<std::set<uint16_t>> only_vendors) {
  PciIds ids;
  ids.only_vendors_ = std::move(only_vendors);
  int vendor = -1;  // Current vendor section; -1 when none (or not kept).
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line.size() >= 2 && line[0] == 'C' && line[1] == ' ') {
      vendor = -1;  // Class section: its tab lines are not devices.
      continue;
    }
    if (line[0] != '\t') {
      auto v = SplitIdLine(line);
      vendor = -1;
      if (!v.has_value()) continue;
      if (!ids.Covers(v->first)) continue;
      vendor = v->first;
      ids.vendors_.emplace(v->first, std::string(v->second));
      continue;
    }
    if (line.size() >= 2 && line[1] == '\t') continue;  // Subsystem.
    if (vendor < 0) continue;
    auto d = SplitIdLine(line.substr(1));
    if (!d.has_value()) continue;
    const uint32_t key = (static_cast<uint32_t>(vendor) << 16) | d->first;
    ids.devices_.emplace(key, std::string(d->second));
  }
  return ids;
}

absl::StatusOr<PciIds> PciIds::Load(
    const std::string& path, std::optional<std::set<uint16_t>> only_vendors) {
  absl::StatusOr<std::string> text = ReadLocalFile(path, "pci.ids");
  if (!text.ok()) return text.status();
  return Parse(*text, std::move(only_vendors));
}

std::optional<std::string> PciIds::VendorName(uint16_t vendor) const {
  auto it = vendors_.find(vendor);
  if (it == vendors_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> PciIds::DeviceName(uint16_t vendor,
                                              uint16_t device) const {
  auto it = devices_.find((static_cast<uint32_t>(vendor) << 16) | device);
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vgpu::inventory
