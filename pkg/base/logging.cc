#include "pkg/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pkg/base/json.h"

namespace vgpu::logging {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};
std::atomic<int> g_fd{2};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
    case Level::kFatal:
      return "fatal";
  }
  return "info";
}

// A number field as a JSON number; its text when that does not parse (an
// integer beyond 64 bits).
Json FieldJson(const LogField& f) {
  if (f.kind == LogField::Kind::kInteger) {
    int64_t i = 0;
    uint64_t u = 0;
    if (absl::SimpleAtoi(f.value, &i)) return Json(i);
    if (absl::SimpleAtoi(f.value, &u)) return Json(u);
  } else if (f.kind == LogField::Kind::kFloat) {
    double d = 0;
    if (absl::SimpleAtod(f.value, &d)) return Json(d);
  }
  return Json(f.value);
}

bool NeedsQuoting(absl::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(text);
  if (t == "debug") return Level::kDebug;
  if (t == "info") return Level::kInfo;
  if (t == "warning" || t == "warn") return Level::kWarning;
  if (t == "error") return Level::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid log level \"", text, "\": want debug, info, warning or error"));
}

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid log format \"", text, "\": want text or json"));
}

void SetMinLevel(Level level) { g_min_level = static_cast<int>(level); }
Level MinLevel() { return static_cast<Level>(g_min_level.load()); }
void SetFormat(Format format) { g_format = static_cast<int>(format); }
void SetOutputFdForTest(int fd) { g_fd = fd; }

std::string FormatLine(Level level, Format format, absl::string_view message,
                       const std::vector<LogField>& fields) {
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                    absl::UTCTimeZone());
  std::string out;
  if (format == Format::kJson) {
    Json line = Json::object();
    line["ts"] = ts;
    line["level"] = LevelName(level);
    line["msg"] = std::string(message);
    // Fields follow in the order given, a repeated key included, as the
    // line has always been written (so not through operator[]).
    Json::object_t& members = line.get_ref<Json::object_t&>();
    for (const LogField& f : fields) members.emplace_back(f.key, FieldJson(f));
    return DumpJson(line, JsonStyle::kCompact) + "\n";
  }
  std::string lvl = absl::AsciiStrToUpper(LevelName(level));
  out = absl::StrCat(ts, " ", lvl, " ", message);
  for (const LogField& f : fields) {
    absl::StrAppend(&out, " ", f.key, "=");
    if (NeedsQuoting(f.value)) {
      out += DumpJson(Json(f.value), JsonStyle::kCompact);
    } else {
      out += f.value;
    }
  }
  out.push_back('\n');
  return out;
}

LogMessage::LogMessage(Level level, const char* file, int line)
    : level_(level), file_(file), line_(line) {}

LogMessage& LogMessage::With(absl::string_view key, absl::string_view value) {
  fields_.push_back({std::string(key), std::string(value)});
  return *this;
}

LogMessage& LogMessage::WithNumber(absl::string_view key, std::string value,
                                   LogField::Kind kind) {
  fields_.push_back({std::string(key), std::move(value), kind});
  return *this;
}

LogMessage& LogMessage::WithFloat(absl::string_view key, double value) {
  // JSON has no NaN or infinity: those stay strings.
  return WithNumber(
      key, absl::StrCat(value),
      std::isfinite(value) ? LogField::Kind::kFloat : LogField::Kind::kString);
}

LogMessage::~LogMessage() {
  if (level_ >= Level::kError || MinLevel() == Level::kDebug) {
    absl::string_view f(file_);
    size_t slash = f.rfind('/');
    if (slash != absl::string_view::npos) f.remove_prefix(slash + 1);
    fields_.push_back({"src", absl::StrCat(f, ":", line_)});
  }
  std::string line = FormatLine(level_, static_cast<Format>(g_format.load()),
                                stream_.str(), fields_);
  const char* p = line.data();
  size_t left = line.size();
  int fd = g_fd.load();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (level_ == Level::kFatal) std::abort();
}

}  // namespace vgpu::logging
