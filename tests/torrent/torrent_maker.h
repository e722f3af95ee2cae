// Test helpers that make .torrent files with libtorrent's create_torrent (the
// tests' own use of libtorrent; ferry itself reaches it only through
// lib/torrent's module).
#pragma once

#include <cstdint>
#include <string>

namespace ferry::test {

enum class TorrentKind { kV1, kHybrid };

// The bencoded .torrent of the file or directory at `path` (its name in the
// torrent is the last path component), with pieces of `piece_size` bytes.
// Empty on error.
std::string MakeTorrent(const std::string& path, TorrentKind kind, int piece_size);

// A magnet link for `torrent` (v1 and, for a hybrid, v2 info-hashes), with
// no trackers.
std::string MagnetOf(const std::string& torrent);

// The per-torrent download limit recorded in resume data (-1 or 0: none;
// -2 when the data does not parse).
int DownloadLimitOf(const std::string& resume_data);

// Flips one byte (at offset 100 of each piece) in every `piece`-byte piece of
// the `size`-byte file at `path`: a seeder that checked the file serves other
// bytes from then on. False on an I/O error.
bool CorruptEveryPiece(const std::string& path, uint64_t size, uint64_t piece);

}  // namespace ferry::test
