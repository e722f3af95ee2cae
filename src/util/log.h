// Minimal leveled logging for every module below the daemon. Messages go to a
// process-wide sink (stderr by default); the daemon installs a sink that
// forwards to spdlog/journal. Thread-safe.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string_view>

namespace ferry::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

using Sink = std::function<void(Level, std::string_view message)>;

void SetLevel(Level level);
Level GetLevel();
// Replaces the sink; nullptr restores stderr.
void SetSink(Sink sink);
void Write(Level level, std::string_view message);

template <typename... Args>
void Log(Level level, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLevel()) return;
  Write(level, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kDebug, f, std::forward<Args>(a)...); }
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kInfo, f, std::forward<Args>(a)...); }
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kWarn, f, std::forward<Args>(a)...); }
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kError, f, std::forward<Args>(a)...); }

}  // namespace ferry::log
