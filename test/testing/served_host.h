// ServedHost: a test's `vgpu-simhost --profile P --out DIR --serve` child, a
// simulated host that answers writes as the kernel does (FUSE). Start()
// returns once the child prints "serving DIR"; Stop() sends SIGTERM; the
// destructor kills a child still running and detaches its mount. Needs
// /dev/fuse and root (CI has both). Not thread-safe.
#ifndef VGPU_TEST_TESTING_SERVED_HOST_H_
#define VGPU_TEST_TESTING_SERVED_HOST_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "test/testing/run_command.h"

extern char** environ;

namespace vgpu::testing {

class ServedHost {
 public:
  // `binary` is vgpu-simhost; its stdout and stderr go to files in `log_dir`.
  ServedHost(std::string binary, const std::string& log_dir)
      : binary_(std::move(binary)),
        out_(log_dir + "/simhost.out"),
        err_(log_dir + "/simhost.err") {}
  ServedHost(const ServedHost&) = delete;
  ServedHost& operator=(const ServedHost&) = delete;
  ~ServedHost() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::umount2(dir_.c_str(), MNT_DETACH);
  }

  // Writes `profile` into `dir` and serves it (`extra`: more flags, e.g.
  // {"--gpus", "4"}). FailedPrecondition, with the child's stderr, if it
  // exits first (no /dev/fuse, no root); DeadlineExceeded after
  // `wait_seconds` (a big host on a busy disk takes tens of seconds).
  absl::Status Start(const std::string& profile, const std::string& dir,
                     const std::vector<std::string>& extra = {},
                     int wait_seconds = 10) {
    dir_ = dir;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {binary_, "--profile", profile,
                                     "--out", dir,         "--serve"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr,
                                    argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("spawn ", binary_, " failed"));
    }
    for (int i = 0; i < wait_seconds * 20; ++i) {
      if (Stdout().find("serving " + dir) != std::string::npos) {
        return absl::OkStatus();
      }
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::FailedPreconditionError(absl::StrCat(
            "vgpu-simhost --serve exited before serving (FUSE needs "
            "/dev/fuse and root): ",
            Stderr()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("vgpu-simhost --serve did not serve ", dir, " within ",
                     wait_seconds, " s"));
  }

  // SIGTERM, then waits up to 10 s: the exit status, -1 if it did not exit
  // or died by a signal.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  std::string Stdout() const { return ReadWholeFile(out_); }
  std::string Stderr() const { return ReadWholeFile(err_); }

 private:
  const std::string binary_;
  const std::string out_;
  const std::string err_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_SERVED_HOST_H_
