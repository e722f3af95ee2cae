// Copying a file's bytes into a new file the cheapest way the file system
// allows: a reflink (FICLONE: shared extents, no bytes copied, on btrfs, XFS
// with reflink, bcachefs…), else copy_file_range (in-kernel, server-side on
// NFS 4.2), else read/write. Blocking: call it on a worker.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "util/result.h"

namespace ferry::sys {

enum class CopyMethod { kReflink, kCopyFileRange, kReadWrite };
const char* CopyMethodName(CopyMethod method);

// Creates `dst` (O_EXCL, `mode`) with the `size` bytes of `src_fd` from
// offset 0 (the descriptor's own offset is not used), fdatasyncs it and
// closes it. On an error `dst` is removed.
Result<CopyMethod> CloneOrCopyFile(int src_fd, uint64_t size, const std::string& dst, mode_t mode);

// A descriptor shared by closures (worker and loop); closed with the last copy.
using SharedFd = std::shared_ptr<const int>;
SharedFd ShareFd(int fd);  // fd < 0: a SharedFd holding -1

}  // namespace ferry::sys
