// Reads the host's CDI spec files the way Kata's CDI registry does (CDI
// v0.6.0 `Cache.refresh`), so the cold-plug plan sees what Kata will see:
// the *.json and *.yaml files directly in each dir (subdirs and other names
// are skipped), later dirs override earlier ones, and a qualified name that
// two files of the same dir define is a conflict. Kata treats any invalid
// spec file as fatal, so every problem is reported. Pure except for reading
// the spec files; thread-compatible.
//
// *.yaml files are read through config::YamlToJson (pkg/config alone uses
// yaml-cpp), with the YAML 1.1 scalar rules of the CDI library's reader.
#ifndef VGPU_PKG_COLDPLUG_CDI_RESOLVE_H_
#define VGPU_PKG_COLDPLUG_CDI_RESOLVE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::coldplug {

inline constexpr char kEtcCdiDir[] = "/etc/cdi";
inline constexpr char kVarRunCdiDir[] = "/var/run/cdi";

struct CdiDeviceNode {
  std::string path;       // Container path ("path").
  std::string host_path;  // "hostPath", or `path` when absent.
};

struct CdiDevice {
  std::string qualified_name;  // "nvidia.com/pgpu=0000:42:00.0"
  std::string spec_file;       // The file that defines it.
  // What injecting it adds: the spec-wide deviceNodes, then the device's.
  std::vector<CdiDeviceNode> device_nodes;
};

// One parsed spec file.
struct CdiSpecFile {
  std::string path;
  std::string kind;
  std::vector<CdiDevice> devices;  // In file order.
};

// Parses and validates one spec's content like the CDI library: JSON, or
// YAML when `path` ends in ".yaml" (strict:
// unknown fields, duplicate keys, a bad version/kind/name, a device without
// edits or a node without a path are errors). cdiVersion 0.1.0..0.6.0 (what
// Kata's vendored CDI v0.6.0 accepts). InvalidArgument naming `path` and the
// problem ("/etc/cdi/x.json: devices[2]: invalid CDI device name ...").
absl::StatusOr<CdiSpecFile> ParseCdiSpecFile(absl::string_view content,
                                             absl::string_view path);

struct CdiRegistry {
  std::map<std::string, CdiDevice> devices;  // By qualified name.
  // Non-fatal notes: names overridden by a later dir.
  std::vector<std::string> warnings;
  std::vector<std::string> dirs;  // Searched, in priority order.

  // NotFound "unresolvable CDI devices nvidia.com/pgpu=X" (Kata's words),
  // naming the dirs searched, when absent.
  absl::StatusOr<const CdiDevice*> Resolve(const std::string& name) const;
};

// Loads every spec in `dirs` (lowest priority first; Kata's default is
// {/etc/cdi, /var/run/cdi}). A missing dir is skipped. InvalidArgument on
// any invalid spec file and on a name defined twice within one dir (naming
// both files); every such problem is listed, one per line.
absl::StatusOr<CdiRegistry> LoadCdiRegistry(
    const std::vector<std::string>& dirs);

}  // namespace vgpu::coldplug

#endif  // VGPU_PKG_COLDPLUG_CDI_RESOLVE_H_
