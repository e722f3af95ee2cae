// StagedPieces: what a torrent restarted from resume data can take back from
// its file without fetching it again.
//
// Resume data is saved at checkpoints (the staging file synced first), so
// after a kill -9 the file holds pieces verified since the last one, which
// the data does not name; fetched again they cost what the checkpoint
// interval let through (bench scenario 7 "kill"). The module hands the
// blocks of those pieces that are in the file (not in a hole) to libtorrent
// as unfinished pieces, and libtorrent hashes each piece before it counts: a
// whole piece at once; a partial one once peers sent the rest. A piece that
// lost bytes (a write cut short) fails its check and is fetched again. (After
// a reboot that dropped page cache the lost bytes are holes: ext4 keeps
// unwritten extents as such, and a preallocated staging file reads as holes
// where nothing was written.)
//
// For a torrent of one file (its pieces are the file's bytes, from 0).
// Plain POSIX, no libtorrent type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ferry::torrent {

// The byte ranges [begin, end) of `path` that hold data, from lseek(2)
// SEEK_DATA/SEEK_HOLE (a file system without them reports the whole file).
// Empty when the file cannot be opened.
std::vector<std::pair<uint64_t, uint64_t>> DataRanges(const std::string& path);

// The pieces that `have` does not list with the blocks (of `block_size`
// bytes, the last one of the file shorter) whose bytes all lie in one range
// of `data` (sorted, not overlapping), for a file of `file_size` bytes in
// pieces of `piece_length` (a multiple of block_size): piece -> one flag per
// block of the piece. Pieces with no such block are left out. Pure.
std::map<int, std::vector<bool>> BlocksInRanges(
    const std::vector<std::pair<uint64_t, uint64_t>>& data, uint64_t piece_length,
    uint64_t block_size, uint64_t file_size, const std::vector<bool>& have);

}  // namespace ferry::torrent
