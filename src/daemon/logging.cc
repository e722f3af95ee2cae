#include "daemon/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace ferry::daemon {

bool ParseLogLevel(std::string_view n, log::Level* level) {
  static constexpr std::pair<std::string_view, log::Level> kNames[] = {
      {"trace", log::Level::kTrace}, {"debug", log::Level::kDebug},  {"info", log::Level::kInfo},
      {"warn", log::Level::kWarn},   {"warning", log::Level::kWarn}, {"error", log::Level::kError},
      {"off", log::Level::kOff}};
  for (auto& [name, l] : kNames)
    if (name == n) {
      *level = l;
      return true;
    }
  return false;
}

void SetUpLogging(log::Level level) {
  auto logger = spdlog::stderr_logger_mt("ferryd");
  // The journal adds its own timestamps; a terminal gets them from us.
  if (std::getenv("JOURNAL_STREAM"))
    logger->set_pattern("<%l> %v");
  else
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  log::SetLevel(level);
  log::SetSink([logger](log::Level l, std::string_view message) {
    spdlog::level::level_enum s = spdlog::level::info;
    switch (l) {
      case log::Level::kTrace:
        s = spdlog::level::trace;
        break;
      case log::Level::kDebug:
        s = spdlog::level::debug;
        break;
      case log::Level::kInfo:
        s = spdlog::level::info;
        break;
      case log::Level::kWarn:
        s = spdlog::level::warn;
        break;
      case log::Level::kError:
        s = spdlog::level::err;
        break;
      case log::Level::kOff:
        return;
    }
    logger->log(s, "{}", message);
  });
}

}  // namespace ferry::daemon
