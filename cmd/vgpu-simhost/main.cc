// vgpu-simhost: writes a simulated host (sys/, dev/) into a directory.
//   vgpu-simhost --profile workstation --out /tmp/host
//   vgpu-simhost --profile large --gpus 4 --vfs 8 --out /tmp/big
//   vgpu-simhost --profile passthrough --gpus 128 --out /tmp/pt
//   vgpu-simhost --list
//   vgpu-simhost --profile t4-empty --out /tmp/host --serve
// --serve keeps running: it mounts the tree over itself (FUSE) so writes to
// create/remove/sriov_numvfs/current_vgpu_type act as the kernel's, prints
// "serving DIR" once the mount answers, and unmounts on SIGTERM/SIGINT.
// Exit status: 0 written, 1 error (the message names what failed),
// 2 bad usage (unknown flag or profile, bad value, missing --profile/--out).
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "cmd/common/flags.h"
#include "pkg/simhost/fuse_server.h"
#include "pkg/simhost/sim_host.h"

ABSL_FLAG(std::string, profile, "",
          "Profile to write; --list prints every profile's name "
          "(workstation, t4-vgpu, large, ...).");
ABSL_FLAG(std::string, out, "",
          "Directory to write the host into; created if absent, must be "
          "empty. Holds sys/ and dev/ afterwards.");
ABSL_FLAG(int, gpus, 16,
          "Profiles large, large-empty and passthrough only: number of GPUs "
          "(1..248).");
ABSL_FLAG(int, vfs, 32,
          "Profiles large and large-empty only: VFs per GPU (0..252).");
ABSL_FLAG(bool, list, false, "Print the profile names, one a line, and exit.");
ABSL_FLAG(bool, serve, false,
          "After writing, serve --out with kernel semantics (FUSE) until "
          "SIGTERM/SIGINT, then unmount and exit 0.");

namespace {

using vgpu::cmd::kExitError;

vgpu::cmd::CommandLine SimhostCommandLine() {
  vgpu::cmd::CommandLine line;
  line.program = "vgpu-simhost";
  line.usage =
      "writes a simulated host tree.\n"
      "usage: vgpu-simhost --profile NAME --out DIR [--gpus N] "
      "[--vfs N] [--serve]\n"
      "       vgpu-simhost --list";
  line.flags = {"profile", "out", "gpus", "vfs", "list", "serve"};
  return line;
}

int UsageError(absl::string_view message) {
  return vgpu::cmd::UsageError(SimhostCommandLine(), message);
}

int Run() {
  if (absl::GetFlag(FLAGS_list)) {
    std::cout << absl::StrJoin(vgpu::simhost::ProfileNames(), "\n") << "\n";
    return 0;
  }
  const std::string profile = absl::GetFlag(FLAGS_profile);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (profile.empty()) return UsageError("--profile is required");
  if (out.empty()) return UsageError("--out is required");
  vgpu::simhost::ProfileOptions options;
  options.gpus = absl::GetFlag(FLAGS_gpus);
  options.vfs_per_gpu = absl::GetFlag(FLAGS_vfs);
  absl::Status checked = vgpu::simhost::CheckProfile(profile, options);
  if (!checked.ok()) return UsageError(checked.message());
  auto host = vgpu::simhost::SimHost::Create(out);
  if (!host.ok()) {
    std::cerr << "vgpu-simhost: " << host.status().message() << "\n";
    return kExitError;
  }
  absl::Status built = vgpu::simhost::BuildProfile(**host, profile, options);
  if (!built.ok()) {
    std::cerr << "vgpu-simhost: writing into " << out << ": " << built.message()
              << "\n";
    return kExitError;
  }
  std::cout << "wrote simulated host \"" << profile << "\" to "
            << (*host)->root() << "\n";
  if (!absl::GetFlag(FLAGS_serve)) return 0;
  const std::string root = (*host)->root();
  absl::Status served = vgpu::simhost::ServeHost(
      **host, [&root] { std::cout << "serving " << root << std::endl; });
  if (!served.ok()) {
    std::cerr << "vgpu-simhost: " << served.message() << "\n";
    return kExitError;
  }
  return 0;
}

}  // namespace

// LeakSanitizer builds only (nothing else calls it): libfuse3 frees a
// directory handle when the kernel sends RELEASEDIR, which can still be in
// flight when SIGTERM ends the session; that memory is the library's.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfuse3.so\n";
}

int main(int argc, char** argv) {
  if (std::optional<int> done =
          vgpu::cmd::ParseCommandLine(SimhostCommandLine(), argc, argv)) {
    return *done;
  }
  return Run();
}
