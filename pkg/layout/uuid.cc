// UUIDv5 over OpenSSL's SHA-1; see uuid.h.
#include "pkg/layout/uuid.h"

#include <openssl/evp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vgpu::layout {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

const UuidBytes kMdevUuidNamespace = {0x41, 0xaf, 0xff, 0x90, 0xcd, 0x10,
                                      0x40, 0xcd, 0xb5, 0x69, 0x76, 0xde,
                                      0x3c, 0xd1, 0x4f, 0xe1};

absl::StatusOr<UuidBytes> ParseUuid(absl::string_view text) {
  UuidBytes out{};
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a UUID"));
  };
  if (text.size() != 36) return bad();
  size_t byte = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return bad();
      ++i;
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return bad();
    out[byte++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string FormatUuid(const UuidBytes& u) {
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
      u[12], u[13], u[14], u[15]);
}

std::string UuidV5(const UuidBytes& name_space, absl::string_view name) {
  std::string input(name_space.begin(), name_space.end());
  input.append(name.data(), name.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // SHA-1 of a few bytes in memory cannot fail short of memory exhaustion.
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
  UuidBytes u{};
  for (size_t i = 0; i < u.size(); ++i) u[i] = digest[i];
  u[6] = static_cast<uint8_t>((u[6] & 0x0f) | 0x50);  // Version 5.
  u[8] = static_cast<uint8_t>((u[8] & 0x3f) | 0x80);  // RFC 4122 variant.
  return FormatUuid(u);
}

std::string MdevUuid(absl::string_view parent, absl::string_view type_id,
                     int slot) {
  return UuidV5(kMdevUuidNamespace,
                absl::StrCat(parent, "/", type_id, "/", slot));
}

}  // namespace vgpu::layout
