#include "pkg/metrics/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkg/base/local_file.h"

namespace vgpu::metrics {
namespace {

// Fields of /proc/self/stat after the ")" that ends comm (which may hold
// spaces): index 0 is field 3 (state), so field N is at N - 3.
constexpr size_t kStartTimeField = 22 - 3;
constexpr size_t kRssField = 24 - 3;

prometheus::MetricFamily Gauge(const char* name, const char* help,
                               double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(metric);
  return family;
}

// Entries of /proc/self/fd, the directory's own fd included (as the Go
// client counts them, less one).
absl::StatusOr<double> OpenFds() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"),
                                          &::closedir);
  if (dir == nullptr) return absl::UnavailableError("open /proc/self/fd");
  double count = 0;
  while (const struct dirent* ent = ::readdir(dir.get())) {
    if (ent->d_name[0] != '.') ++count;
  }
  return count - 1;  // The fd opendir holds.
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcessStats(absl::string_view self_stat,
                                               absl::string_view proc_stat,
                                               long page_size, long clk_tck) {
  const size_t paren = self_stat.rfind(')');
  if (paren == absl::string_view::npos || clk_tck <= 0) {
    return absl::InvalidArgumentError("/proc/self/stat: no \")\" after comm");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(self_stat.substr(paren + 1), ' ', absl::SkipEmpty());
  double start_ticks = 0;
  double rss_pages = 0;
  if (fields.size() <= kRssField ||
      !absl::SimpleAtod(fields[kStartTimeField], &start_ticks) ||
      !absl::SimpleAtod(fields[kRssField], &rss_pages)) {
    return absl::InvalidArgumentError(
        "/proc/self/stat: no starttime and rss fields");
  }
  double boot_time = -1;
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ") &&
        !absl::SimpleAtod(line, &boot_time)) {
      boot_time = -1;
    }
  }
  if (boot_time < 0) {
    return absl::InvalidArgumentError("/proc/stat: no btime line");
  }
  ProcessStats stats;
  stats.resident_memory_bytes = rss_pages * static_cast<double>(page_size);
  stats.start_time_seconds =
      boot_time + start_ticks / static_cast<double>(clk_tck);
  return stats;
}

std::vector<prometheus::MetricFamily> CollectProcessMetrics() {
  std::vector<prometheus::MetricFamily> out;
  absl::StatusOr<std::string> self_stat = ReadLocalFile("/proc/self/stat");
  absl::StatusOr<std::string> proc_stat = ReadLocalFile("/proc/stat");
  if (self_stat.ok() && proc_stat.ok()) {
    absl::StatusOr<ProcessStats> stats =
        ParseProcessStats(*self_stat, *proc_stat, ::sysconf(_SC_PAGESIZE),
                          ::sysconf(_SC_CLK_TCK));
    if (stats.ok()) {
      out.push_back(Gauge("process_resident_memory_bytes",
                          "Resident memory size in bytes.",
                          stats->resident_memory_bytes));
      out.push_back(Gauge("process_start_time_seconds",
                          "Start time of the process since unix epoch in "
                          "seconds.",
                          stats->start_time_seconds));
    }
  }
  if (absl::StatusOr<double> fds = OpenFds(); fds.ok()) {
    out.push_back(
        Gauge("process_open_fds", "Number of open file descriptors.", *fds));
  }
  return out;
}

}  // namespace vgpu::metrics
