// The torrent of a content id (session.h ContentSpec; docs/content-id.md,
// "The torrent of an id"), built with libtorrent's bencoder, for the module
// only.
#pragma once

#include <string>

#include <libtorrent/torrent_info.hpp>

#include "lib/torrent/session.h"
#include "util/result.h"

namespace ferry::torrent {

// The .torrent bytes: {"info": <canonical info dictionary>, "announce-list":
// the trackers, when there are any}. E_INVALIDARG for a size of 0 or a root
// that is not 64 lowercase hex digits.
Result<std::string> BuildContentTorrent(const ContentSpec& spec);

// Whether `info` is a group's content torrent (its info dictionary has the
// "ferry group" key BuildContentTorrent puts there).
bool IsGroupTorrent(const lt::torrent_info& info);

}  // namespace ferry::torrent
