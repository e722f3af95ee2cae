// ferryd's logging: util/log.h's sink forwarded to spdlog, which writes to
// stderr (the journal under systemd).
#pragma once

#include <string_view>

#include "util/log.h"

namespace ferry::daemon {

// "trace".."off"; false for an unknown name.
bool ParseLogLevel(std::string_view name, log::Level* level);
// Installs the spdlog sink and sets the level. Call once, before threads.
void SetUpLogging(log::Level level);

}  // namespace ferry::daemon
