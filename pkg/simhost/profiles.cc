#include "pkg/simhost/profiles.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/simhost/sim_host.h"

namespace vgpu::simhost {
namespace {

using BuildFn = absl::Status (*)(SimHost&, const ProfileOptions&);

template <absl::Status (*F)(SimHost&)>
absl::Status WithoutOptions(SimHost& host, const ProfileOptions&) {
  return F(host);
}

struct Profile {
  const char* name;
  BuildFn build;
};

constexpr Profile kProfiles[] = {
    {"workstation", &WithoutOptions<internal::BuildWorkstation>},
    {"t4-vgpu", &WithoutOptions<internal::BuildT4Vgpu>},
    {"a100-sriov", &WithoutOptions<internal::BuildA100Sriov>},
    {"h100-hgx", &WithoutOptions<internal::BuildH100Hgx>},
    {"ada-vf-vgpu", &WithoutOptions<internal::BuildAdaVfVgpu>},
    {"intel-gvt", &WithoutOptions<internal::BuildIntelGvt>},
    {"amd-sriov", &WithoutOptions<internal::BuildAmdSriov>},
    {"broken", &WithoutOptions<internal::BuildBroken>},
    {"large", &internal::BuildLarge},
    {"t4-empty", &WithoutOptions<internal::BuildT4Empty>},
    {"large-empty", &internal::BuildLargeEmpty},
    {"stock-debian", &WithoutOptions<internal::BuildStockDebian>},
    {"mdev-no-parent", &WithoutOptions<internal::BuildMdevNoParent>},
    {"mdev-virtual", &WithoutOptions<internal::BuildMdevVirtual>},
    {"passthrough", &internal::BuildPassthrough},
};

}  // namespace

std::vector<std::string> ProfileNames() {
  std::vector<std::string> names;
  for (const Profile& profile : kProfiles) names.emplace_back(profile.name);
  return names;
}

absl::Status CheckProfile(absl::string_view name,
                          const ProfileOptions& options) {
  for (const Profile& profile : kProfiles) {
    if (name != profile.name) continue;
    if (name == "passthrough") {
      if (options.gpus >= 1 && options.gpus <= internal::kMaxLargeGpus) {
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(
          absl::StrCat("profile passthrough wants 1..", internal::kMaxLargeGpus,
                       " gpus, got ", options.gpus));
    }
    if (name != "large" && name != "large-empty") return absl::OkStatus();
    if (options.gpus < 1 || options.gpus > internal::kMaxLargeGpus ||
        options.vfs_per_gpu < 0 ||
        options.vfs_per_gpu > internal::kMaxLargeVfsPerGpu) {
      return absl::InvalidArgumentError(absl::StrCat(
          "profile ", name, " wants 1..", internal::kMaxLargeGpus,
          " gpus and 0..", internal::kMaxLargeVfsPerGpu, " vfs per gpu, got ",
          options.gpus, " x ", options.vfs_per_gpu));
    }
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown profile \"", name,
      "\"; known profiles: ", absl::StrJoin(ProfileNames(), ", ")));
}

absl::Status BuildProfile(SimHost& host, absl::string_view name,
                          const ProfileOptions& options) {
  absl::Status checked = CheckProfile(name, options);
  if (!checked.ok()) return checked;
  for (const Profile& profile : kProfiles) {
    if (name != profile.name) continue;
    absl::Status status = profile.build(host, options);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("profile ", name, ": ",
                                                      status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace vgpu::simhost
