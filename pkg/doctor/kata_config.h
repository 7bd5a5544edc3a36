// The Kata keys `vgpuctl doctor` checks, read from one configuration TOML
// (configuration-qemu-nvidia-gpu.toml and kin) with toml++ (Debian
// libtomlplusplus-dev, header-only, its no-exceptions API). Which runtime
// the file configures is decided from keys only runtime-rs has
// (kata-types src/config/runtime.rs: [runtime] name = "virt_container",
// hypervisor_name, agent_name; [hypervisor.dragonball]); any other file is
// the Go runtime's (src/runtime/pkg/katautils/config.go). Pure.
#ifndef VGPU_PKG_DOCTOR_KATA_CONFIG_H_
#define VGPU_PKG_DOCTOR_KATA_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::doctor {

enum class KataRuntime { kGo, kRs };

struct KataConfig {
  std::string path;
  KataRuntime runtime = KataRuntime::kGo;
  std::string runtime_evidence;  // "[runtime] name = \"virt_container\""
  std::string hypervisor;        // "qemu": the first [hypervisor.X] table.
  // [hypervisor.X] keys; nullopt when absent (Kata's default applies).
  std::optional<std::string> cold_plug_vfio;  // Default "no-port".
  std::optional<std::string> hot_plug_vfio;   // Default "no-port".
  std::optional<int64_t> pcie_root_port;      // Default 0.
  std::optional<std::vector<std::string>> enable_annotations;
  // [runtime] pod_resource_api_sock; default "" (off).
  std::optional<std::string> pod_resource_api_sock;
};

// Parses `content` (the file at `path`). InvalidArgument naming the path,
// line and column on a TOML syntax error, or naming the key whose value has
// the wrong type ("cold_plug_vfio must be a string"); InvalidArgument when
// the file has no [hypervisor.*] table.
absl::StatusOr<KataConfig> ParseKataConfig(absl::string_view content,
                                           absl::string_view path);

}  // namespace vgpu::doctor

#endif  // VGPU_PKG_DOCTOR_KATA_CONFIG_H_
