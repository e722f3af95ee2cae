// Content ids: a printable name of a file's bytes that lets any host verify
// them (docs/content-id.md). It carries the BitTorrent v2 pieces root (BEP
// 52: the SHA-256 merkle root of the file's 16 KiB blocks) and the size:
//
//   cid1-<size>-<64 hex pieces root>-<8 hex CRC-32 check>
//
// The format is stable; the check catches a mistyped id where it is given.
// A file with a content id is verified against it before it is delivered
// (Job files: File::SetContentId; downloads: DownloadProperty::kContentId).
//
// These functions need no service. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

// Computes the content id of the file at `path`, reading it once from the
// start (any size, an empty file included). On success writes *id. Errors:
// the file cannot be opened or read (the errno's HRESULT, e.g. 0x80070002
// for a missing file), E_INVALIDARG when `path` is not a regular file.
// The file must not change while it is read; nothing checks that it did not.
Status ContentIdOfFile(const std::string& path, std::string* id);

// S_OK when `id` is a well-formed content id, else E_INVALIDARG with a
// message naming the problem (the service answers the same for it).
Status ValidateContentId(std::string_view id);

// The v2 info-hash (64 lowercase hex digits) of the torrent hosts derive from
// content id `id` in group `group` ("": no group, as in LAN mode)
// (docs/peering.md "The torrent of an id"). BitTorrent v2 announces its first
// 20 bytes (the first 40 hex digits) to trackers: that is what a tracker's
// whitelist must list (docs/peering.md "Group mode and trackers").
// E_INVALIDARG for a malformed id or the id of an empty file (no torrent).
Status ContentInfoHash(std::string_view id, std::string_view group, std::string* info_hash);

}  // namespace ferry
