#include "cmd/common/flags.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace vgpu::cmd {
namespace {

using StringList = std::vector<std::string>;

std::string Underscored(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"-", "_"}});
}

std::string Dashed(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"_", "-"}});
}

bool IsHelp(absl::string_view name) {
  return name == "help" || name == "h" || name == "helpshort" ||
         name == "helpfull";
}

// The absl flag that `name` (underscored) means in `line`, or nullptr.
absl::CommandLineFlag* Find(const CommandLine& line, std::string name) {
  for (const FlagAlias& alias : line.aliases) {
    if (Underscored(alias.alias) == name) name = alias.flag;
  }
  if (std::find(line.flags.begin(), line.flags.end(), name) ==
      line.flags.end()) {
    return nullptr;
  }
  return absl::FindCommandLineFlag(name);
}

// Walks the arguments once, setting flags as it goes; list flags are set at
// the end from every value they were given.
class Parser {
 public:
  Parser(const CommandLine& line, const StringList& args)
      : line_(line), args_(args) {}

  absl::StatusOr<ParsedFlags> Run() {
    ParsedFlags parsed;
    while (next_ < args_.size() && !parsed.help) {
      absl::Status status = Step(parsed);
      if (!status.ok()) return status;
    }
    if (parsed.help) return parsed;
    for (const auto& [flag, values] : lists_) {
      std::string error;
      if (!flag->ParseFrom(absl::StrJoin(values, ","), &error)) {
        return absl::InvalidArgumentError(error);
      }
    }
    return parsed;
  }

 private:
  static absl::Status Stray(absl::string_view arg) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", arg, "\""));
  }

  // Consumes one argument (two for "--name value").
  absl::Status Step(ParsedFlags& parsed) {
    const absl::string_view arg = args_[next_++];
    if (arg == "--") {
      if (next_ < args_.size()) return Stray(args_[next_]);
      return absl::OkStatus();
    }
    if (arg.size() < 2 || arg[0] != '-') return Stray(arg);
    absl::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = body.find('=');
    const std::string typed(
        arg.substr(0, arg.size() - body.size() + std::min(eq, body.size())));
    const std::string name = Underscored(body.substr(0, eq));
    std::optional<std::string> value;
    if (eq != absl::string_view::npos) value = std::string(body.substr(eq + 1));
    if (!value.has_value() && IsHelp(name)) {
      parsed.help = true;
      return absl::OkStatus();
    }
    if (!value.has_value() && name == "version" && !line_.version.empty()) {
      parsed.version = true;
      return absl::OkStatus();
    }
    return SetFlag(typed, name, std::move(value));
  }

  absl::Status SetFlag(const std::string& typed, const std::string& name,
                       std::optional<std::string> value) {
    absl::CommandLineFlag* flag = Find(line_, name);
    if (flag == nullptr && !value.has_value() && name.rfind("no", 0) == 0) {
      flag = Find(line_, name.substr(name.rfind("no_", 0) == 0 ? 3 : 2));
      if (flag != nullptr && !flag->IsOfType<bool>()) flag = nullptr;
      if (flag != nullptr) value = "false";
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", typed));
    }
    if (!value.has_value() && flag->IsOfType<bool>()) value = "true";
    if (!value.has_value() && next_ < args_.size()) value = args_[next_++];
    if (!value.has_value() || (value->empty() && !line_.allow_empty_values)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag ", typed, " needs a value"));
    }
    if (flag->IsOfType<StringList>()) {
      lists_[flag].push_back(*std::move(value));
      return absl::OkStatus();
    }
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value \"", *value, "\" for flag ", typed));
    }
    return absl::OkStatus();
  }

  const CommandLine& line_;
  const StringList& args_;
  size_t next_ = 0;
  std::map<absl::CommandLineFlag*, StringList> lists_;
};

std::string DescribeFlag(const CommandLine& line, const std::string& name,
                         const absl::CommandLineFlag& flag) {
  std::string out = absl::StrCat("  --", Dashed(name));
  if (flag.IsOfType<bool>()) {
    absl::StrAppend(&out, "  (default ", flag.DefaultValue(), ")");
  } else if (flag.IsOfType<StringList>()) {
    absl::StrAppend(&out, "=VALUE  (repeatable)");
  } else {
    absl::StrAppend(&out, "=VALUE  (default \"", flag.DefaultValue(), "\")");
  }
  for (const FlagAlias& alias : line.aliases) {
    if (alias.flag == name) {
      absl::StrAppend(&out, "  also --", Dashed(alias.alias));
    }
  }
  absl::StrAppend(&out, "\n      ", flag.Help(), "\n");
  return out;
}

}  // namespace

absl::StatusOr<ParsedFlags> ParseFlags(const CommandLine& line,
                                       const StringList& args) {
  for (const std::string& name : line.flags) {
    if (absl::FindCommandLineFlag(name) == nullptr) {
      return absl::InternalError(
          absl::StrCat(line.program, " lists undefined flag ", name));
    }
  }
  return Parser(line, args).Run();
}

std::string HelpText(const CommandLine& line) {
  std::string out = line.usage;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (line.flags.empty()) return out;
  absl::StrAppend(&out, "\nflags:\n");
  for (const std::string& name : line.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag != nullptr) absl::StrAppend(&out, DescribeFlag(line, name, *flag));
  }
  absl::StrAppend(&out, "  --help\n      print this text and exit\n");
  return out;
}

int UsageError(const CommandLine& line, absl::string_view message) {
  std::fprintf(stderr, "%s: %s (see %s --help)\n", line.program.c_str(),
               std::string(message).c_str(), line.program.c_str());
  return kExitUsage;
}

std::optional<int> ParseCommandLine(const CommandLine& line, int argc,
                                    char** argv) {
  const StringList args(argv + std::min(argc, 1), argv + argc);
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(line, args);
  if (!parsed.ok()) {
    if (absl::IsInvalidArgument(parsed.status())) {
      return UsageError(line, parsed.status().message());
    }
    std::fprintf(stderr, "%s: %s\n", line.program.c_str(),
                 std::string(parsed.status().message()).c_str());
    return kExitError;
  }
  if (parsed->help) {
    std::fputs(HelpText(line).c_str(), stdout);
    return kExitOk;
  }
  if (parsed->version) {
    std::printf("%s\n", line.version.c_str());
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace vgpu::cmd
