#include "bench/daemon_scaling.h"

#include <grpcpp/grpcpp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/allocate_calls.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/host_signature.h"
#include "pkg/kubelet/grpc_util.h"
#include "pkg/resources/pools.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Size {
  const char* profile;
  int gpus;
  int vfs_per_gpu;
  int Devices() const {
    return std::string(profile) == "passthrough" ? gpus : gpus * vfs_per_gpu;
  }
};

constexpr Size kSizes[] = {
    {"large", 8, 16},       {"large", 16, 32},       {"large", 32, 64},
    {"large", 64, 64},      {"passthrough", 16, 0},  {"passthrough", 32, 0},
    {"passthrough", 64, 0}, {"passthrough", 128, 0},
};

struct Row {
  Size size{};
  int devices = 0;
  int resources = 0;
  double start_ms = 0;
  double start_cpu_ms = 0;  // The daemon's user + system time.
  double rss_mib = 0;
  double signature_ms = 0;
  double discover_pools_ms = 0;
  double discover_pools_cpu_ms = 0;  // This process's CPU time.
  double health_down_ms = 0;
  double health_up_ms = 0;
  size_t list_and_watch_bytes = 0;
  double allocate_own_us = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// CPU time of this process (every thread), in ms: what a step costs on a
// loaded machine, where wall time also counts waiting for a core.
double ProcessCpuMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The pools as the daemon builds them with its defaults (no config file).
resources::PoolSet PoolsOf(const std::string& root) {
  auto sysfs = sysfs::NewHostSysfs(root);
  Check(sysfs.status(), "sysfs");
  auto inventory = inventory::Discover(**sysfs, {});
  Check(inventory.status(), "discover");
  auto pools = resources::BuildPools(*inventory, config::Config());
  Check(pools.status(), "pools");
  return *std::move(pools);
}

const resources::Pool& Biggest(const resources::PoolSet& set) {
  const resources::Pool* best = &set.pools.front();
  for (const resources::Pool& p : set.pools) {
    if (p.devices.size() > best->devices.size()) best = &p;
  }
  return *best;
}

// The daemon's periodic rescan, in this process against the same root:
// HostSignature (what every period costs), and Discover + BuildPools (what
// it costs when the signature differs).
void Rescan(const std::string& root, int n, Row& row) {
  auto sysfs = sysfs::NewHostSysfs(root);
  Check(sysfs.status(), "sysfs");
  std::vector<double> signature, full, full_cpu;
  for (int i = 0; i < n; ++i) {
    Clock::time_point t0 = Clock::now();
    const double cpu0 = ProcessCpuMs();
    auto inv = inventory::Discover(**sysfs, {});
    Check(inv.status(), "discover");
    auto pools = resources::BuildPools(*inv, config::Config());
    Check(pools.status(), "pools");
    full.push_back(MsSince(t0));
    full_cpu.push_back(ProcessCpuMs() - cpu0);
    const std::vector<std::string> vfs = inventory::NvidiaVfs(*inv);
    t0 = Clock::now();
    Check(inventory::HostSignature(**sysfs, vfs).status(), "signature");
    signature.push_back(MsSince(t0));
  }
  row.signature_ms = Median(signature);
  row.discover_pools_ms = Median(full);
  row.discover_pools_cpu_ms = Median(full_cpu);
}

// Allocate's own cost over the daemon's socket: the difference of the p50s
// of TimeAllocateCalls (as bench/allocate_bench does in process).
double AllocateOwnCostUs(const std::string& socket, const resources::Pool& pool,
                         int calls) {
  std::vector<std::string> ids;
  for (const resources::PoolDevice& d : pool.devices) {
    if (d.healthy) ids.push_back(d.id);
  }
  if (ids.empty()) Die("no healthy device in " + pool.resource_name);
  absl::StatusOr<AllocateSamples> samples =
      TimeAllocateCalls(socket, ids, calls);
  Check(samples.status(), "Allocate over " + socket);
  return Median(samples->alloc_us) - Median(samples->trivial_us);
}

// n daemon starts on one host: the kubelet is restarted (state and sockets
// gone) between them, so each start is measured from scratch.
void StartRuns(Rig& rig, int resources, int n, Row& row) {
  std::vector<double> start, cpu;
  for (int i = 0; i < n; ++i) {
    if (i > 0) {
      rig.StopDaemon();
      Check(rig.kubelet().Restart(), "kubelet restart");
    }
    start.push_back(rig.StartDaemon(resources));
    cpu.push_back(rig.CpuTicks() * 1000.0 / ::sysconf(_SC_CLK_TCK));
  }
  row.start_ms = Median(start);
  row.start_cpu_ms = Median(cpu);
  row.rss_mib = rig.RssKib() / 1024.0;
}

Row Measure(const Args& args, const Size& size, int n) {
  Row row;
  row.size = size;
  Rig rig(args, size.profile,
          simhost::ProfileOptions{size.gpus, size.vfs_per_gpu});
  const resources::PoolSet pools = PoolsOf(rig.root());
  row.resources = static_cast<int>(pools.pools.size());
  for (const resources::Pool& p : pools.pools) {
    row.devices += static_cast<int>(p.devices.size());
  }
  StartRuns(rig, row.resources, n, row);
  Rescan(rig.root(), n, row);

  const resources::Pool& pool = Biggest(pools);
  const resources::PoolDevice& device = pool.devices.front();
  if (device.iommu_groups.empty()) Die("no group for " + device.id);
  std::vector<double> down, up;
  for (int i = 0; i < n; ++i) {
    down.push_back(rig.HealthChange(pool.resource_name, device.id,
                                    device.iommu_groups.front(), true));
    up.push_back(rig.HealthChange(pool.resource_name, device.id,
                                  device.iommu_groups.front(), false));
  }
  row.health_down_ms = Median(down);
  row.health_up_ms = Median(up);

  const testing::KubeletState state = rig.kubelet().State();
  auto it = state.find(pool.resource_name);
  if (it == state.end()) Die("kubelet lost " + pool.resource_name);
  row.list_and_watch_bytes = it->second.message_bytes;
  row.allocate_own_us = AllocateOwnCostUs(
      rig.plugin_dir() + "/" + it->second.endpoint, pool, 200 * args.runs);
  rig.StopDaemon();
  return row;
}

constexpr char kCsvHeader[] =
    "profile,gpus,vfs_per_gpu,devices,resources,start_ms,rss_mib,"
    "rescan_signature_ms,rescan_discover_pools_ms,health_down_ms,"
    "health_up_ms,list_and_watch_bytes,allocate_own_us,start_cpu_ms,"
    "rescan_discover_pools_cpu_ms";

std::string CsvLine(const Row& r) {
  return absl::StrFormat(
      "%s,%d,%d,%d,%d,%.2f,%.1f,%.3f,%.2f,%.2f,%.2f,%d,%.1f,%.0f,%.2f",
      r.size.profile, r.size.gpus, r.size.vfs_per_gpu, r.devices, r.resources,
      r.start_ms, r.rss_mib, r.signature_ms, r.discover_pools_ms,
      r.health_down_ms, r.health_up_ms, r.list_and_watch_bytes,
      r.allocate_own_us, r.start_cpu_ms, r.discover_pools_cpu_ms);
}

void PrintHeader(int n, int calls) {
  std::printf(
      "scaling: medians of %d runs per size; rescan = in process against the "
      "same host root (HostSignature every period; Discover + BuildPools "
      "when it differs); health = dev/vfio node removed/restored -> kubelet "
      "sees it; L&W = biggest resource's ListAndWatch message; Allocate own "
      "= p50 Allocate - p50 GetDevicePluginOptions over the daemon's socket "
      "(%d calls); cpu = CPU time (daemon: user + system up to registered; "
      "rescan: this process)\n",
      n, calls);
  std::printf(
      "%-12s %5s %4s %7s %4s %9s %9s %8s %9s %10s %9s %9s %9s %10s %9s\n",
      "profile", "gpus", "vfs", "devices", "res", "start ms", "cpu ms",
      "RSS MiB", "sig ms", "disc+pool", "cpu ms", "down ms", "up ms",
      "L&W bytes", "alloc us");
}

void PrintRow(const Row& r) {
  std::printf(
      "%-12s %5d %4d %7d %4d %9.1f %9.0f %8.1f %9.3f %10.1f %9.1f %9.1f "
      "%9.1f %10zu %9.1f\n",
      r.size.profile, r.size.gpus, r.size.vfs_per_gpu, r.devices, r.resources,
      r.start_ms, r.start_cpu_ms, r.rss_mib, r.signature_ms,
      r.discover_pools_ms, r.discover_pools_cpu_ms, r.health_down_ms,
      r.health_up_ms, r.list_and_watch_bytes, r.allocate_own_us);
  std::fflush(stdout);
}

}  // namespace

void RunScaling(const Args& args, const ScalingOptions& options) {
  const int n = std::clamp(args.runs / 4, 1, 5);
  PrintHeader(n, 200 * args.runs);
  std::vector<Row> rows;
  for (const Size& size : kSizes) {
    if (options.max_devices > 0 && size.Devices() > options.max_devices) {
      continue;
    }
    rows.push_back(Measure(args, size, n));
    PrintRow(rows.back());
  }
  if (options.csv_path.empty()) return;
  std::ofstream csv(options.csv_path, std::ios::trunc);
  csv << kCsvHeader << "\n";
  for (const Row& r : rows) csv << CsvLine(r) << "\n";
  csv.close();
  if (!csv) Die("cannot write " + options.csv_path);
  std::printf("wrote %s\n", options.csv_path.c_str());
}

}  // namespace vgpu::bench
