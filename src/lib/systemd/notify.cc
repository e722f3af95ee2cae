#include "lib/systemd/notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace ferry::lib::systemd {

bool Notify(std::string_view state) {
  std::string s(state);
  // unset_environment = 0: the state is sent many times (STATUS, WATCHDOG).
  return sd_notify(0, s.c_str()) > 0;
}

std::optional<std::chrono::microseconds> WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace ferry::lib::systemd
