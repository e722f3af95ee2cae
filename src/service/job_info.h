// A job as the a{sv} of GetInfo and ListJobs: snake_case keys matching the
// CLI's JSON (api.md §3). docs/dbus-api.md lists every key and its type.
#pragma once

#include <sdbus-c++/Message.h>
#include <sdbus-c++/Types.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/engine.h"

namespace ferry::service {

using VariantMap = std::map<std::string, sdbus::Variant>;

VariantMap JobInfo(const core::JobSnapshot& snapshot);
// The same dictionary written straight into `msg` as one "a{sv}" (no
// sdbus::Variant: each of those is an sd-bus message of its own, which made
// ListJobs of 10,000 jobs cost ~1 s of CPU and ~250 MiB).
void AppendJobInfo(sdbus::Message& msg, const core::JobSnapshot& snapshot);
// The user name of a uid, or the uid in decimal when it has none.
std::string UserName(uint32_t uid);
// Nanoseconds since the Unix epoch (0 for the epoch itself).
uint64_t ToNanos(std::chrono::system_clock::time_point t);

}  // namespace ferry::service
