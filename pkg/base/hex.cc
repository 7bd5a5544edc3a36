#include "pkg/base/hex.h"

#include "absl/strings/ascii.h"

namespace vgpu {

std::optional<uint32_t> ParseHexDigits(absl::string_view digits,
                                       size_t max_digits) {
  if (digits.empty() || digits.size() > max_digits) return std::nullopt;
  uint32_t value = 0;
  for (char c : digits) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isxdigit(u)) return std::nullopt;
    const uint32_t d =
        absl::ascii_isdigit(u)
            ? static_cast<uint32_t>(u - '0')
            : static_cast<uint32_t>(absl::ascii_tolower(u) - 'a' + 10);
    value = value * 16 + d;
  }
  return value;
}

}  // namespace vgpu
