// ferryd as a program: the engine host, the D-Bus service on its loop,
// signals (signalfd on the loop), sd_notify READY/STATUS/WATCHDOG. main.cc
// only parses the command line and calls Run().
#pragma once

#include <optional>
#include <string>

#include "daemon/options.h"
#include "daemon/settings.h"

namespace ferry::daemon {

// Runs until SIGTERM/SIGINT (exit code 0) or until the bus connection is
// lost (1). Startup failures (store, bus name) print a message naming what
// failed on stderr and return 1.
int Run(const Options& options, const Settings& settings);

// Where to read NetworkManager and UPower (--conditions-bus, else the
// setting conditions_bus, else "system"): nullopt for "none", "" for the
// system bus, else an address ("service": --bus-address when given, else the
// system bus).
std::optional<std::string> ConditionsBus(const Options& options, const Settings& settings);

}  // namespace ferry::daemon
