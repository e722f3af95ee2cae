#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ferry::log {
namespace {
std::atomic<Level> g_level{[] {
  const char* e = std::getenv("FERRY_LOG");
  if (!e) return Level::kWarn;
  std::string_view v(e);
  if (v == "trace") return Level::kTrace;
  if (v == "debug") return Level::kDebug;
  if (v == "info") return Level::kInfo;
  if (v == "error") return Level::kError;
  if (v == "off") return Level::kOff;
  return Level::kWarn;
}()};
std::mutex g_mu;
Sink g_sink;
constexpr const char* kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

void SetLevel(Level level) { g_level = level; }
Level GetLevel() { return g_level; }
void SetSink(Sink sink) {
  std::lock_guard lock(g_mu);
  g_sink = std::move(sink);
}
void Write(Level level, std::string_view message) {
  std::lock_guard lock(g_mu);
  if (g_sink) {
    g_sink(level, message);
    return;
  }
  std::fprintf(stderr, "ferry[%s] %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace ferry::log
