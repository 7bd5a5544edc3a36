// DaemonProcess: runs a binary (the real vgpu-device-plugin) as a child
// process with its output in a log file, signals it and waits for its exit
// with a timeout (pidfd + poll: no sleeps). Used by the e2e tests and the
// daemon benchmark. The destructor kills and reaps a child still running.
#ifndef VGPU_TEST_TESTING_DAEMON_PROCESS_H_
#define VGPU_TEST_TESTING_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vgpu::testing {

class DaemonProcess {
 public:
  // Starts `binary` with `args` (argv[1..]); stdout+stderr go to `log_path`.
  static absl::StatusOr<std::unique_ptr<DaemonProcess>> Spawn(
      const std::string& binary, const std::vector<std::string>& args,
      const std::string& log_path);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  absl::Status Signal(int sig);
  // The exit code, or 128 + signal number when killed by a signal.
  // DeadlineExceeded when still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool running() const { return !exited_; }
  // The whole log so far.
  std::string Log() const;

 private:
  DaemonProcess(pid_t pid, int pidfd, std::string log_path)
      : pid_(pid), pidfd_(pidfd), log_path_(std::move(log_path)) {}

  pid_t pid_;
  int pidfd_;
  std::string log_path_;
  bool exited_ = false;
  int exit_code_ = -1;
};

// Runs to completion; returns {exit code, output}.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
absl::StatusOr<RunResult> RunToExit(const std::string& binary,
                                    const std::vector<std::string>& args,
                                    const std::string& log_path,
                                    absl::Duration timeout);

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_DAEMON_PROCESS_H_
