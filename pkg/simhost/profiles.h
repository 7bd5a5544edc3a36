// Builders of the named simulated-host profiles (docs/sysfs.md, profiles)
// and the small table helpers they share. Internal to pkg/simhost: callers
// use BuildProfile() from sim_host.h.
#ifndef VGPU_PKG_SIMHOST_PROFILES_H_
#define VGPU_PKG_SIMHOST_PROFILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "pkg/simhost/sim_host.h"

namespace vgpu::simhost::internal {

// Bounds of ProfileOptions for `large`, `large-empty` and `passthrough`
// (GPUs only): root ports 0000:00:01.0..1f.7 and one bus per GPU; ARI leaves
// 256 - offset 4 VF routing IDs per bus.
inline constexpr int kMaxLargeGpus = 248;
inline constexpr int kMaxLargeVfsPerGpu = 252;

absl::Status BuildWorkstation(SimHost& host);
absl::Status BuildIntelGvt(SimHost& host);
absl::Status BuildAmdSriov(SimHost& host);
absl::Status BuildT4Vgpu(SimHost& host);
absl::Status BuildT4Empty(SimHost& host);
absl::Status BuildA100Sriov(SimHost& host);
absl::Status BuildAdaVfVgpu(SimHost& host);
absl::Status BuildH100Hgx(SimHost& host);
absl::Status BuildLarge(SimHost& host, const ProfileOptions& options);
absl::Status BuildLargeEmpty(SimHost& host, const ProfileOptions& options);
absl::Status BuildPassthrough(SimHost& host, const ProfileOptions& options);
absl::Status BuildBroken(SimHost& host);
absl::Status BuildStockDebian(SimHost& host);
absl::Status BuildMdevNoParent(SimHost& host);
absl::Status BuildMdevVirtual(SimHost& host);

// An endpoint function. Subsystem defaults to vendor:0000; reset_method to
// "flr bus" on function 0 and none on others; set fields on the result for
// anything else.
FunctionSpec Endpoint(const std::string& bdf, uint16_t vendor, uint16_t device,
                      uint32_t class_code, const std::string& driver,
                      std::optional<int> group, std::optional<int> numa,
                      std::vector<std::string> bridges = {});

// A PCIe bridge (class 0x060400) bound to pcieport.
FunctionSpec Bridge(const std::string& bdf, uint16_t vendor, uint16_t device,
                    std::optional<int> group, std::optional<int> numa,
                    std::vector<std::string> bridges = {});

// A VF of `pf` with index `index` (BDF from the PF's offset/stride), same
// ids/class/numa as the PF unless changed afterwards; VF device id is the
// PF's sriov_vf_device when set; reset_method "flr".
absl::StatusOr<FunctionSpec> VirtualFunction(const FunctionSpec& pf, int index,
                                             const std::string& driver,
                                             std::optional<int> group);

absl::Status AddAll(SimHost& host, const std::vector<FunctionSpec>& specs);

// NVIDIA vGPU type description (NV-rm nv_vgpu_get_type_info format).
std::string NvidiaDescription(int heads, int frl, int framebuffer_mb,
                              const std::string& resolution, int max_instance);

}  // namespace vgpu::simhost::internal

#endif  // VGPU_PKG_SIMHOST_PROFILES_H_
