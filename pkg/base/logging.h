// Process-wide leveled logging: one line per event, text for people or JSON
// for collectors. Thread-safe: each line is formatted privately and written
// with one write(2) to stderr. Point this at absl/log once Debian ships it.
//
//   VGPU_LOG(INFO) << "registered " << resource;
//   VGPU_LOG(WARNING).With("resource", r).With("device", id) << "unhealthy";
#ifndef VGPU_PKG_BASE_LOGGING_H_
#define VGPU_PKG_BASE_LOGGING_H_

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::logging {

enum class Level {
  kDebug = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kFatal = 4
};
enum class Format { kText, kJson };

// Parses "debug", "info", "warning"/"warn", "error". InvalidArgument otherwise.
absl::StatusOr<Level> ParseLevel(absl::string_view text);
// Parses "text" or "json". InvalidArgument otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);

void SetMinLevel(Level level);
Level MinLevel();
void SetFormat(Format format);
// Redirects output to `fd` (default 2). For tests.
void SetOutputFdForTest(int fd);

// One structured field. A number is a JSON number in JSON lines; in text
// lines every field is key=value alike.
struct LogField {
  enum class Kind { kString, kInteger, kFloat };
  std::string key;
  std::string value;
  Kind kind = Kind::kString;
};

class LogMessage {
 public:
  LogMessage(Level level, const char* file, int line);
  ~LogMessage();  // Emits the line; aborts for kFatal.
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  // Adds a structured field: key=value in text, a JSON member in JSON (a
  // number for an integer or floating-point value). No bool overload: a
  // string literal would convert to bool before string_view.
  LogMessage& With(absl::string_view key, absl::string_view value);
  template <typename T,
            std::enable_if_t<
                std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  LogMessage& With(absl::string_view key, T value) {
    if constexpr (std::is_integral_v<T>) {
      return WithNumber(key, std::to_string(value), LogField::Kind::kInteger);
    } else {
      return WithFloat(key, static_cast<double>(value));
    }
  }

  template <typename T>
  LogMessage& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  Level level_;
  const char* file_;
  int line_;
  LogMessage& WithNumber(absl::string_view key, std::string value,
                         LogField::Kind kind);
  LogMessage& WithFloat(absl::string_view key, double value);

  std::ostringstream stream_;
  std::vector<LogField> fields_;
};

// Swallows a LogMessage in the disabled branch of VGPU_LOG.
struct Voidify {
  void operator&(const LogMessage&) {}
};

// Formats one line. Exposed for tests.
std::string FormatLine(Level level, Format format, absl::string_view message,
                       const std::vector<LogField>& fields);

}  // namespace vgpu::logging

#define VGPU_LOG_LEVEL_DEBUG ::vgpu::logging::Level::kDebug
#define VGPU_LOG_LEVEL_INFO ::vgpu::logging::Level::kInfo
#define VGPU_LOG_LEVEL_WARNING ::vgpu::logging::Level::kWarning
#define VGPU_LOG_LEVEL_ERROR ::vgpu::logging::Level::kError
#define VGPU_LOG_LEVEL_FATAL ::vgpu::logging::Level::kFatal

#define VGPU_LOG(severity)                                                   \
  (VGPU_LOG_LEVEL_##severity < ::vgpu::logging::MinLevel())                  \
      ? (void)0                                                              \
      : ::vgpu::logging::Voidify() &                                         \
            ::vgpu::logging::LogMessage(VGPU_LOG_LEVEL_##severity, __FILE__, \
                                        __LINE__)

// Broken invariant: log and abort (never for bad input or runtime errors).
#define VGPU_CHECK(cond)                                                   \
  (cond) ? (void)0                                                         \
         : ::vgpu::logging::Voidify() &                                    \
               ::vgpu::logging::LogMessage(::vgpu::logging::Level::kFatal, \
                                           __FILE__, __LINE__)             \
                   << "check failed: " #cond " "

#endif  // VGPU_PKG_BASE_LOGGING_H_
