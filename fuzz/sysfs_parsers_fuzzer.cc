// libFuzzer target over every sysfs attribute parser and PciIds::Parse.
// The input is fed whole to each parser; they must return a value or an
// error, never crash, hang or read out of bounds (ASan + UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/inventory/sysfs_parsers.h"

namespace vgpu::inventory {
namespace {

// Error messages are built too, so their quoting is exercised.
template <typename T>
void Consume(const absl::StatusOr<T>& result) {
  if (!result.ok()) {
    volatile size_t n = result.status().message().size();
    (void)n;
  }
}

void FuzzAll(absl::string_view text) {
  (void)TrimSysfsValue(text);
  (void)QuoteForMessage(text);
  Consume(ParseHexId(text));
  Consume(ParseClassCode(text));
  Consume(ParseDecimalInt(text));
  Consume(ParseNumaNode(text));
  Consume(ParseNonNegativeInt(text));
  Consume(ParseBdf(text));
  Consume(ParseUuid(text));
  Consume(ParseNvidiaMdevDescription(text));
  Consume(ParseGvtgDescription(text));
  Consume(ParseCreatableVgpuTypes(text));
  PciIds ids = PciIds::Parse(text);
  if (ids.vendor_count() > 0) {
    (void)ids.VendorName(0x10de);
    (void)ids.DeviceName(0x10de, 0x2230);
  }
}

}  // namespace
}  // namespace vgpu::inventory

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vgpu::inventory::FuzzAll(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
