#include "pkg/layout/status.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pkg/base/json.h"

namespace vgpu::layout {
namespace {

// Members read without nlohmann's throwing accessors.
bool GetString(const Json& object, const char* key, std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return false;
  out = it->get_ref<const std::string&>();
  return true;
}

absl::Status Missing(const char* what) {
  return absl::InvalidArgumentError(
      absl::StrCat("layout status: ", what, " missing or not a string"));
}

std::optional<ActionKind> KindNamed(absl::string_view name) {
  for (ActionKind k :
       {ActionKind::kEnableVfs, ActionKind::kSetVfType,
        ActionKind::kResetVfType, ActionKind::kCreateMdev,
        ActionKind::kRemoveMdev, ActionKind::kKeep, ActionKind::kBlocked}) {
    if (ActionKindName(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace

std::map<std::string, int> CountByType(const std::vector<Action>& plan) {
  std::map<std::string, int> out;
  for (const Action& a : plan) {
    const bool exists = a.kind == ActionKind::kKeep ||
                        (a.kind == ActionKind::kBlocked && !a.device.empty());
    if (!exists) continue;
    ++out[a.type.name.empty() ? a.type.id : a.type.name];
  }
  return out;
}

std::string FormatStatus(const LayoutStatus& status) {
  Json j = Json::object();
  j["layout"] = status.layout;
  j["state"] = status.state;
  j["outcome"] = status.outcome;
  j["error"] = status.error;
  j["updated"] =
      absl::FormatTime(absl::RFC3339_sec, status.updated, absl::UTCTimeZone());
  j["actions"] = Json::array();
  for (const Action& a : status.actions) {
    Json action = Json::object();
    action["action"] = std::string(ActionKindName(a.kind));
    action["gpu"] = a.gpu;
    action["device"] = a.device;
    action["parent"] = a.parent;
    action["type"] = a.type.id;
    action["typeName"] = a.type.name;
    action["reason"] = a.reason;
    j["actions"].push_back(std::move(action));
  }
  j["withdrawn"] = Json::array();
  for (const std::string& d : status.withdrawn) j["withdrawn"].push_back(d);
  j["counts"] = Json::object();
  for (const auto& [type, count] : status.counts) j["counts"][type] = count;
  return DumpJson(j);
}

absl::StatusOr<LayoutStatus> ParseStatus(absl::string_view text) {
  absl::StatusOr<Json> j = ParseJson(text);
  if (!j.ok()) return j.status();
  if (!j->is_object()) {
    return absl::InvalidArgumentError("layout status: not a JSON object");
  }
  LayoutStatus out;
  if (!GetString(*j, "layout", out.layout)) return Missing("layout");
  if (!GetString(*j, "state", out.state)) return Missing("state");
  if (!GetString(*j, "outcome", out.outcome)) return Missing("outcome");
  if (!GetString(*j, "error", out.error)) return Missing("error");
  std::string updated;
  std::string error;
  if (!GetString(*j, "updated", updated) ||
      !absl::ParseTime(absl::RFC3339_full, updated, &out.updated, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("layout status: bad updated time ", updated));
  }
  auto actions = j->find("actions");
  if (actions == j->end() || !actions->is_array()) return Missing("actions");
  for (const Json& a : *actions) {
    if (!a.is_object()) return Missing("action");
    Action action;
    std::string kind;
    if (!GetString(a, "action", kind)) return Missing("action");
    std::optional<ActionKind> k = KindNamed(kind);
    if (!k) {
      return absl::InvalidArgumentError(
          absl::StrCat("layout status: unknown action ", kind));
    }
    action.kind = *k;
    if (!GetString(a, "gpu", action.gpu) ||
        !GetString(a, "device", action.device) ||
        !GetString(a, "parent", action.parent) ||
        !GetString(a, "type", action.type.id) ||
        !GetString(a, "typeName", action.type.name) ||
        !GetString(a, "reason", action.reason)) {
      return Missing("action member");
    }
    out.actions.push_back(std::move(action));
  }
  auto withdrawn = j->find("withdrawn");
  if (withdrawn == j->end() || !withdrawn->is_array()) {
    return Missing("withdrawn");
  }
  for (const Json& d : *withdrawn) {
    if (!d.is_string()) return Missing("withdrawn device");
    out.withdrawn.push_back(d.get<std::string>());
  }
  auto counts = j->find("counts");
  if (counts == j->end() || !counts->is_object()) return Missing("counts");
  for (auto it = counts->begin(); it != counts->end(); ++it) {
    if (!it->is_number_integer()) return Missing("count");
    out.counts[it.key()] = it->get<int>();
  }
  return out;
}

}  // namespace vgpu::layout
