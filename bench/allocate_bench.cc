// allocate_bench: Allocate round trip through a real ResourceServer on a
// unix socket, for the biggest pool of the simulated `large` host, against
// a trivial RPC (GetDevicePluginOptions) from the same client in the same
// run, interleaved call by call. Prints p50/p99 of each, Allocate's own cost
// (the difference), and the in-process cost of BuildContainerResponse.
// Goal (issue 4): own cost p50 <= 20 us. Usage:
//   allocate_bench [--calls N] [--gpus N] [--vfs N]
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/allocate_calls.h"
#include "cmd/common/flags.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/config/config.h"
#include "pkg/deviceplugin/resource_server.h"
#include "pkg/deviceplugin/snapshot.h"
#include "pkg/inventory/discovery.h"
#include "pkg/kata/allocate_response.h"
#include "pkg/kubelet/grpc_util.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(int, calls, 2000, "Allocate calls to time (> 0)");
ABSL_FLAG(int, gpus, vgpu::simhost::ProfileOptions{}.gpus,
          "profile large: number of GPUs");
ABSL_FLAG(int, vfs, vgpu::simhost::ProfileOptions{}.vfs_per_gpu,
          "profile large: VFs per GPU");

namespace vgpu {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int calls = 2000;
  simhost::ProfileOptions profile;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[i];
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

// The biggest pool of the simulated host, as the daemon would build it.
absl::StatusOr<deviceplugin::SnapshotPtr> LargestPool(const std::string& root,
                                                      const Flags& flags) {
  auto host = simhost::SimHost::Create(root);
  if (!host.ok()) return host.status();
  if (absl::Status s = simhost::BuildProfile(**host, "large", flags.profile);
      !s.ok()) {
    return s;
  }
  auto sysfs = sysfs::NewHostSysfs(root);
  if (!sysfs.ok()) return sysfs.status();
  auto inv = inventory::Discover(**sysfs, {});
  if (!inv.ok()) return inv.status();
  auto pools = resources::BuildPools(*inv, config::Config{});
  if (!pools.ok()) return pools.status();
  auto snapshot = std::make_shared<deviceplugin::ResourceSnapshot>();
  for (const resources::Pool& pool : pools->pools) {
    if (pool.devices.size() > snapshot->pool.devices.size()) {
      snapshot->pool = pool;
    }
  }
  return deviceplugin::SnapshotPtr(std::move(snapshot));
}

std::vector<std::string> HealthyIds(const resources::Pool& pool) {
  std::vector<std::string> ids;
  for (const resources::PoolDevice& d : pool.devices) {
    if (d.healthy) ids.push_back(d.id);
  }
  return ids;
}

void Report(const char* what, const std::vector<double>& us) {
  std::printf("%-34s p50 %8.1f us   p99 %8.1f us\n", what, Percentile(us, 0.5),
              Percentile(us, 0.99));
}

// In-process cost of the response builder alone.
std::vector<double> BuilderCost(const resources::Pool& pool,
                                const std::vector<std::string>& ids, int n) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    const Clock::time_point start = Clock::now();
    auto r = kata::BuildContainerResponse(pool, {ids[i % ids.size()]}, {});
    us.push_back(MicrosSince(start));
    if (!r.ok())
      std::fprintf(stderr, "build: %s\n", r.status().ToString().c_str());
  }
  return us;
}

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return 1;
}

int Run(const Flags& flags, const std::string& dir) {
  std::filesystem::create_directories(dir + "/plugins");
  auto snapshot = LargestPool(dir + "/host", flags);
  if (!snapshot.ok()) return Fail("setup", snapshot.status());
  const std::vector<std::string> ids = HealthyIds((*snapshot)->pool);
  if (ids.empty())
    return Fail("setup", absl::NotFoundError("no healthy device"));
  deviceplugin::ResourceServerOptions options;
  options.plugin_dir = dir + "/plugins";
  options.resource_name = (*snapshot)->pool.resource_name;
  deviceplugin::ResourceServer server(options, *snapshot);
  if (absl::Status s = server.Start(); !s.ok()) return Fail("start", s);
  absl::StatusOr<bench::AllocateSamples> samples =
      bench::TimeAllocateCalls(server.socket_path(), ids, flags.calls);
  server.Stop();
  if (!samples.ok()) return Fail("measure", samples.status());
  std::printf("pool %s: %zu devices (%zu healthy), %d calls each\n",
              options.resource_name.c_str(), (*snapshot)->pool.devices.size(),
              ids.size(), flags.calls);
  Report("GetDevicePluginOptions round trip", samples->trivial_us);
  Report("Allocate round trip", samples->alloc_us);
  std::printf(
      "%-34s p50 %8.1f us   p99 %8.1f us\n", "Allocate own cost (difference)",
      Percentile(samples->alloc_us, 0.5) - Percentile(samples->trivial_us, 0.5),
      Percentile(samples->alloc_us, 0.99) -
          Percentile(samples->trivial_us, 0.99));
  Report("BuildContainerResponse in-process",
         BuilderCost((*snapshot)->pool, ids, flags.calls));
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "allocate_bench";
  line.usage = "usage: allocate_bench [--calls N] [--gpus N] [--vfs N]";
  line.flags = {"calls", "gpus", "vfs"};
  if (std::optional<int> done = vgpu::cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  vgpu::Flags flags;
  flags.calls = absl::GetFlag(FLAGS_calls);
  flags.profile.gpus = absl::GetFlag(FLAGS_gpus);
  flags.profile.vfs_per_gpu = absl::GetFlag(FLAGS_vfs);
  if (flags.calls <= 0) {
    return vgpu::cmd::UsageError(line, "--calls must be > 0");
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() /
       ("vgpu-allocate-bench-" + std::to_string(::getpid())))
          .string();
  const int rc = vgpu::Run(flags, dir);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
