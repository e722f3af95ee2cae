// The request of a job for one URL: its custom headers, proxy settings,
// TLS settings (security flags, the service's ca_file), connect and
// no-progress timeouts — what every HTTP request made for a job carries,
// whoever makes it (Attempt, a .torrent download, a torrent's web seeds).
#pragma once

#include <string>

#include "core/byte_source.h"
#include "core/fetch.h"

namespace ferry::core {

// No range, no validator: the caller sets those.
ByteRequest JobRequest(FetchHost& host, std::string url);

}  // namespace ferry::core
