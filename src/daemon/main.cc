// ferryd: parses the command line and the configuration file, then runs the
// service (daemon/ferryd.cc). docs/configuration.md documents both.
#include <cstdio>
#include <string>
#include <vector>

#include "daemon/ferryd.h"
#include "daemon/logging.h"
#include "daemon/options.h"
#include "daemon/settings.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  using namespace ferry::daemon;
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (ferry::Status s = ParseOptions(args, &options); !s.ok()) {
    std::fprintf(stderr, "ferryd: %s\n\n%s", s.message().c_str(), UsageText().c_str());
    return 2;
  }
  if (options.show_help) {
    std::fputs(UsageText().c_str(), stdout);
    return 0;
  }
  if (options.show_version) {
    std::printf("ferryd %s\n", FERRY_VERSION);
    return 0;
  }
  Settings settings;
  if (!options.config_file.empty()) {
    if (ferry::Status s = LoadSettings(options.config_file, &settings); !s.ok()) {
      std::fprintf(stderr, "ferryd: %s\n", s.message().c_str());
      return 1;
    }
  }
  if (!options.log_level.empty()) settings.log_level = options.log_level;
  ferry::log::Level level;
  if (!ParseLogLevel(settings.log_level, &level)) {
    std::fprintf(stderr,
                 "ferryd: unknown log level \"%s\" (trace, debug, info, warn, error, off)\n",
                 settings.log_level.c_str());
    return 2;
  }
  SetUpLogging(level);
  if (ferry::Status s = ResolveDirectories(&options); !s.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", s.message().c_str());
    return 2;
  }
  return Run(options, settings);
}
