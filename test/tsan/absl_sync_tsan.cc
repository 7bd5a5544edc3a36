// ThreadSanitizer builds only (VGPU_SANITIZE=thread): teach TSan about
// absl::Mutex, absl::CondVar and absl::Notification.
//
// Debian's abseil and gRPC are not built with -fsanitize=thread, so the
// happens-before edges their locks create are invisible to TSan, and every
// access our code makes under an absl::Mutex from two threads would be
// reported as a race. Every executable of a TSan build links this file and
// exports its symbols (see the top-level CMakeLists.txt), so these
// definitions interpose the library's, for our code and for gRPC's calls
// alike. Each one tells TSan what the real function does to happens-before
// (acquire after taking a lock, release before giving it up) and calls the
// real function, found with dlsym(RTLD_NEXT).
//
// Only acquire/release is annotated, not lock ownership: lock-order
// (deadlock) reports are left to absl's own detector. Notification's inline
// HasBeenNotified() is not covered (nothing here uses it; wait instead).

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define VGPU_STR2(x) #x
#define VGPU_STR(x) VGPU_STR2(x)

// Itanium mangling of absl::<inline namespace>::<rest>; `konst` for const
// member functions.
std::string Mangled(bool konst, const char* rest) {
  const char* ns = VGPU_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return std::string(konst ? "_ZNK4absl" : "_ZN4absl") +
         std::to_string(std::strlen(ns)) + ns + rest;
}

template <typename Fn>
Fn Real(bool konst, const char* rest) {
  const std::string name = Mangled(konst, rest);
  void* sym = dlsym(RTLD_NEXT, name.c_str());
  if (sym == nullptr) {
    std::fprintf(stderr, "absl_sync_tsan: %s not found: %s\n", name.c_str(),
                 dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// One resolved pointer per function, looked up on first use.
#define VGPU_REAL(type, rest) static const auto real = Real<type>(false, rest)
#define VGPU_REAL_CONST(type, rest) \
  static const auto real = Real<type>(true, rest)

void Acquire(const void* addr) { __tsan_acquire(const_cast<void*>(addr)); }
void Release(const void* addr) { __tsan_release(const_cast<void*>(addr)); }

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// absl evaluates a Condition while holding the lock, but inside the real
// function: in the waiting thread or in whichever thread unlocks. The
// evaluation is wrapped so that it acquires the lock's history first and
// releases what it read after, as the holder of the lock would.
class AnnotatedCondition {
 public:
  // Publishes itself (Release on its own address) for the thread that will
  // evaluate it, which acquires that before reading any member.
  AnnotatedCondition(const Condition& inner, Mutex* mu)
      : inner_(&inner), mu_(mu), outer_(&AnnotatedCondition::Eval, this) {
    Release(this);
  }
  const Condition& get() const { return outer_; }

 private:
  static bool Eval(void* arg) {
    Acquire(arg);
    auto* self = static_cast<AnnotatedCondition*>(arg);
    Acquire(self->mu_);
    const bool met = self->inner_->Eval();
    Release(self->mu_);
    return met;
  }

  const Condition* inner_;
  Mutex* mu_;
  Condition outer_;
};

using MutexFn = void (*)(Mutex*);
using MutexBoolFn = bool (*)(Mutex*);
using CondFn = void (*)(Mutex*, const Condition&);
using CondBoolFn = bool (*)(Mutex*, const Condition&);
using CondTimeoutFn = bool (*)(Mutex*, const Condition&, Duration);
using CondDeadlineFn = bool (*)(Mutex*, const Condition&, Time);

void Mutex::Lock() {
  VGPU_REAL(MutexFn, "5Mutex4LockEv");
  real(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  VGPU_REAL(MutexFn, "5Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  VGPU_REAL(MutexBoolFn, "5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  VGPU_REAL(MutexBoolFn, "5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  VGPU_REAL(MutexFn, "5Mutex6UnlockEv");
  Release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  VGPU_REAL(MutexFn, "5Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  VGPU_REAL(CondFn, "5Mutex8LockWhenERKNS0_9ConditionE");
  const AnnotatedCondition annotated(cond, this);
  real(this, annotated.get());
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  VGPU_REAL(CondFn, "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  const AnnotatedCondition annotated(cond, this);
  real(this, annotated.get());
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  VGPU_REAL(CondTimeoutFn,
            "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const AnnotatedCondition annotated(cond, this);
  const bool met = real(this, annotated.get(), timeout);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  VGPU_REAL(CondTimeoutFn,
            "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_"
            "8DurationE");
  const AnnotatedCondition annotated(cond, this);
  const bool met = real(this, annotated.get(), timeout);
  Acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  VGPU_REAL(CondDeadlineFn,
            "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const AnnotatedCondition annotated(cond, this);
  const bool met = real(this, annotated.get(), deadline);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  VGPU_REAL(CondDeadlineFn,
            "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const AnnotatedCondition annotated(cond, this);
  const bool met = real(this, annotated.get(), deadline);
  Acquire(this);
  return met;
}

// Await* give the lock up while waiting and hold it again on return.
void Mutex::Await(const Condition& cond) {
  VGPU_REAL(CondFn, "5Mutex5AwaitERKNS0_9ConditionE");
  const AnnotatedCondition annotated(cond, this);
  Release(this);
  real(this, annotated.get());
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  VGPU_REAL(CondTimeoutFn,
            "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const AnnotatedCondition annotated(cond, this);
  Release(this);
  const bool met = real(this, annotated.get(), timeout);
  Acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  VGPU_REAL(CondDeadlineFn,
            "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const AnnotatedCondition annotated(cond, this);
  Release(this);
  const bool met = real(this, annotated.get(), deadline);
  Acquire(this);
  return met;
}

using CvWaitFn = void (*)(CondVar*, Mutex*);
using CvTimeoutFn = bool (*)(CondVar*, Mutex*, Duration);
using CvDeadlineFn = bool (*)(CondVar*, Mutex*, Time);

void CondVar::Wait(Mutex* mu) {
  VGPU_REAL(CvWaitFn, "7CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  VGPU_REAL(CvTimeoutFn,
            "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  VGPU_REAL(CvDeadlineFn, "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

using NotifyFn = void (*)(Notification*);
using NotifyWaitFn = void (*)(const Notification*);
using NotifyTimeoutFn = bool (*)(const Notification*, Duration);
using NotifyDeadlineFn = bool (*)(const Notification*, Time);

void Notification::Notify() {
  VGPU_REAL(NotifyFn, "12Notification6NotifyEv");
  Release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  VGPU_REAL_CONST(NotifyWaitFn, "12Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  VGPU_REAL_CONST(
      NotifyTimeoutFn,
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  Acquire(this);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  VGPU_REAL_CONST(NotifyDeadlineFn,
                  "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  Acquire(this);
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
