#include "pkg/watch/dir_watcher.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::watch {
namespace {

using ::testing::ElementsAre;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

class Recorder {
 public:
  void Add(const DirEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
  }
  // Waits until `n` events arrived; returns them.
  std::vector<DirEvent> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<DirEvent> events_ ABSL_GUARDED_BY(mu_);
};

std::string Describe(const DirEvent& e) {
  const char* kind = e.kind == DirEvent::Kind::kCreated   ? "created"
                     : e.kind == DirEvent::Kind::kDeleted ? "deleted"
                     : e.kind == DirEvent::Kind::kDirGone ? "gone"
                                                          : "overflow";
  return std::string(kind) + " " + e.name;
}

std::vector<std::string> Describe(const std::vector<DirEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(Describe(e));
  return out;
}

void Touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path;
  ::close(fd);
}

TEST(DirWatcherTest, ReportsCreateDeleteAndRename) {
  testing::TempDir dir;
  Recorder recorder;
  DirWatcher watcher([&](const DirEvent& e) { recorder.Add(e); });
  ASSERT_THAT(watcher.Start(), IsOk());
  ASSERT_THAT(watcher.AddDir(dir.path()), IsOk());
  Touch(dir.path() + "/kubelet.sock");
  ASSERT_EQ(::unlink((dir.path() + "/kubelet.sock").c_str()), 0);
  Touch(dir.path() + "/tmp");
  ASSERT_EQ(
      ::rename((dir.path() + "/tmp").c_str(), (dir.path() + "/moved").c_str()),
      0);
  auto events = recorder.WaitFor(5);
  EXPECT_THAT(Describe(events),
              ElementsAre("created kubelet.sock", "deleted kubelet.sock",
                          "created tmp", "deleted tmp", "created moved"));
  for (const auto& e : events) EXPECT_EQ(e.dir, dir.path());
}

TEST(DirWatcherTest, ReportsUnixSocketBind) {
  testing::TempDir dir;
  Recorder recorder;
  DirWatcher watcher([&](const DirEvent& e) { recorder.Add(e); });
  ASSERT_THAT(watcher.Start(), IsOk());
  ASSERT_THAT(watcher.AddDir(dir.path()), IsOk());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir.path() + "/plugin.sock";
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  EXPECT_THAT(Describe(recorder.WaitFor(1)),
              ElementsAre("created plugin.sock"));
}

TEST(DirWatcherTest, ReportsWatchedDirRemoved) {
  testing::TempDir dir;
  std::string sub = dir.path() + "/vfio";
  ASSERT_TRUE(std::filesystem::create_directory(sub));
  Recorder recorder;
  DirWatcher watcher([&](const DirEvent& e) { recorder.Add(e); });
  ASSERT_THAT(watcher.Start(), IsOk());
  ASSERT_THAT(watcher.AddDir(sub), IsOk());
  ASSERT_EQ(::rmdir(sub.c_str()), 0);
  auto events = recorder.WaitFor(1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, DirEvent::Kind::kDirGone);
  EXPECT_EQ(events[0].dir, sub);
}

TEST(DirWatcherTest, AddDirErrors) {
  testing::TempDir dir;
  DirWatcher watcher([](const DirEvent&) {});
  EXPECT_THAT(watcher.AddDir(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(watcher.Start(), IsOk());
  EXPECT_THAT(watcher.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      watcher.AddDir(dir.path() + "/missing"),
      StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("/missing")));
}

TEST(DirWatcherTest, StopIsIdempotentAndJoins) {
  testing::TempDir dir;
  DirWatcher watcher([](const DirEvent&) {});
  watcher.Stop();  // Never started.
  ASSERT_THAT(watcher.Start(), IsOk());
  ASSERT_THAT(watcher.AddDir(dir.path()), IsOk());
  watcher.Stop();
  watcher.Stop();
  // Restartable after Stop.
  EXPECT_THAT(watcher.Start(), IsOk());
}

}  // namespace
}  // namespace vgpu::watch
