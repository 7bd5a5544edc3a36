// Writes CDI spec dirs for the reference-parser test (run_cdi_test.sh):
//   OUT/specs/synthetic/  hand-made pools covering every device kind and
//                         the devices RenderCdiSpec must leave out;
//   OUT/specs/<profile>/  the pools of every simulated host profile, or of
//                         the PROFILEs named after OUT (SimHost -> Discover
//                         -> BuildPools, default config); the host trees
//                         stay in OUT/hosts/<profile>/.
// Every dir is written with kata::CdiWriter, as the daemon writes it. For
// each dir, OUT/expected/<name> lists the qualified names the reference
// parser must report, one per line, sorted. Exit 1 on any error.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/kata/allocate_response.h"
#include "pkg/kata/cdi_spec.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu {
namespace {

resources::PoolDevice Device(std::string id, resources::DeviceType type,
                             std::vector<std::string> nodes,
                             bool healthy = true) {
  resources::PoolDevice d;
  d.id = std::move(id);
  d.type = type;
  d.healthy = healthy;
  d.vfio_nodes = std::move(nodes);
  return d;
}

resources::PoolSet SyntheticPools() {
  using resources::DeviceType;
  resources::PoolSet set;
  resources::Pool pgpu{"nvidia.com/pgpu", {}};
  pgpu.devices = {
      Device("0000:42:00.0", DeviceType::kPassthrough, {"/dev/vfio/25"}),
      Device("0000:61:00.0", DeviceType::kPassthrough, {"/dev/vfio/10"},
             /*healthy=*/false),
      Device("0000:62:00.0", DeviceType::kPassthrough, {}),  // left out
  };
  resources::Pool multi{"amd.com/MI210", {}};
  multi.devices = {
      Device("0000:8c:00.0", DeviceType::kPassthrough,
             {"/dev/vfio/devices/vfio3", "/dev/vfio/devices/vfio4"})};
  resources::Pool nvswitch{"nvidia.com/nvswitch", {}};
  nvswitch.devices = {Device("0000:07:00.0", DeviceType::kNvSwitch,
                             {"/dev/vfio/devices/vfio8"}),
                      Device("0000:08:00.0", DeviceType::kNvSwitch,
                             {"/dev/vfio/devices/vfio9"})};
  resources::Pool mdev{"nvidia.com/GRID_T4-1Q", {}};
  mdev.devices = {Device("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01",
                         DeviceType::kMdev, {"/dev/vfio/100"})};
  resources::Pool vf{"nvidia.com/NVIDIA_L40S-2Q", {}};
  vf.devices = {
      Device("0000:01:00.4", DeviceType::kVfVgpu, {"/dev/vfio/devices/vfio0"}),
      Device("bad/name", DeviceType::kVfVgpu, {"/dev/vfio/devices/vfio1"})};
  resources::Pool empty{"intel.com/i915-GVTg_V5_4", {}};
  set.pools = {pgpu, multi, nvswitch, mdev, vf, empty};
  return set;
}

std::vector<std::string> ExpectedNames(const resources::PoolSet& set) {
  std::set<std::string> names;
  for (const resources::Pool& pool : set.pools) {
    for (const resources::PoolDevice& d : pool.devices) {
      if (kata::CdiListsDevice(d)) {
        names.insert(kata::CdiQualifiedName(pool.resource_name, d.id));
      }
    }
  }
  return {names.begin(), names.end()};
}

absl::Status WriteDir(const std::string& out, const std::string& name,
                      const resources::PoolSet& set) {
  kata::CdiWriter writer(absl::StrCat(out, "/specs/", name));
  VGPU_RETURN_IF_ERROR(writer.Sync(set));
  std::filesystem::create_directories(out + "/expected");
  std::ofstream expected(absl::StrCat(out, "/expected/", name));
  for (const std::string& n : ExpectedNames(set)) expected << n << "\n";
  if (!expected) return absl::InternalError("write expected/" + name);
  return absl::OkStatus();
}

absl::Status WriteProfile(const std::string& out, const std::string& profile) {
  const std::string root = absl::StrCat(out, "/hosts/", profile);
  VGPU_ASSIGN_OR_RETURN(std::unique_ptr<simhost::SimHost> host,
                        simhost::SimHost::Create(root));
  VGPU_RETURN_IF_ERROR(simhost::BuildProfile(*host, profile));
  VGPU_ASSIGN_OR_RETURN(std::unique_ptr<sysfs::Sysfs> sysfs,
                        sysfs::NewHostSysfs(root));
  VGPU_ASSIGN_OR_RETURN(inventory::Inventory inv,
                        inventory::Discover(*sysfs, {}));
  VGPU_ASSIGN_OR_RETURN(resources::PoolSet pools,
                        resources::BuildPools(inv, config::Config{}));
  return WriteDir(out, profile, pools);
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: render_specs OUT_DIR [PROFILE...]\n");
    return 2;
  }
  const std::string out = argv[1];
  std::vector<std::string> profiles(argv + 2, argv + argc);
  if (profiles.empty()) profiles = simhost::ProfileNames();
  absl::Status status = WriteDir(out, "synthetic", SyntheticPools());
  for (const std::string& profile : profiles) {
    if (!status.ok()) break;
    status = WriteProfile(out, profile);
    if (!status.ok()) {
      status = absl::Status(status.code(),
                            absl::StrCat(profile, ": ", status.message()));
    }
  }
  if (!status.ok()) {
    std::fprintf(stderr, "render_specs: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) { return vgpu::Main(argc, argv); }
