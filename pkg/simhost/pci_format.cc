#include "pkg/simhost/pci_format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/inventory/vfio_driver.h"

namespace vgpu::simhost::internal {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// Parses exactly `text` as lower-case hex of 1..8 digits.
bool ParseHexField(absl::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > 8) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (!IsLowerHex(c)) return false;
    value =
        value * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  *out = value;
  return true;
}

// `resource`: "0x%016llx 0x%016llx 0x%016llx\n" (start, end, flags) for
// BAR0..5, the ROM and the 6 SR-IOV slots; unused slots are all zero. BARs
// are laid out naturally aligned from a fixed 64-bit base.
std::string ResourceText(const FunctionSpec& spec) {
  std::string text;
  uint64_t next = uint64_t{0x200000} << 24;
  for (size_t i = 0; i < 13; ++i) {
    const uint64_t size =
        i < spec.bar_sizes.size() && i < 6 ? spec.bar_sizes[i] : 0;
    if (size == 0) {
      absl::StrAppendFormat(&text, "0x%016x 0x%016x 0x%016x\n", 0, 0, 0);
      continue;
    }
    next = (next + size - 1) / size * size;
    absl::StrAppendFormat(&text, "0x%016x 0x%016x 0x%016x\n", next,
                          next + size - 1, uint64_t{0x14220c});
    next += size;
  }
  return text;
}

}  // namespace

absl::StatusOr<Bdf> ParseBdf(absl::string_view text) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad pci address \"", text, "\": want dddd:bb:dd.f, lower-case hex"));
  };
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos || colon < 4 || colon > 8) return bad();
  absl::string_view rest = text.substr(colon + 1);
  if (rest.size() != 7 || rest[2] != ':' || rest[5] != '.') return bad();
  Bdf bdf;
  if (!ParseHexField(text.substr(0, colon), &bdf.domain) ||
      !ParseHexField(rest.substr(0, 2), &bdf.bus) ||
      !ParseHexField(rest.substr(3, 2), &bdf.dev) || bdf.dev > 0x1f ||
      rest[6] < '0' || rest[6] > '7') {
    return bad();
  }
  bdf.fn = static_cast<uint32_t>(rest[6] - '0');
  return bdf;
}

std::string FormatBdf(const Bdf& bdf) {
  return absl::StrFormat("%04x:%02x:%02x.%d", bdf.domain, bdf.bus, bdf.dev,
                         bdf.fn);
}

std::string RootBusDir(const Bdf& bdf) {
  return absl::StrFormat("pci%04x:%02x", bdf.domain, bdf.bus);
}

int RoutingId(const Bdf& bdf) {
  return static_cast<int>(bdf.bus << 8 | bdf.dev << 3 | bdf.fn);
}

std::string Hex4(uint16_t value) { return absl::StrFormat("0x%04x\n", value); }

std::string ClassText(uint32_t class_code) {
  return absl::StrFormat("0x%06x\n", class_code);
}

std::string Hex2(uint8_t value) { return absl::StrFormat("0x%02x\n", value); }

std::string IntLine(int64_t value) { return absl::StrCat(value, "\n"); }

std::string Modalias(const FunctionSpec& spec) {
  return absl::StrFormat("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                         spec.vendor, spec.device, spec.subsystem_vendor,
                         spec.subsystem_device, (spec.class_code >> 16) & 0xff,
                         (spec.class_code >> 8) & 0xff, spec.class_code & 0xff);
}

std::string UeventText(const FunctionSpec& spec, absl::string_view driver) {
  std::string out;
  if (!driver.empty()) absl::StrAppend(&out, "DRIVER=", driver, "\n");
  absl::StrAppendFormat(&out, "PCI_CLASS=%X\n", spec.class_code);
  absl::StrAppendFormat(&out, "PCI_ID=%04X:%04X\n", spec.vendor, spec.device);
  absl::StrAppendFormat(&out, "PCI_SUBSYS_ID=%04X:%04X\n",
                        spec.subsystem_vendor, spec.subsystem_device);
  absl::StrAppend(&out, "PCI_SLOT_NAME=", spec.bdf, "\n");
  absl::StrAppend(&out, "MODALIAS=", Modalias(spec), "\n");
  return out;
}

std::string LocalCpuList(std::optional<int> numa_node) {
  if (numa_node == 0) return "0-31,64-95\n";
  if (numa_node == 1) return "32-63,96-127\n";
  return "0-127\n";
}

std::string LocalCpuMask(std::optional<int> numa_node) {
  if (numa_node == 0) return "00000000,ffffffff,00000000,ffffffff\n";
  if (numa_node == 1) return "ffffffff,00000000,ffffffff,00000000\n";
  return "ffffffff,ffffffff,ffffffff,ffffffff\n";
}

std::string EnableText(const FunctionSpec& spec) {
  bool host_driver = !spec.driver.empty() &&
                     !inventory::IsVfioDriver(spec.driver, spec.vendor_vfio);
  return host_driver ? "1\n" : "0\n";
}

std::string PowerStateText(const FunctionSpec& spec) {
  return spec.driver.empty() && !spec.pm_capable ? "unknown\n" : "D0\n";
}

std::vector<std::pair<std::string, std::string>> PciAttributes(
    const FunctionSpec& spec) {
  std::vector<std::pair<std::string, std::string>> a = {
      {"vendor", Hex4(spec.vendor)},
      {"device", Hex4(spec.device)},
      {"subsystem_vendor", Hex4(spec.subsystem_vendor)},
      {"subsystem_device", Hex4(spec.subsystem_device)},
      {"class", ClassText(spec.class_code)},
      {"revision", Hex2(spec.revision)},
      {"irq", "0\n"},
      {"local_cpulist", LocalCpuList(spec.numa_node)},
      {"local_cpus", LocalCpuMask(spec.numa_node)},
      {"enable", EnableText(spec)},
      {"modalias", Modalias(spec) + "\n"},
      {"driver_override",
       absl::StrCat(
           spec.driver_override.empty() ? "(null)" : spec.driver_override,
           "\n")},
      {"power_state", PowerStateText(spec)},
      {"d3cold_allowed", "1\n"},
  };
  if (spec.numa_node.has_value()) {
    a.emplace_back("numa_node", IntLine(*spec.numa_node));
  }
  if ((spec.class_code >> 8) == 0x0300) {
    a.emplace_back("boot_vga", spec.boot_vga ? "1\n" : "0\n");
  }
  if (!spec.reset_method.empty()) {
    a.emplace_back("reset_method", spec.reset_method + "\n");
  }
  if (!spec.bar_sizes.empty()) a.emplace_back("resource", ResourceText(spec));
  if (!spec.link_speed.empty()) {
    bool vf = !spec.physfn.empty();
    std::string speed = (vf ? std::string("Unknown") : spec.link_speed) + "\n";
    std::string width = IntLine(vf ? 0 : spec.link_width);
    for (const char* kind : {"current", "max"}) {
      a.emplace_back(absl::StrCat(kind, "_link_speed"), speed);
      a.emplace_back(absl::StrCat(kind, "_link_width"), width);
    }
  }
  return a;
}

absl::StatusOr<std::string> CanonicalUuid(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  bool ok = lower.size() == 36;
  for (size_t i = 0; ok && i < lower.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? lower[i] == '-' : IsLowerHex(lower[i]);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad mdev uuid \"", text, "\": want 8-4-4-4-12 hex digits"));
  }
  return lower;
}

}  // namespace vgpu::simhost::internal
