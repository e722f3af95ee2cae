#include "daemon/options.h"

#include <cstdlib>

namespace ferry::daemon {

std::string UsageText() {
  return "Usage: ferryd (--user | --system) [options]\n"
         "\n"
         "ferry's background transfer service (BITS / Delivery Optimization for Linux).\n"
         "\n"
         "  --user               serve the session bus; state in $XDG_STATE_HOME/ferry (default)\n"
         "  --system             serve the system bus; state in /var/lib/ferry\n"
         "  --bus-address ADDR   connect to this D-Bus address instead of the mode's bus\n"
         "  --state-dir DIR      keep the job database and staging files in DIR\n"
         "  --cache-dir DIR      keep the seeding cache in DIR (default: the mode's cache\n"
         "                       directory, or DIR/cache of --state-dir)\n"
         "  --config FILE        read settings from a JSON file (see docs/configuration.md)\n"
         "  --log-level LEVEL    trace, debug, info, warn, error or off (default info)\n"
         "  --conditions-bus BUS where to read NetworkManager and UPower: system (default),\n"
         "                       none, service (the --bus-address bus) or a D-Bus address\n"
         "  --version            print the version and exit\n"
         "  --help               print this text and exit\n";
}

Status ParseOptions(const std::vector<std::string>& args, Options* o) {
  auto need_value = [&](size_t& i, const std::string& name, std::string* out) -> Status {
    if (i + 1 >= args.size()) return Status(code::kInvalidArg, name + " needs a value");
    *out = args[++i];
    if (out->empty()) return Status(code::kInvalidArg, name + " needs a non-empty value");
    return Status::OK();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      if (value.empty()) return Status(code::kInvalidArg, a + " needs a non-empty value");
    }
    auto take = [&](std::string* out) -> Status {
      if (!value.empty()) {
        *out = value;
        return Status::OK();
      }
      return need_value(i, a, out);
    };
    Status s;
    if (a == "--user" || a == "--system") {
      auto m = a == "--user" ? Options::Mode::kUser : Options::Mode::kSystem;
      if (o->mode_given && o->mode != m)
        return Status(code::kInvalidArg, "--user and --system exclude each other");
      o->mode = m;
      o->mode_given = true;
    } else if (a == "--bus-address") {
      s = take(&o->bus_address);
    } else if (a == "--state-dir") {
      s = take(&o->state_dir);
    } else if (a == "--config") {
      s = take(&o->config_file);
    } else if (a == "--log-level") {
      s = take(&o->log_level);
    } else if (a == "--cache-dir") {
      s = take(&o->cache_dir);
    } else if (a == "--conditions-bus") {
      s = take(&o->conditions_bus);
    } else if (a == "--help" || a == "-h") {
      o->show_help = true;
    } else if (a == "--version") {
      o->show_version = true;
    } else {
      return Status(code::kInvalidArg, "unknown option " + args[i]);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ResolveDirectories(Options* o) {
  // A state directory given on the command line keeps the cache with it
  // (tests, several ferryds on one machine) unless --cache-dir says where.
  const bool state_given = !o->state_dir.empty();
  if (o->mode == Options::Mode::kSystem) {
    if (o->state_dir.empty()) o->state_dir = "/var/lib/ferry";
    if (o->cache_dir.empty()) o->cache_dir = state_given ? o->state_dir + "/cache" : "/var/cache/ferry";
  } else {
    const char* home = std::getenv("HOME");
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* cache = std::getenv("XDG_CACHE_HOME");
    auto dir = [&](const char* xdg, const char* fallback) -> std::string {
      if (xdg && xdg[0] == '/') return std::string(xdg) + "/ferry";
      if (home && home[0] == '/') return std::string(home) + fallback + "/ferry";
      return {};
    };
    if (o->state_dir.empty()) o->state_dir = dir(state, "/.local/state");
    if (o->cache_dir.empty())
      o->cache_dir = state_given ? o->state_dir + "/cache" : dir(cache, "/.cache");
    if (o->state_dir.empty())
      return Status(code::kInvalidArg, "neither XDG_STATE_HOME nor HOME is set: give --state-dir");
  }
  char* cwd = ::realpath(".", nullptr);
  for (std::string* dir : {&o->state_dir, &o->cache_dir})
    if (cwd && !dir->empty() && (*dir)[0] != '/') *dir = std::string(cwd) + "/" + *dir;
  std::free(cwd);
  return Status::OK();
}

}  // namespace ferry::daemon
