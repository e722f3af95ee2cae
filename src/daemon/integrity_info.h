// DO's IntegrityCheckInfo property (do-download.md §2): ferry accepts the
// JSON object {"Sha256": "<64 hex digits>"} and returns the lowercase hex;
// anything else (not JSON, another shape, a bad digest) is E_INVALIDARG.
// A content id (p2p.md) is accepted once peers exist.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace ferry::daemon {

Result<std::string> ParseIntegrityCheckInfo(std::string_view json);

}  // namespace ferry::daemon
