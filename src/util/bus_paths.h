// The D-Bus object paths of jobs, shared by the service (which exports them)
// and the SDK (which calls them): "/org/ferry/Ferry1/job/<32 lowercase hex>".
#pragma once

#include <string>
#include <string_view>

#include "ferry/types.h"

namespace ferry {

inline constexpr std::string_view kJobPathPrefix = "/org/ferry/Ferry1/job/";

// The job's object path for an id.
std::string JobPath(const Guid& id);
// The id of a job path; false (and *id untouched) for any other path,
// including the prefix alone or a suffix that is not exactly 32 hex digits.
bool JobIdFromPath(std::string_view path, Guid* id);

}  // namespace ferry
