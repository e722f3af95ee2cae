// The conditions' keys of GetStatus (docs/dbus-api.md "Service status"):
// what the service sees of the machine (policy.md §3) and which jobs each
// block holds. The SDK reads the same keys (ServiceStatus).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <string>

#include "core/engine.h"

namespace ferry::service {

// Adds network_known, metered, cellular, connectivity ("unknown", "none",
// "portal", "limited", "full"), link_type, power_known, on_battery,
// battery_percent (d, -1 when unknown), schedule_limit (t, bytes/s of the
// business-hours limit in force, 0 none) and blocked_jobs (a{sas}: code
// name -> ids), listing only the jobs for which `visible` holds.
void AddConditions(const core::PolicyView& view, const std::function<bool(const Guid&)>& visible,
                   std::map<std::string, sdbus::Variant>* status);

}  // namespace ferry::service
