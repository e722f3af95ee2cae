#include "transfer/p2p/cache_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/status_codes.h"

namespace ferry::transfer {
namespace {

// One chunk: copy_file_range, else (EXDEV on old kernels, EINVAL) read/write.
ssize_t CopyChunk(int in, int out, off_t* off, size_t want) {
  off_t out_off = *off;
  ssize_t n = ::copy_file_range(in, off, out, &out_off, want, 0);
  if (n >= 0 || (errno != EXDEV && errno != EINVAL && errno != ENOSYS)) return n;
  std::vector<char> buf(want < (1u << 20) ? want : (1u << 20));
  n = ::pread(in, buf.data(), buf.size(), *off);
  if (n <= 0) return n;
  ssize_t w = ::pwrite(out, buf.data(), static_cast<size_t>(n), *off);
  if (w > 0) *off += w;
  return w;
}

}  // namespace

Status CopyIntoStaging(const std::string& from, const std::string& to, uint64_t size) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoStatus(errno, "open " + from);
  int out = ::open(to.c_str(), O_WRONLY | O_CLOEXEC);
  if (out < 0) {
    int err = errno;
    ::close(in);
    return ErrnoStatus(err, "open " + to);
  }
  Status s;
  off_t off = 0;
  while (s.ok() && static_cast<uint64_t>(off) < size) {
    uint64_t left = size - static_cast<uint64_t>(off);
    ssize_t n = CopyChunk(in, out, &off, left < (64u << 20) ? left : (64u << 20));
    if (n == 0) s = ErrnoStatus(EIO, "the cached copy " + from + " is short");
    if (n < 0 && errno != EINTR) s = ErrnoStatus(errno, "copy " + from + " -> " + to);
  }
  if (s.ok() && ::fdatasync(out) != 0) s = ErrnoStatus(errno, "fdatasync " + to);
  ::close(in);
  ::close(out);
  return s;
}

}  // namespace ferry::transfer
