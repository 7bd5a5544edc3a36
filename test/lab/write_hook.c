// The lab's fault injector (an LD_PRELOAD library, built by setup.sh): it
// lets the guest script provoke the real kernel's errnos for an mdev
// `create` deterministically, where only a race or a bug could otherwise
// reach them from `vgpuctl apply`. The write still goes to the kernel, once,
// and its result (errno included) comes back unchanged.
//
// With VGPU_LAB_HOOK_DIR=DIR set, for each write() to a file whose path ends
// in "/create":
//   DIR/hold exists:   creates DIR/held, then waits until DIR/hold is gone
//                      (the script does something in between, e.g. makes
//                      the same UUID on another parent: EEXIST);
//   DIR/garble exists: writes DIR/garble's content instead of the caller's
//                      (a malformed UUID: EINVAL).
// Every other write is passed through untouched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);

static int Exists(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

static int IsCreateFile(int fd) {
  char link[64];
  char path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 7) return 0;
  path[n] = '\0';
  return strcmp(path + n - 7, "/create") == 0;
}

ssize_t write(int fd, const void* buf, size_t count) {
  static write_fn real;
  if (real == NULL) real = (write_fn)dlsym(RTLD_NEXT, "write");
  const char* dir = getenv("VGPU_LAB_HOOK_DIR");
  if (dir == NULL || !IsCreateFile(fd)) return real(fd, buf, count);
  if (Exists(dir, "hold")) {
    char held[4096];
    snprintf(held, sizeof held, "%s/held", dir);
    const int h = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (h >= 0) close(h);
    const struct timespec tick = {0, 20 * 1000 * 1000};
    while (Exists(dir, "hold")) nanosleep(&tick, NULL);
  }
  if (Exists(dir, "garble")) {
    char path[4096];
    char data[256];
    snprintf(path, sizeof path, "%s/garble", dir);
    const int g = open(path, O_RDONLY | O_CLOEXEC);
    if (g >= 0) {
      const ssize_t n = read(g, data, sizeof data);
      close(g);
      if (n >= 0) return real(fd, data, (size_t)n) < 0 ? -1 : (ssize_t)count;
    }
  }
  return real(fd, buf, count);
}
