// kubelet-emulator: the kubelet's device-plugin side, for the demo and for
// poking at a running vgpu-device-plugin by hand. Serves Registration (and
// PodResources), waits for plugins, prints what the kubelet sees, allocates
// pods on request, and keeps printing changes for --duration.
//
//   kubelet-emulator --device-plugin-dir D --pod-resources-socket S
//     --wait-resources 2 --allocate 'default/vm1:nvidia.com/pgpu=1'
//     --duration 5s
// --nopod-resources-get makes PodResources Get fail as a kubelet with the
// KubeletPodResourcesGet feature gate off (for `vgpuctl doctor`).
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cmd/common/flags.h"
#include "grpcpp/grpcpp.h"
#include "pkg/kubelet/pod_resources.h"
#include "podresources/v1/api.grpc.pb.h"
#include "test/testing/fake_kubelet.h"

ABSL_FLAG(std::string, device_plugin_dir, "/var/lib/kubelet/device-plugins",
          "Directory for kubelet.sock and the plugins' sockets");
ABSL_FLAG(std::string, pod_resources_socket, "",
          "Serve PodResources v1 on this socket ('' = off)");
ABSL_FLAG(bool, pod_resources_get, true,
          "Answer PodResources Get (false: fail it as a kubelet whose feature "
          "gate KubeletPodResourcesGet is off does)");
ABSL_FLAG(int, wait_resources, 1,
          "Wait until this many resources registered and sent their list");
ABSL_FLAG(absl::Duration, settle, absl::Milliseconds(300),
          "Then wait until no further resource registers for this long");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "Give up waiting for resources after this long (exit 1)");
ABSL_FLAG(std::string, allocate, "",
          "Pods to allocate, ';'-separated: ns/pod:resource=count,...");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "Keep running this long afterwards, printing every change");

namespace {

using vgpu::testing::FakeKubelet;
using vgpu::testing::KubeletState;

// --plugin-dir is the emulator's first spelling, kept for scripts.
vgpu::cmd::CommandLine EmulatorCommandLine() {
  vgpu::cmd::CommandLine line;
  line.program = "kubelet-emulator";
  line.usage =
      "Emulates the kubelet's device-plugin and PodResources side.\n"
      "usage: kubelet-emulator --device-plugin-dir DIR "
      "[--pod-resources-socket PATH] [--allocate PODS] ...";
  line.flags = {"device_plugin_dir",
                "pod_resources_socket",
                "pod_resources_get",
                "wait_resources",
                "settle",
                "timeout",
                "allocate",
                "duration"};
  line.aliases = {{"plugin_dir", "device_plugin_dir"}};
  return line;
}

absl::StatusOr<vgpu::testing::PodSpec> ParsePod(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--allocate \"", text, "\": ", why));
  };
  std::vector<std::string> head = absl::StrSplit(text, absl::MaxSplits(':', 1));
  if (head.size() != 2) return bad("want ns/pod:resource=count,...");
  std::vector<std::string> id = absl::StrSplit(head[0], '/');
  if (id.size() != 2 || id[0].empty() || id[1].empty()) {
    return bad("pod must be namespace/name");
  }
  vgpu::testing::PodSpec pod{id[0], id[1], {{"main", {}}}};
  for (const std::string& req :
       std::vector<std::string>(absl::StrSplit(head[1], ','))) {
    std::vector<std::string> kv = absl::StrSplit(req, '=');
    int count = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &count) || count <= 0) {
      return bad("request \"" + req + "\" must be resource=count (count > 0)");
    }
    pod.containers[0].requests[kv[0]] = count;
  }
  return pod;
}

std::string Numa(const v1beta1::Device& device) {
  std::vector<std::string> nodes;
  for (const auto& n : device.topology().nodes()) {
    nodes.push_back(absl::StrCat(n.id()));
  }
  return nodes.empty() ? "-" : absl::StrJoin(nodes, ",");
}

void PrintState(const KubeletState& state) {
  for (const auto& [resource, rs] : state) {
    std::printf("resource %s: %d devices, %d healthy (endpoint %s, %s)\n",
                resource.c_str(), rs.Count(), rs.HealthyCount(),
                rs.endpoint.c_str(), rs.streaming ? "streaming" : "no stream");
    for (const auto& d : rs.devices) {
      std::printf("  %-40s %-9s numa=%s\n", d.id().c_str(), d.health().c_str(),
                  Numa(d).c_str());
    }
  }
  std::fflush(stdout);
}

void PrintAllocation(const vgpu::testing::PodAllocation& pod) {
  std::printf("allocated pod %s/%s\n", pod.namespace_name.c_str(),
              pod.name.c_str());
  for (const auto& c : pod.containers) {
    for (const auto& [resource, ids] : c.devices) {
      std::printf("  container %s: %s = %s\n", c.name.c_str(), resource.c_str(),
                  absl::StrJoin(ids, ",").c_str());
    }
    for (const auto& r : c.responses) {
      for (const auto& [k, v] : r.envs()) {
        std::printf("    env %s=%s\n", k.c_str(), v.c_str());
      }
      for (const auto& d : r.devices()) {
        std::printf("    device %s (%s)\n", d.host_path().c_str(),
                    d.permissions().c_str());
      }
      for (const auto& d : r.cdi_devices()) {
        std::printf("    cdi %s\n", d.name().c_str());
      }
      for (const auto& [k, v] : r.annotations()) {
        std::printf("    annotation %s=%s\n", k.c_str(), v.c_str());
      }
    }
  }
  std::fflush(stdout);
}

// Asks our own PodResources socket, as Kata does at sandbox creation.
void PrintPodResources(const std::string& socket, const std::string& ns,
                       const std::string& name) {
  absl::StatusOr<v1::PodResources> pod =
      vgpu::kubelet::GetPodResources(socket, ns, name, absl::Seconds(5));
  if (!pod.ok()) {
    std::printf("%s\n", std::string(pod.status().message()).c_str());
    return;
  }
  for (const auto& c : pod->containers()) {
    for (const auto& d : c.devices()) {
      std::printf("podresources Get %s/%s: container %s %s=%s\n", ns.c_str(),
                  name.c_str(), c.name().c_str(), d.resource_name().c_str(),
                  absl::StrJoin(d.device_ids(), ",").c_str());
    }
  }
  std::fflush(stdout);
}

// Prints each change until `until` or a signal.
void Watch(FakeKubelet& kubelet, absl::Time until, const sigset_t& signals) {
  KubeletState last = kubelet.State();
  while (absl::Now() < until) {
    timespec zero{0, 0};
    if (sigtimedwait(&signals, nullptr, &zero) > 0) return;
    auto changed = [&](const KubeletState& s) {
      if (s.size() != last.size()) return true;
      for (const auto& [name, rs] : s) {
        auto it = last.find(name);
        if (it == last.end() || it->second.updates != rs.updates ||
            it->second.streaming != rs.streaming) {
          return true;
        }
      }
      return false;
    };
    absl::Duration step =
        std::min(absl::Milliseconds(200), until - absl::Now());
    if (!kubelet.WaitFor(changed, step)) continue;
    last = kubelet.State();
    std::printf("-- update at %s\n",
                absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone())
                    .c_str());
    PrintState(last);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const vgpu::cmd::CommandLine command_line = EmulatorCommandLine();
  if (std::optional<int> done =
          vgpu::cmd::ParseCommandLine(command_line, argc, argv)) {
    return *done;
  }
  std::vector<vgpu::testing::PodSpec> pods;
  std::string allocate = absl::GetFlag(FLAGS_allocate);
  for (const std::string& text : std::vector<std::string>(
           absl::StrSplit(allocate, ';', absl::SkipEmpty()))) {
    auto pod = ParsePod(text);
    if (!pod.ok()) {
      return vgpu::cmd::UsageError(command_line, pod.status().message());
    }
    pods.push_back(*pod);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FakeKubelet kubelet({absl::GetFlag(FLAGS_device_plugin_dir),
                       absl::GetFlag(FLAGS_pod_resources_socket),
                       absl::GetFlag(FLAGS_pod_resources_get)});
  absl::Status status = kubelet.Start();
  if (!status.ok()) {
    std::fprintf(stderr, "kubelet-emulator: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  int want = absl::GetFlag(FLAGS_wait_resources);
  bool ready = kubelet.WaitFor(
      [&](const KubeletState& s) {
        int n = 0;
        for (const auto& [name, rs] : s) n += rs.updates > 0 ? 1 : 0;
        return n >= want;
      },
      absl::GetFlag(FLAGS_timeout));
  // More plugins may still be registering: wait until it goes quiet.
  for (size_t seen = kubelet.State().size(); ready;) {
    bool more =
        kubelet.WaitFor([&](const KubeletState& s) { return s.size() > seen; },
                        absl::GetFlag(FLAGS_settle));
    if (!more) break;
    seen = kubelet.State().size();
  }
  std::printf("== kubelet sees %zu resource(s)\n", kubelet.State().size());
  PrintState(kubelet.State());
  if (!ready) {
    std::fprintf(stderr, "kubelet-emulator: fewer than %d resources after %s\n",
                 want,
                 absl::FormatDuration(absl::GetFlag(FLAGS_timeout)).c_str());
    return 1;
  }
  int rc = 0;
  for (const auto& pod : pods) {
    auto result = kubelet.AllocatePod(pod);
    if (!result.ok()) {
      std::printf("allocate %s/%s failed: %s\n", pod.namespace_name.c_str(),
                  pod.name.c_str(),
                  std::string(result.status().message()).c_str());
      rc = 1;
      continue;
    }
    PrintAllocation(*result);
    std::string socket = absl::GetFlag(FLAGS_pod_resources_socket);
    if (!socket.empty()) {
      PrintPodResources(socket, pod.namespace_name, pod.name);
    }
  }
  Watch(kubelet, absl::Now() + absl::GetFlag(FLAGS_duration), signals);
  kubelet.Stop();
  return rc;
}
