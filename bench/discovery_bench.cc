// discovery_bench: full Discover() of the simulated `large` host against the
// floor, i.e. the same files Discover reads, read with plain
// open/read/close in a loop. Prints the median of N runs of each and their
// ratio (goal: <= 2x). Usage:
//   discovery_bench [--runs N] [--gpus N] [--vfs N]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cmd/common/flags.h"
#include "pkg/base/parallel.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/host_signature.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(int, runs, 21, "timed runs per case (> 0); the median is printed");
ABSL_FLAG(int, gpus, vgpu::simhost::ProfileOptions{}.gpus,
          "profile large: number of GPUs");
ABSL_FLAG(int, vfs, vgpu::simhost::ProfileOptions{}.vfs_per_gpu,
          "profile large: VFs per GPU");

namespace vgpu {
namespace {

using Clock = std::chrono::steady_clock;

// Records the path of every successful ReadFile.
class RecordingSysfs : public sysfs::SysfsWrapper {
 public:
  using SysfsWrapper::SysfsWrapper;
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    absl::StatusOr<std::string> r = SysfsWrapper::ReadFile(path);
    if (r.ok()) paths_.emplace_back(path);
    return r;
  }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
};

// Counts calls and time per Sysfs method, for the breakdown line.
class TimingSysfs : public sysfs::SysfsWrapper {
 public:
  using SysfsWrapper::SysfsWrapper;
  struct Stat {
    int calls = 0;
    double ms = 0;
  };
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    return Timed(read_, [&] { return SysfsWrapper::ReadFile(path); });
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    return Timed(list_, [&] { return SysfsWrapper::ListDir(path); });
  }
  absl::StatusOr<std::string> ReadLink(absl::string_view path) override {
    return Timed(link_, [&] { return SysfsWrapper::ReadLink(path); });
  }
  absl::StatusOr<std::string> RealPath(absl::string_view path) override {
    return Timed(real_, [&] { return SysfsWrapper::RealPath(path); });
  }
  absl::StatusOr<sysfs::FileInfo> Lstat(absl::string_view path) override {
    return Timed(stat_, [&] { return SysfsWrapper::Lstat(path); });
  }
  void Print() const {
    std::printf(
        "sysfs calls: ReadFile %d (%.1f ms), ListDir %d (%.1f ms), "
        "ReadLink %d (%.1f ms), RealPath %d (%.1f ms), Lstat %d (%.1f ms)\n",
        read_.calls, read_.ms, list_.calls, list_.ms, link_.calls, link_.ms,
        real_.calls, real_.ms, stat_.calls, stat_.ms);
  }

 private:
  template <typename F>
  static std::invoke_result_t<F> Timed(Stat& stat, F&& f) {
    const auto start = std::chrono::steady_clock::now();
    auto r = f();
    stat.ms += std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    ++stat.calls;
    return r;
  }
  Stat read_, list_, link_, real_, stat_;
};

struct Args {
  int runs = 21;
  simhost::ProfileOptions profile;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Reads every file with open/read/close; returns the bytes read.
size_t ReadAllPlain(const std::vector<std::string>& abs_paths) {
  size_t total = 0;
  char buf[4096];
  for (const std::string& path : abs_paths) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
      total += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  return total;
}

template <typename F>
double TimeMs(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "discovery_bench: %s\n", status.ToString().c_str());
  return 1;
}

int Run(const Args& args, const std::string& dir) {
  auto host = simhost::SimHost::Create(dir);
  if (!host.ok()) return Fail(host.status());
  absl::Status built = simhost::BuildProfile(**host, "large", args.profile);
  if (!built.ok()) return Fail(built);
  auto sysfs = sysfs::NewHostSysfs(dir);
  if (!sysfs.ok()) return Fail(sysfs.status());
  RecordingSysfs recorder(**sysfs);
  auto inv = inventory::Discover(recorder, {});
  if (!inv.ok()) return Fail(inv.status());
  std::vector<std::string> files;
  for (const std::string& p : recorder.paths()) {
    files.push_back((*sysfs)->HostPath(p));
  }
  TimingSysfs timing(**sysfs);
  if (!inventory::Discover(timing, {}).ok()) std::abort();
  std::vector<double> discover_ms, floor_ms, parallel_ms;
  inventory::DiscoverOptions parallel;
  parallel.workers = 0;  // As the daemon runs it.
  for (int i = 0; i < args.runs; ++i) {
    discover_ms.push_back(TimeMs([&] {
      auto r = inventory::Discover(**sysfs, {});
      if (!r.ok()) std::abort();
    }));
    floor_ms.push_back(TimeMs([&] { ReadAllPlain(files); }));
    parallel_ms.push_back(TimeMs([&] {
      auto r = inventory::Discover(**sysfs, parallel);
      if (!r.ok()) std::abort();
    }));
  }
  const double d = Median(discover_ms), f = Median(floor_ms);
  std::printf("profile large: %d GPUs x %d VFs; %zu functions, %zu mdevs\n",
              args.profile.gpus, args.profile.vfs_per_gpu,
              inv->functions.size(), inv->mdevs.size());
  std::printf("files read per discovery: %zu\n", files.size());
  std::printf("discover (median of %d): %.3f ms\n", args.runs, d);
  std::printf("floor    (median of %d): %.3f ms\n", args.runs, f);
  timing.Print();
  std::printf("ratio discover/floor: %.2fx (goal <= 2x)\n", d / f);
  const double p = Median(parallel_ms);
  std::printf(
      "discover, %d workers as the daemon runs it (median of %d): %.3f ms, "
      "%.2fx the floor\n",
      DefaultWorkers(), args.runs, p, p / f);
  // What the daemon's periodic rescan costs when nothing changed.
  const std::vector<std::string> nvidia_vfs = inventory::NvidiaVfs(*inv);
  std::vector<double> signature_ms;
  for (int i = 0; i < args.runs; ++i) {
    signature_ms.push_back(TimeMs([&] {
      if (!inventory::HostSignature(**sysfs, nvidia_vfs).ok()) std::abort();
    }));
  }
  std::printf("host signature (median of %d): %.3f ms (%.1f%% of discover)\n",
              args.runs, Median(signature_ms),
              100.0 * Median(signature_ms) / d);
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "discovery_bench";
  line.usage = "usage: discovery_bench [--runs N] [--gpus N] [--vfs N]";
  line.flags = {"runs", "gpus", "vfs"};
  if (std::optional<int> done = vgpu::cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  vgpu::Args args;
  args.runs = absl::GetFlag(FLAGS_runs);
  args.profile.gpus = absl::GetFlag(FLAGS_gpus);
  args.profile.vfs_per_gpu = absl::GetFlag(FLAGS_vfs);
  if (args.runs <= 0) return vgpu::cmd::UsageError(line, "--runs must be > 0");
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp",
                                  "/vgpu-discovery-bench-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const int rc = vgpu::Run(args, tmpl + "/host");
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return rc;
}
