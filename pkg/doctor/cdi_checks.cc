// CDI checks: what Kata's CDI cache will make of the spec dirs (cdi v0.6.0
// Cache.refresh, docs/kata.md §5), and whether our specs match what the
// daemon advertises (its plugin sockets and their ListAndWatch answers).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/deviceplugin/snapshot.h"
#include "pkg/doctor/doctor.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::doctor {
namespace {

// The prefix of the spec files CdiWriter owns (pkg/kata/cdi_spec.h).
constexpr char kOurPrefix[] = "vgpu-device-plugin_";

void Add(std::vector<Finding>& out, Verdict verdict, const char* check,
         std::string message, std::string fix = "") {
  out.push_back({verdict, check, std::move(message), std::move(fix)});
}

void CheckParse(const CdiInput& cdi, std::vector<Finding>& out) {
  int good = 0;
  for (const std::string& problem : cdi.problems) {
    Add(out, Verdict::kWarn, "cdi-parse",
        absl::StrCat(problem, ": the CDI dir cannot be read."),
        "check the dir and its mount");
  }
  for (const CdiFileInput& file : cdi.files) {
    if (file.spec.ok()) {
      ++good;
      continue;
    }
    Add(out, Verdict::kFail, "cdi-parse",
        absl::StrCat(file.spec.status().message(),
                     ": Kata fails every sandbox while one spec in its CDI "
                     "dirs is invalid."),
        absl::StrCat("fix or remove ", file.path));
  }
  if (good == static_cast<int>(cdi.files.size())) {
    Add(out, Verdict::kPass, "cdi-parse",
        absl::StrCat(good, " CDI spec files parse (",
                     absl::StrJoin(cdi.dirs, ", "), ")"));
  }
}

void CheckDuplicates(const CdiInput& cdi, std::vector<Finding>& out) {
  // Qualified name -> the files (with their dir) that define it.
  std::map<std::string, std::vector<const CdiFileInput*>> defs;
  for (const CdiFileInput& file : cdi.files) {
    if (!file.spec.ok()) continue;
    for (const coldplug::CdiDevice& device : file.spec->devices) {
      defs[device.qualified_name].push_back(&file);
    }
  }
  int found = 0;
  for (const auto& entry : defs) {
    const std::vector<const CdiFileInput*>& files = entry.second;
    if (files.size() < 2) continue;
    ++found;
    const bool same_dir = files[0]->dir == files[1]->dir;
    Add(out, same_dir ? Verdict::kFail : Verdict::kWarn, "cdi-duplicates",
        absl::StrCat(entry.first, " is defined in both ", files[0]->path,
                     " and ", files[1]->path,
                     same_dir ? ": Kata's CDI cache rejects the conflict."
                              : ": the later dir's definition wins."),
        absl::StrCat("remove it from one of them (nvidia-ctk cdi generate "
                     "writes /etc/cdi/nvidia.yaml)"));
  }
  if (found == 0) {
    Add(out, Verdict::kPass, "cdi-duplicates",
        absl::StrCat(defs.size(), " CDI device names, none defined twice"));
  }
}

// "a, b, c" for at most kMaxNamed ids, then ", and N more".
std::string NameSome(const std::vector<std::string>& ids) {
  constexpr size_t kMaxNamed = 5;
  std::vector<std::string> named(ids.begin(),
                                 ids.begin() + std::min(ids.size(), kMaxNamed));
  std::string text = absl::StrJoin(named, ", ");
  if (ids.size() > kMaxNamed) {
    absl::StrAppend(&text, ", and ", ids.size() - kMaxNamed, " more");
  }
  return text;
}

// `ids` less those in `other`, in the order of `ids`.
std::vector<std::string> Missing(const std::vector<std::string>& ids,
                                 const std::vector<std::string>& other) {
  const std::set<std::string> present(other.begin(), other.end());
  std::vector<std::string> missing;
  for (const std::string& id : ids) {
    if (present.count(id) == 0) missing.push_back(id);
  }
  return missing;
}

// The device names our spec file lists ("kind=name" -> "name").
std::vector<std::string> SpecIds(const coldplug::CdiSpecFile& spec) {
  std::vector<std::string> ids;
  for (const coldplug::CdiDevice& device : spec.devices) {
    const size_t eq = device.qualified_name.find('=');
    ids.push_back(device.qualified_name.substr(eq + 1));
  }
  return ids;
}

void CheckAdvertised(const CdiInput& cdi, const DevicePluginDirInput& plugins,
                     std::vector<Finding>& out) {
  if (!plugins.listed.ok()) {
    Add(out, Verdict::kWarn, "cdi-advertised",
        absl::StrCat("cannot list the device-plugin dir: ",
                     plugins.listed.message(), "."),
        "pass --device-plugin-dir (the kubelet's root dir + "
        "/device-plugins)");
    return;
  }
  std::set<std::string> sockets(plugins.sockets.begin(), plugins.sockets.end());
  std::set<std::string> covered;
  DeviceIdsByResource advertised;
  DeviceIdsByResource in_spec;
  for (const CdiFileInput& file : cdi.files) {
    if (!file.spec.ok() ||
        !absl::StartsWith(sysfs::Basename(file.path), kOurPrefix)) {
      continue;
    }
    const std::string socket = deviceplugin::SocketName(file.spec->kind);
    if (sockets.count(socket) == 0) {
      Add(out, Verdict::kWarn, "cdi-advertised",
          absl::StrCat(file.path, " lists ", file.spec->devices.size(),
                       " devices of ", file.spec->kind,
                       " but no plugin socket ", socket,
                       " advertises them: a stale spec."),
          absl::StrCat("rm ", file.path,
                       " (a running daemon writes its specs again)"));
      continue;
    }
    covered.insert(socket);
    auto answer = plugins.advertised.find(socket);
    if (answer == plugins.advertised.end() || !answer->second.ok()) {
      Add(out, Verdict::kWarn, "cdi-advertised",
          absl::StrCat(
              socket, " does not answer",
              answer == plugins.advertised.end()
                  ? std::string()
                  : absl::StrCat(" (", answer->second.status().message(), ")"),
              ": its devices are not compared with ", file.path, "."),
          "check that the daemon runs (its log), then run the doctor again");
      continue;
    }
    advertised[file.spec->kind] = *answer->second;
    in_spec[file.spec->kind] = SpecIds(*file.spec);
  }
  for (const std::string& socket : sockets) {
    if (covered.count(socket) != 0) continue;
    Add(out, Verdict::kFail, "cdi-advertised",
        absl::StrCat(socket, " advertises a resource but no ", kOurPrefix,
                     "*.json spec in ", absl::StrJoin(cdi.dirs, ", "),
                     " lists its devices: Kata cannot resolve them."),
        "run the daemon with a --cdi-dir that is one of Kata's CDI dirs "
        "(/var/run/cdi, /etc/cdi)");
  }
  CheckAdvertisedDevices(advertised, in_spec, out);
}

}  // namespace

void CheckAdvertisedDevices(const DeviceIdsByResource& advertised,
                            const DeviceIdsByResource& in_spec,
                            std::vector<Finding>& out) {
  const std::vector<std::string> none;
  size_t devices = 0;
  bool failed = false;
  for (const auto& entry : advertised) {
    auto spec = in_spec.find(entry.first);
    const std::vector<std::string>& spec_ids =
        spec == in_spec.end() ? none : spec->second;
    devices += entry.second.size();
    const std::vector<std::string> unresolvable =
        Missing(entry.second, spec_ids);
    if (!unresolvable.empty()) {
      failed = true;
      Add(out, Verdict::kFail, "cdi-advertised",
          absl::StrCat(entry.first, ": ", unresolvable.size(),
                       " advertised devices are not in its CDI spec (",
                       NameSome(unresolvable), "): Kata cannot resolve them."),
          "restart the daemon (it writes its specs again); if they stay "
          "missing, read its log for the CDI write error");
    }
    const std::vector<std::string> withdrawn = Missing(spec_ids, entry.second);
    if (!withdrawn.empty()) {
      Add(out, Verdict::kInfo, "cdi-advertised",
          absl::StrCat(entry.first, ": ", withdrawn.size(),
                       " devices in its CDI spec are not advertised (",
                       NameSome(withdrawn),
                       "): the daemon keeps a withdrawn device's entry while "
                       "the device exists, so a pod that holds it starts."));
    }
  }
  if (!failed) {
    Add(out, Verdict::kPass, "cdi-advertised",
        absl::StrCat(devices, " devices advertised by ", advertised.size(),
                     " plugin sockets, each in its CDI spec"));
  }
}

void CheckCdi(const CdiInput& cdi, const DevicePluginDirInput& plugins,
              std::vector<Finding>& out) {
  CheckParse(cdi, out);
  CheckDuplicates(cdi, out);
  CheckAdvertised(cdi, plugins, out);
}

}  // namespace vgpu::doctor
