// `vgpu-simhost --serve` end to end: the real binary serves t4-empty over
// FUSE, this test writes with real write(2) calls and checks what appears
// and the errnos, then SIGTERM must unmount and exit 0. Needs /dev/fuse and
// root (CI has both); where the mount fails the test fails saying so.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/temp_dir.h"

extern char** environ;

namespace vgpu::simhost {
namespace {

using ::testing::HasSubstr;

constexpr char kTypes[] =
    "sys/bus/pci/devices/0000:3b:00.0/mdev_supported_types";
constexpr char kUuid[] = "5b0d3c5e-9d7e-4a51-8f0c-2a4e6f8a1b3c";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// One write(2) of `data`; 0 or the errno it failed with.
int WriteOnce(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = n < 0 ? errno : 0;
  ::close(fd);
  return err;
}

bool Mounted(const std::string& dir) {
  return ReadAll("/proc/self/mountinfo").find(" " + dir + " ") !=
         std::string::npos;
}

class SimhostServeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      ::umount2(host_.c_str(), MNT_DETACH);
    }
  }

  // Starts the server and waits for its "serving DIR" line.
  void Start() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {VGPU_SIMHOST_BIN, "--profile", "t4-empty",
                                     "--out",          host_,       "--serve"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, VGPU_SIMHOST_BIN, &actions, nullptr,
                          argv.data(), environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 200; ++i) {
      if (ReadAll(out_).find("serving " + host_) != std::string::npos) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "vgpu-simhost --serve exited before serving (FUSE mount "
                  "needs /dev/fuse and root): "
               << ReadAll(err_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "vgpu-simhost --serve did not print \"serving " << host_
           << "\" within 10 s: " << ReadAll(err_);
  }

  // SIGTERM; the exit status, -1 if it did not exit within 10 s.
  int Stop() {
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

  ::vgpu::testing::TempDir tmp_;
  const std::string host_ = tmp_.path() + "/host";
  const std::string out_ = tmp_.path() + "/stdout";
  const std::string err_ = tmp_.path() + "/stderr";
  pid_t pid_ = -1;
};

TEST_F(SimhostServeTest, WritesActAsTheKernelsUntilSigterm) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(Mounted(host_)) << "no FUSE mount on " << host_;
  const std::string t1q = host_ + "/" + kTypes + "/nvidia-230";
  EXPECT_EQ(ReadAll(t1q + "/available_instances"), "16\n");

  EXPECT_EQ(WriteOnce(t1q + "/create", std::string(kUuid) + "\n"), 0);
  const std::string mdev = host_ + "/sys/bus/mdev/devices/" + kUuid;
  EXPECT_TRUE(Exists(mdev + "/remove"));
  EXPECT_TRUE(Exists(t1q + "/devices/" + kUuid));
  char group[256] = {};
  ASSERT_GT(::readlink((mdev + "/iommu_group").c_str(), group, 255), 0);
  const std::string group_id = std::strrchr(group, '/') + 1;
  EXPECT_TRUE(Exists(host_ + "/sys/kernel/iommu_groups/" + group_id +
                     "/devices/" + kUuid));
  EXPECT_TRUE(Exists(host_ + "/dev/vfio/" + group_id));
  EXPECT_EQ(ReadAll(t1q + "/available_instances"), "15\n");
  EXPECT_EQ(ReadAll(host_ + "/" + kTypes + "/nvidia-231/available_instances"),
            "0\n");

  EXPECT_EQ(WriteOnce(t1q + "/create", "not-a-uuid\n"), EINVAL);
  EXPECT_EQ(WriteOnce(t1q + "/create", kUuid), EEXIST);
  EXPECT_EQ(WriteOnce(host_ + "/" + kTypes + "/nvidia-234/create",
                      "5b0d3c5e-9d7e-4a51-8f0c-2a4e6f8a1b3d"),
            ENOSPC);

  EXPECT_EQ(WriteOnce(mdev + "/remove", "1\n"), 0);
  EXPECT_FALSE(Exists(mdev));
  EXPECT_FALSE(Exists(host_ + "/dev/vfio/" + group_id));
  EXPECT_EQ(ReadAll(t1q + "/available_instances"), "16\n");

  EXPECT_EQ(Stop(), 0) << ReadAll(err_);
  EXPECT_FALSE(Mounted(host_));
  // The tree underneath holds what the writes left.
  EXPECT_EQ(ReadAll(t1q + "/available_instances"), "16\n");
  EXPECT_THAT(ReadAll(out_), HasSubstr("serving " + host_));
}

}  // namespace
}  // namespace vgpu::simhost
