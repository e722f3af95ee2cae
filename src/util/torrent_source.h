// Remote names that are torrents (issue 12 §3, docs/p2p.md "Torrents and
// magnets as sources"): a magnet link, an http(s) URL of a .torrent file, or
// a local .torrent file (file://). Any of them may end in
// "#file=PATH-IN-TORRENT" to choose one file of the torrent. Pure parsing,
// shared by the engine (which backend), the service (argument checks) and
// transfer/p2p (what to add).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

enum class TorrentSourceKind {
  kNone,         // not a torrent: an ordinary http, https or file URL
  kMagnet,       // magnet:?xt=urn:btih:... and/or xt=urn:btmh:...
  kTorrentUrl,   // http(s)://.../NAME.torrent
  kTorrentFile,  // file:///.../NAME.torrent
};

struct TorrentSource {
  TorrentSourceKind kind = TorrentSourceKind::kNone;
  // The remote name without the "#file=" fragment (for a file URL, the
  // percent-decoded path instead).
  std::string location;
  // The chosen file's path in the torrent (percent-decoded), if any.
  std::optional<std::string> file;
};

// Classifies a remote name by its scheme and its path's suffix (".torrent",
// case-insensitive, before any query or fragment). Does not validate: see
// ValidateMagnet and ValidateRemoteUrl.
TorrentSource ParseTorrentSource(std::string_view remote_name);

// True when ParseTorrentSource(remote_name).kind is not kNone.
bool IsTorrentSource(std::string_view remote_name);

// ParseTorrentSource for a file saved as `local_name`: a .torrent URL or
// file:// path (without "#file=") saved under a name that ends in ".torrent"
// as well is the .torrent file itself, an ordinary download (kNone), as
// `curl -O` or `wget` would fetch it; saved under any other name (or a
// directory) it is the torrent's content. docs/p2p.md "Torrents and magnets
// as sources".
TorrentSource ParseTorrentSourceFor(std::string_view remote_name, std::string_view local_name);

// `remote_name` (a torrent source) choosing the file `path`: any "#file="
// fragment replaced by one naming `path`, percent-encoded except for
// unreserved characters and '/', so that ParseTorrentSource gives it back.
std::string WithChosenFile(std::string_view remote_name, std::string_view path);

// The directory a torrent's file is saved below, ending in '/': when
// `remote_name` is a torrent source choosing a file ("#file=PATH") and
// `local_name` ends in "/PATH", `local_name` without PATH; else "". Delivery
// creates the missing directories between it and the file (a torrent of
// several files saved to a directory, docs/p2p.md).
std::string TorrentSaveDirectory(std::string_view remote_name, std::string_view local_name);

// E_INVALIDARG unless `magnet` is "magnet:?" followed by '&'-separated
// parameters with at least one exact topic that names a BitTorrent info-hash
// (xt=urn:btih: with 40 hex or 32 base32 digits, or xt=urn:btmh:1220 with 64
// hex digits), every xt being one of those, and, when there is a "#file="
// fragment, a non-empty path without "." or ".." segments.
Status ValidateMagnet(std::string_view magnet);

// E_INVALIDARG for a "#file=" fragment whose path is empty or has a "." or
// ".." segment or a NUL (any torrent remote name). OK without a fragment.
Status ValidateChosenFile(std::string_view remote_name);

}  // namespace ferry
