#include <utility>

#include "absl/strings/str_format.h"
#include "pkg/base/status_macros.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {

FunctionSpec Endpoint(const std::string& bdf, uint16_t vendor, uint16_t device,
                      uint32_t class_code, const std::string& driver,
                      std::optional<int> group, std::optional<int> numa,
                      std::vector<std::string> bridges) {
  FunctionSpec spec;
  spec.bdf = bdf;
  spec.vendor = vendor;
  spec.device = device;
  spec.subsystem_vendor = vendor;
  spec.class_code = class_code;
  spec.driver = driver;
  spec.iommu_group = group;
  spec.numa_node = numa;
  spec.parent_bridges = std::move(bridges);
  // The kernel offers a reset (and writes reset_method and reset) on
  // function 0; a later function of the same slot has none.
  if (bdf.size() > 2 && bdf.compare(bdf.size() - 2, 2, ".0") == 0) {
    spec.reset_method = "flr bus";
  }
  return spec;
}

FunctionSpec Bridge(const std::string& bdf, uint16_t vendor, uint16_t device,
                    std::optional<int> group, std::optional<int> numa,
                    std::vector<std::string> bridges) {
  FunctionSpec spec = Endpoint(bdf, vendor, device, 0x060400, "pcieport", group,
                               numa, std::move(bridges));
  spec.revision = 0x00;
  spec.reset_method = "";
  return spec;
}

absl::StatusOr<FunctionSpec> VirtualFunction(const FunctionSpec& pf, int index,
                                             const std::string& driver,
                                             std::optional<int> group) {
  VGPU_ASSIGN_OR_RETURN(std::string bdf,
                        VfBdf(pf.bdf, pf.sriov_offset, pf.sriov_stride, index));
  FunctionSpec vf = Endpoint(
      bdf, pf.vendor, pf.sriov_vf_device != 0 ? pf.sriov_vf_device : pf.device,
      pf.class_code, driver, group, pf.numa_node);
  vf.subsystem_vendor = pf.subsystem_vendor;
  vf.subsystem_device = pf.subsystem_device;
  vf.revision = pf.revision;
  vf.physfn = pf.bdf;
  vf.reset_method = "flr";
  vf.link_speed = pf.link_speed;
  return vf;
}

absl::Status AddAll(SimHost& host, const std::vector<FunctionSpec>& specs) {
  for (const FunctionSpec& spec : specs) {
    VGPU_RETURN_IF_ERROR(host.AddFunction(spec));
  }
  return absl::OkStatus();
}

std::string NvidiaDescription(int heads, int frl, int framebuffer_mb,
                              const std::string& resolution, int max_instance) {
  return absl::StrFormat(
      "num_heads=%d, frl_config=%d, framebuffer=%dM, max_resolution=%s, "
      "max_instance=%d\n",
      heads, frl, framebuffer_mb, resolution, max_instance);
}

}  // namespace vgpu::simhost::internal
