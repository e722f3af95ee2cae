// Content ids (docs/content-id.md): a printable name of a file's bytes that
// lets any host verify them: the BitTorrent v2 pieces root (BEP 52) and the
// size, with a checksum so that a mistyped id is refused where it is given.
//
//   cid1-<size>-<root>-<check>
//
// <size> decimal bytes without leading zeros; <root> 64 lowercase hex digits
// (all zeros exactly when the size is 0); <check> the CRC-32 (IEEE) of the
// text before its '-', 8 lowercase hex digits. Nothing else is accepted: no
// case folding, no spaces, no other version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace ferry {

struct ContentId {
  uint64_t size = 0;
  std::string root;  // 64 lowercase hex digits

  bool operator==(const ContentId&) const = default;
};

// The id's text (canonical: parsing it gives `id` back). `id` must be valid
// (a root of 64 lowercase hex digits, zero exactly when size is 0).
std::string FormatContentId(const ContentId& id);

// Parses an id; E_INVALIDARG with a message naming the problem otherwise.
Result<ContentId> ParseContentId(std::string_view text);

// The torrent ferry derives from an id (docs/content-id.md, "The torrent of
// an id"); both values are part of its info-hash and never change.
// Its piece length: size/1024 rounded up to a power of two, at least 64 KiB
// and at most 4 MiB (about 1,024 pieces up to 4 GiB).
uint32_t ContentPieceLength(uint64_t size);
// Its name (and its one file's): "ferry-" and the root.
std::string ContentTorrentName(std::string_view root);

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `text`.
uint32_t Crc32(std::string_view text);

}  // namespace ferry
