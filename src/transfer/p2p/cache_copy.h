// A content id's bytes from the host's own seeding cache (docs/peering.md
// "From the host's own cache"): a second fetch of content the cache holds
// copies the cached file into the new file's staging, then adds the content
// torrent as usual; libtorrent checks what staging holds against the id's
// root and keeps the pieces that pass, so nothing unverified is used and a
// short or damaged copy only means the rest comes from peers or the origin.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/status.h"

namespace ferry::transfer {

// Writes the first `size` bytes of the file at `from` into the existing file
// at `to` from offset 0 (sys::FileSystem::Copy: copy_file_range, else
// read/write) and syncs it.
// Blocking: call it on a worker.
Status CopyIntoStaging(const std::string& from, const std::string& to, uint64_t size);

}  // namespace ferry::transfer
