#include "sys/file_clone.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/status_codes.h"

namespace ferry::sys {
namespace {

Status Errno(const char* what, const std::string& path) {
  return ErrnoStatus(errno, std::string(what) + " " + path);
}

// copy_file_range from offset 0; false (errno set) when the kernel or file
// systems cannot (EXDEV before 5.3, ENOSYS, EINVAL, EOPNOTSUPP) and nothing
// was copied yet.
bool CopyRange(int src, int dst, uint64_t size, bool* started) {
  loff_t in = 0, out = 0;
  while (static_cast<uint64_t>(in) < size) {
    ssize_t n = ::copy_file_range(src, &in, dst, &out, size - static_cast<uint64_t>(in), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // the source is shorter than `size`
      return false;
    }
    *started = true;
  }
  return true;
}

bool ReadWrite(int src, int dst, uint64_t size) {
  std::vector<char> buf(1 << 20);
  uint64_t off = 0;
  while (off < size) {
    ssize_t n = ::pread(src, buf.data(), std::min<uint64_t>(buf.size(), size - off),
                        static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::pwrite(dst, buf.data() + done, static_cast<size_t>(n - done),
                           static_cast<off_t>(off + static_cast<uint64_t>(done)));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return false;
      done += w;
    }
    off += static_cast<uint64_t>(n);
  }
  return true;
}

Result<CopyMethod> Copy(int src, int dst, uint64_t size, const std::string& path) {
  if (::ioctl(dst, FICLONE, src) == 0) return CopyMethod::kReflink;
  bool started = false;
  if (CopyRange(src, dst, size, &started)) return CopyMethod::kCopyFileRange;
  if (started || (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP))
    return Errno("copy_file_range into", path);
  if (::ftruncate(dst, 0) != 0) return Errno("truncate", path);
  if (!ReadWrite(src, dst, size)) return Errno("copy into", path);
  return CopyMethod::kReadWrite;
}

}  // namespace

const char* CopyMethodName(CopyMethod method) {
  switch (method) {
    case CopyMethod::kReflink:
      return "reflink";
    case CopyMethod::kCopyFileRange:
      return "copy_file_range";
    case CopyMethod::kReadWrite:
      return "read/write";
  }
  return "?";
}

Result<CopyMethod> CloneOrCopyFile(int src_fd, uint64_t size, const std::string& dst,
                                   mode_t mode) {
  int fd = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Errno("create", dst);
  Result<CopyMethod> method = Copy(src_fd, fd, size, dst);
  Status synced = method.ok() && ::fdatasync(fd) != 0 ? Errno("fdatasync", dst) : Status::OK();
  ::close(fd);
  if (!method.ok() || !synced.ok()) {
    ::unlink(dst.c_str());
    return method.ok() ? Result<CopyMethod>(synced) : method;
  }
  return method;
}

SharedFd ShareFd(int fd) {
  return SharedFd(new int(fd), [](const int* p) {
    if (*p >= 0) ::close(*p);
    delete p;
  });
}

}  // namespace ferry::sys
