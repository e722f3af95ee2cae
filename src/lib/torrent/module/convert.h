// Conversions between ferry's torrent types (lib/torrent/session.h) and
// libtorrent's, for the module only.
#pragma once

#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <optional>
#include <string>

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

}  // namespace ferry::torrent
