#define FUSE_USE_VERSION 31

#include "pkg/simhost/fuse_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "pkg/simhost/kernel_model.h"

namespace vgpu::simhost {
namespace {

// The fault hooks (fuse_server.h), root-relative with FUSE's leading "/".
constexpr char kHooksDir[] = "/.vgpu-simhost";
constexpr char kInUseHook[] = "/.vgpu-simhost/in-use";
constexpr char kRaceHook[] = "/.vgpu-simhost/race";

// A write another process makes just before the next kernel write.
struct Race {
  std::string path;  // root-relative, no leading "/"
  std::string data;
};

// What every handler needs; fuse_new's private data.
struct ServeContext {
  std::string backing;  // "/proc/self/fd/N": the tree under the mount
  KernelModel* model = nullptr;
  std::set<uint64_t> control_fhs;  // Open handles of control files.
  std::optional<Race> race;
};

ServeContext& Context() {
  return *static_cast<ServeContext*>(fuse_get_context()->private_data);
}

// FUSE paths start with "/"; the backing path keeps it.
std::string Backing(const char* path) {
  return absl::StrCat(Context().backing, path);
}

// A control file the model owns ("sys/..." without the leading slash).
bool IsControl(const char* path) {
  return Context().model->Handles(absl::string_view(path).substr(1));
}

int Errno(int rc) { return rc == 0 ? 0 : -errno; }

void* Init(fuse_conn_info*, fuse_config* cfg) {
  // sysfs values change under the reader: no page cache, no attribute or
  // name caching, and reads go to the file whatever size stat reports.
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  return fuse_get_context()->private_data;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info*) {
  return Errno(::lstat(Backing(path).c_str(), st));
}

int ReadLink(const char* path, char* buf, size_t size) {
  if (size == 0) return -EINVAL;
  ssize_t n = ::readlink(Backing(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t filler, off_t,
            fuse_file_info*, fuse_readdir_flags) {
  DIR* dir = ::opendir(Backing(path).c_str());
  if (dir == nullptr) return -errno;
  while (dirent* entry = ::readdir(dir)) {
    if (filler(buf, entry->d_name, nullptr, 0, fuse_fill_dir_flags{}) != 0) {
      break;
    }
  }
  ::closedir(dir);
  return 0;
}

int Open(const char* path, fuse_file_info* fi) {
  int flags = fi->flags;
  // The kernel never truncates a sysfs attribute; `echo x > create` must
  // reach the model with the file as it was.
  const bool control = IsControl(path);
  if (control) flags &= ~O_TRUNC;
  int fd = ::open(Backing(path).c_str(), flags);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  if (control) Context().control_fhs.insert(fi->fh);
  return 0;
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  int fd = ::open(Backing(path).c_str(), fi->flags | O_CREAT, mode);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  return 0;
}

int Read(const char*, char* buf, size_t size, off_t offset,
         fuse_file_info* fi) {
  ssize_t n = ::pread(static_cast<int>(fi->fh), buf, size, offset);
  return n < 0 ? -errno : static_cast<int>(n);
}

// `in-use`: "DEVICE" marks an mdev UUID or VF address open by a VMM,
// "-DEVICE" clears it.
int WriteInUseHook(absl::string_view data) {
  data = absl::StripAsciiWhitespace(data);
  const bool clear = absl::ConsumePrefix(&data, "-");
  if (data.empty()) return EINVAL;
  Context().model->SetInUse(data, !clear);
  return 0;
}

// `race`: "PATH DATA", a kernel write to perform just before the next one.
int WriteRaceHook(absl::string_view data) {
  absl::ConsumeSuffix(&data, "\n");
  absl::ConsumePrefix(&data, "/");
  const size_t space = data.find(' ');
  if (space == absl::string_view::npos || space + 1 == data.size()) {
    return EINVAL;
  }
  Race race{std::string(data.substr(0, space)),
            std::string(data.substr(space + 1))};
  if (!Context().model->Handles(race.path)) return EINVAL;
  Context().race = std::move(race);
  return 0;
}

// A write to a control file: the armed race first, then the model.
int WriteControl(const char* path, absl::string_view data) {
  ServeContext& context = Context();
  if (context.race.has_value()) {
    const Race race = *std::move(context.race);
    context.race.reset();
    if (int err = context.model->Write(race.path, race.data); err != 0) {
      std::fprintf(stderr, "vgpu-simhost: race: write %s: %s\n",
                   race.path.c_str(), std::strerror(err));
    }
  }
  // kernfs: a file whose device went away while it was open answers ENODEV.
  if (!IsControl(path)) return ENODEV;
  return context.model->Write(absl::string_view(path).substr(1), data);
}

int Write(const char* path, const char* buf, size_t size, off_t offset,
          fuse_file_info* fi) {
  const absl::string_view data(buf, size);
  int err = -1;
  if (absl::string_view(path) == kInUseHook) {
    err = WriteInUseHook(data);
  } else if (absl::string_view(path) == kRaceHook) {
    err = WriteRaceHook(data);
  } else if (Context().control_fhs.count(fi->fh) > 0 || IsControl(path)) {
    err = WriteControl(path, data);
  }
  if (err >= 0) return err != 0 ? -err : static_cast<int>(size);
  ssize_t n = ::pwrite(static_cast<int>(fi->fh), buf, size, offset);
  return n < 0 ? -errno : static_cast<int>(n);
}

int Release(const char*, fuse_file_info* fi) {
  Context().control_fhs.erase(fi->fh);
  ::close(static_cast<int>(fi->fh));
  return 0;
}

int Truncate(const char* path, off_t size, fuse_file_info*) {
  if (IsControl(path)) return 0;
  return Errno(::truncate(Backing(path).c_str(), size));
}

int MkDir(const char* path, mode_t mode) {
  return Errno(::mkdir(Backing(path).c_str(), mode));
}

int Unlink(const char* path) { return Errno(::unlink(Backing(path).c_str())); }

int RmDir(const char* path) { return Errno(::rmdir(Backing(path).c_str())); }

int Symlink(const char* target, const char* link) {
  return Errno(::symlink(target, Backing(link).c_str()));
}

int Rename(const char* from, const char* to, unsigned int flags) {
  if (flags != 0) return -EINVAL;
  return Errno(::rename(Backing(from).c_str(), Backing(to).c_str()));
}

int ChMod(const char* path, mode_t mode, fuse_file_info*) {
  return Errno(::chmod(Backing(path).c_str(), mode));
}

int ChOwn(const char* path, uid_t uid, gid_t gid, fuse_file_info*) {
  return Errno(::lchown(Backing(path).c_str(), uid, gid));
}

int UTimeNs(const char* path, const timespec tv[2], fuse_file_info*) {
  return Errno(
      ::utimensat(AT_FDCWD, Backing(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}

int StatFs(const char* path, struct statvfs* st) {
  return Errno(::statvfs(Backing(path).c_str(), st));
}

fuse_operations Operations() {
  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.readdir = ReadDir;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.release = Release;
  ops.truncate = Truncate;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.symlink = Symlink;
  ops.rename = Rename;
  ops.chmod = ChMod;
  ops.chown = ChOwn;
  ops.utimens = UTimeNs;
  ops.statfs = StatFs;
  return ops;
}

}  // namespace

absl::Status ServeHost(SimHost& host, const std::function<void()>& on_ready) {
  const std::string mountpoint = host.root();
  int dir_fd = ::open(mountpoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("open ", mountpoint, ": ", std::strerror(errno)));
  }
  for (const char* hook : {kInUseHook, kRaceHook}) {
    ::mkdir(absl::StrCat(mountpoint, kHooksDir).c_str(), 0755);
    int fd = ::open(absl::StrCat(mountpoint, hook).c_str(),
                    O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  host.Rebase(absl::StrCat("/proc/self/fd/", dir_fd));
  KernelModel model(host);
  ServeContext context;
  context.backing = host.root();
  context.model = &model;
  const fuse_operations ops = Operations();
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  std::string options = "fsname=vgpu-simhost,subtype=vgpu-simhost";
  if (::geteuid() == 0) options += ",allow_other";
  for (const char* arg : {"vgpu-simhost", "-o", options.c_str()}) {
    fuse_opt_add_arg(&args, arg);
  }
  absl::Status status;
  fuse* fs = fuse_new(&args, &ops, sizeof(ops), &context);
  if (fs == nullptr) {
    status = absl::InternalError("fuse_new failed");
  } else if (fuse_mount(fs, mountpoint.c_str()) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("mount FUSE on ", mountpoint,
                     " failed (needs /dev/fuse and root, or fusermount3)"));
  } else {
    fuse_session* session = fuse_get_session(fs);
    if (fuse_set_signal_handlers(session) != 0) {
      status = absl::InternalError("fuse_set_signal_handlers failed");
    } else {
      on_ready();
      // A positive result is the signal that ended the loop.
      int rc = fuse_loop(fs);
      if (rc < 0) {
        status = absl::InternalError(
            absl::StrCat("serving ", mountpoint, ": ", std::strerror(-rc)));
      }
      fuse_remove_signal_handlers(session);
    }
    fuse_unmount(fs);
  }
  if (fs != nullptr) fuse_destroy(fs);
  fuse_opt_free_args(&args);
  host.Rebase(mountpoint);
  ::close(dir_fd);
  return status;
}

}  // namespace vgpu::simhost
