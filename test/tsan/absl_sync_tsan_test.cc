// Checks test/tsan/absl_sync_tsan.cc in a TSan build: accesses ordered only
// by absl::Mutex / CondVar / Notification are not reported, and a real race
// still is. Each case runs in a child process (death-test style) so that a
// report, which makes TSan exit with 66, is observed rather than fatal.

#include <sanitizer/common_interface_defs.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace {

constexpr int kTsanReportExit = 66;

// Defeats the optimiser: the accesses must happen.
void Touch(volatile int* value) { *value = *value + 1; }

// Two threads each touch the same int, ordered only by absl::Mutex.
void MutexOrdered() {
  absl::Mutex mu;
  volatile int value = 0;
  std::thread other([&] {
    absl::MutexLock lock(&mu);
    Touch(&value);
  });
  {
    absl::MutexLock lock(&mu);
    Touch(&value);
  }
  other.join();
  std::exit(value == 2 ? 0 : 1);
}

// Hand-off through Mutex::Await with a condition the library evaluates.
void AwaitOrdered() {
  absl::Mutex mu;
  int stage = 0;
  volatile int payload = 0;
  std::thread producer([&] {
    Touch(&payload);
    absl::MutexLock lock(&mu);
    stage = 1;
  });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* s) { return *s == 1; }, &stage));
  }
  Touch(&payload);
  producer.join();
  std::exit(payload == 2 ? 0 : 1);
}

// Hand-off through CondVar::Wait.
void CondVarOrdered() {
  absl::Mutex mu;
  absl::CondVar cv;
  bool ready = false;
  volatile int payload = 0;
  std::thread producer([&] {
    Touch(&payload);
    absl::MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  });
  {
    absl::MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
  }
  Touch(&payload);
  producer.join();
  std::exit(payload == 2 ? 0 : 1);
}

// Hand-off through Notification.
void NotificationOrdered() {
  absl::Notification done;
  volatile int payload = 0;
  std::thread producer([&] {
    Touch(&payload);
    done.Notify();
  });
  done.WaitForNotification();
  Touch(&payload);
  producer.join();
  std::exit(payload == 2 ? 0 : 1);
}

// The same int touched by two threads with nothing ordering them: a race,
// and the interposer must not hide it, even with absl locks taken around it
// (on an unrelated mutex). The main thread waits for the other's access on a
// relaxed atomic, which orders nothing for TSan, so the report is certain.
void Racy() {
  absl::Mutex unrelated;
  std::atomic<bool> touched{false};
  volatile int value = 0;
  std::thread other([&] {
    Touch(&value);
    touched.store(true, std::memory_order_relaxed);
  });
  while (!touched.load(std::memory_order_relaxed)) std::this_thread::yield();
  { absl::MutexLock lock(&unrelated); }
  Touch(&value);
  other.join();
  std::exit(0);
}

TEST(AbslSyncTsanTest, MutexOrdersAccesses) {
  EXPECT_EXIT(MutexOrdered(), ::testing::ExitedWithCode(0), "");
}

TEST(AbslSyncTsanTest, AwaitOrdersAccesses) {
  EXPECT_EXIT(AwaitOrdered(), ::testing::ExitedWithCode(0), "");
}

TEST(AbslSyncTsanTest, CondVarOrdersAccesses) {
  EXPECT_EXIT(CondVarOrdered(), ::testing::ExitedWithCode(0), "");
}

TEST(AbslSyncTsanTest, NotificationOrdersAccesses) {
  EXPECT_EXIT(NotificationOrdered(), ::testing::ExitedWithCode(0), "");
}

TEST(AbslSyncTsanTest, UnorderedAccessIsStillReported) {
  // The suite sends reports to files (TSAN_OPTIONS log_path, see
  // run_tsan_tests.sh); this expected one goes to stderr, where the death
  // test reads it, and leaves no report file behind.
  EXPECT_EXIT(
      {
        __sanitizer_set_report_path("stderr");
        Racy();
      },
      ::testing::ExitedWithCode(kTsanReportExit), "ThreadSanitizer: data race");
}

}  // namespace
