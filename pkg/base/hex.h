// Reading hex digits: the one rule behind the sysfs id parsers
// (pkg/inventory/sysfs_parsers.h, kernel format "0x%04x") and the config's
// id selectors and PCI addresses (pkg/config), which differ only in the
// prefix and digit counts they accept. Pure; safe from any thread.
#ifndef VGPU_PKG_BASE_HEX_H_
#define VGPU_PKG_BASE_HEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace vgpu {

// The value of `digits` when it is 1 to `max_digits` hex digits of either
// case, with no prefix, sign or blanks; nullopt otherwise.
// REQUIRES: max_digits <= 8.
std::optional<uint32_t> ParseHexDigits(absl::string_view digits,
                                       size_t max_digits);

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_HEX_H_
