// Pure parsers for the text of sysfs attributes (formats in docs/sysfs.md).
// Each takes the raw file content and returns a value or InvalidArgument
// whose message quotes the bad input (C-escaped, truncated to 64 bytes).
// Surrounding ASCII whitespace (a trailing "\n", CRLF, blanks) is ignored.
// No I/O, no state: safe from any thread and fuzzed by
// fuzz/sysfs_parsers_fuzzer.cc.
#ifndef VGPU_PKG_INVENTORY_SYSFS_PARSERS_H_
#define VGPU_PKG_INVENTORY_SYSFS_PARSERS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::inventory {

// Strips leading and trailing ASCII whitespace (" \t\n\v\f\r").
absl::string_view TrimSysfsValue(absl::string_view text);

// `"value"` C-escaped and cut to 64 bytes ("..." appended): for messages.
std::string QuoteForMessage(absl::string_view value);

// A 16-bit ID as the kernel prints vendor/device/subsystem_*: "0x" (or "0X")
// followed by exactly 4 hex digits of either case ("0x10de\n").
absl::StatusOr<uint16_t> ParseHexId(absl::string_view text);

// The 24-bit class: "0x" followed by exactly 6 hex digits ("0x030200\n").
absl::StatusOr<uint32_t> ParseClassCode(absl::string_view text);

// A decimal int as "%d" prints it: optional '-', 1..10 digits, in int range.
absl::StatusOr<int> ParseDecimalInt(absl::string_view text);

// numa_node: a decimal >= -1 (-1 = no NUMA affinity).
absl::StatusOr<int> ParseNumaNode(absl::string_view text);

// A non-negative decimal count or index ("16\n", IOMMU group names).
absl::StatusOr<int> ParseNonNegativeInt(absl::string_view text);

// A PCI address DDDD:BB:DD.F with a 4..8 hex digit domain, 2-digit bus and
// device, function 0..7; returned lower-case ("0000:3B:00.0" ->
// "0000:3b:00.0").
absl::StatusOr<std::string> ParseBdf(absl::string_view text);

// A UUID 8-4-4-4-12 hex digits, returned lower-case (the kernel names mdev
// directories with %pUl even when created with upper case).
absl::StatusOr<std::string> ParseUuid(absl::string_view text);

// NVIDIA mdev type description (NV-rm nv_vgpu_get_type_info):
// "num_heads=4, frl_config=60, framebuffer=1024M, max_resolution=5120x2880,
// max_instance=16". Keys may come in any order; framebuffer and max_instance
// are required, unknown keys are ignored.
struct NvidiaMdevDescription {
  int num_heads = 0;
  int frl_config = 0;
  uint64_t framebuffer_bytes = 0;  // framebuffer=<n>M (or K/G), in bytes.
  int max_resolution_width = 0;
  int max_resolution_height = 0;
  int max_instance = 0;
};
absl::StatusOr<NvidiaMdevDescription> ParseNvidiaMdevDescription(
    absl::string_view text);

// Intel GVT-g type description, one "key: value" per line (K-gvt):
// "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\n
// weight: 2\n". low_gm_size and high_gm_size are required.
struct GvtgDescription {
  uint64_t low_gm_bytes = 0;
  uint64_t high_gm_bytes = 0;
  int fence = 0;
  std::string resolution;  // "1024x768", "" when absent.
  int weight = 0;
};
absl::StatusOr<GvtgDescription> ParseGvtgDescription(absl::string_view text);

// nvidia/creatable_vgpu_types of a vendor-VFIO VF: the header
// "ID    : vGPU Name" then one "%-5d : %s" line per type. A file with only
// the header (or empty) is an empty map.
absl::StatusOr<std::map<int, std::string>> ParseCreatableVgpuTypes(
    absl::string_view text);

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_SYSFS_PARSERS_H_
