// Stable identities of the vGPUs we create: name-based UUIDs (RFC 4122
// version 5, SHA-1 from OpenSSL's libcrypto) of facts that survive a daemon
// restart and a host reboot, so the same vGPU comes back with the same UUID
// and the kubelet's checkpoint, CDI names and pods keep pointing at it.
// Pure and thread-safe.
#ifndef VGPU_PKG_LAYOUT_UUID_H_
#define VGPU_PKG_LAYOUT_UUID_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::layout {

using UuidBytes = std::array<uint8_t, 16>;

// The namespace of our mdev UUIDs (fixed forever: changing it changes every
// vGPU's identity): 41afff90-cd10-40cd-b569-76de3cd14fe1.
extern const UuidBytes kMdevUuidNamespace;

// "6ba7b810-9dad-11d1-80b4-00c04fd430c8" (either case) -> bytes;
// InvalidArgument for anything else.
absl::StatusOr<UuidBytes> ParseUuid(absl::string_view text);

// Lower-case canonical text of `uuid`.
std::string FormatUuid(const UuidBytes& uuid);

// The version-5 UUID of `name` in `name_space`, lower-case.
std::string UuidV5(const UuidBytes& name_space, absl::string_view name);

// The UUID of the vGPU in slot `slot` (0, 1, ...) of type `type_id` on mdev
// parent `parent` (its name in class/mdev_bus: the PCI address for PCI
// parents): UuidV5(kMdevUuidNamespace, "<parent>/<type_id>/<slot>").
std::string MdevUuid(absl::string_view parent, absl::string_view type_id,
                     int slot);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_UUID_H_
