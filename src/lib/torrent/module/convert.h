// Conversions between ferry's torrent types (lib/torrent/session.h) and
// libtorrent's, for the module only.
#pragma once

#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/torrent/session.h"

namespace ferry::torrent {

// The session's settings: ferry's choices (no auto-management, LSD on, the
// alerts ferry handles) plus `settings`.
lt::settings_pack ToSettingsPack(const SessionSettings& settings);

// Updates `out` from libtorrent's status (fields not queried keep their value).
void CopyStatus(const lt::torrent_status& in, TorrentStatus* out);

// The files of `info` without pad files.
std::vector<FileEntry> ListFiles(const lt::torrent_info& info);

// The index of the file at `path` (with or without the torrent's top
// directory); -1 when there is none.
int FindFile(const lt::torrent_info& info, const std::string& path);

// Lowercase hex digits of `size` bytes.
std::string HexOf(const char* data, size_t size);

// Payload bytes of block `block` of piece `piece` (pad bytes excluded).
uint64_t BlockPayload(const lt::torrent_info& info, int piece, int block);

// Web seeds (BEP 19) by host and port, as their blocks' endpoints show them.
using WebSeeds = std::vector<std::pair<std::string, uint16_t>>;
// Adds the host and port of web seed `url` (http 80, https 443 unless it
// says); a URL that does not parse is left out.
void AddWebSeed(WebSeeds* seeds, const std::string& url);
// Whether a block from `address`:`port` came from a web seed: a seed on
// that port whose host is that address, or a host name (not resolved here:
// a BitTorrent peer listening on a web seed's port, 80 or 443 mostly, would
// be taken for it).
bool IsWebSeed(const WebSeeds& seeds, const std::string& address, uint16_t port);

}  // namespace ferry::torrent
