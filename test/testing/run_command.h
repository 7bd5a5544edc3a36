// Runs a program to its exit with stdin from a file and its output captured,
// for tests that drive command-line tools: promtool, and our own binaries'
// usage (exit codes, messages). Long-running children: daemon_process.h.
#ifndef VGPU_TEST_TESTING_RUN_COMMAND_H_
#define VGPU_TEST_TESTING_RUN_COMMAND_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace vgpu::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout, and stderr too unless error_path is given.
  std::string error;   // stderr, when error_path is given.
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Looks `argv[0]` up in PATH unless it holds a '/'. `stdin_path` "" means
// /dev/null. stdout goes to `output_path`; stderr to `error_path`, or
// interleaved with stdout when it is "". Internal when it cannot start or
// dies by a signal.
inline absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv, const std::string& stdin_path,
    const std::string& output_path, const std::string& error_path = "") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(),
      O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (error_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, error_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("spawn ", argv[0], ": errno ", err));
  }
  int wstatus = 0;
  if (::waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) {
    return absl::InternalError(absl::StrCat(argv[0], " did not exit normally"));
  }
  CommandResult result;
  result.exit_code = WEXITSTATUS(wstatus);
  result.output = ReadWholeFile(output_path);
  if (!error_path.empty()) result.error = ReadWholeFile(error_path);
  return result;
}

// Whether `name` is an executable file in PATH.
inline bool InPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_RUN_COMMAND_H_
