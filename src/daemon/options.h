// ferryd's command line (docs/configuration.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::daemon {

struct Options {
  enum class Mode { kUser, kSystem } mode = Mode::kUser;
  bool mode_given = false;
  std::string bus_address;  // --bus-address
  std::string state_dir;    // --state-dir; default from the mode
  std::string cache_dir;    // from the mode
  std::string config_file;  // --config
  std::string log_level;    // --log-level (overrides the config file)
  // --conditions-bus: where NetworkManager and UPower are read (policy.md
  // §1): "system", "none", "service" or a D-Bus address; "" not given (the
  // setting of the same name, else "system"). See ConditionsBus().
  std::string conditions_bus;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv. Errors are E_INVALIDARG with a message for stderr.
Status ParseOptions(const std::vector<std::string>& args, Options* out);
// Fills state_dir/cache_dir from the mode and the environment (XDG_STATE_HOME,
// XDG_CACHE_HOME, HOME) when --state-dir was not given.
Status ResolveDirectories(Options* options);
std::string UsageText();

}  // namespace ferry::daemon
