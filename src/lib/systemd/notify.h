// sd_notify and the watchdog, the only code that calls sd_*. Every function
// is harmless when the process was not started by systemd (NOTIFY_SOCKET and
// WATCHDOG_USEC unset): it does nothing and reports so.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ferry::lib::systemd {

// Sends one state string ("READY=1", "STATUS=...", "WATCHDOG=1",
// "STOPPING=1") to the service manager. Returns false when there is no
// service manager to tell (or sending failed). Thread-safe.
bool Notify(std::string_view state);

// The watchdog interval the service manager expects pings within
// (WATCHDOG_USEC for this process), or nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> WatchdogInterval();

}  // namespace ferry::lib::systemd
