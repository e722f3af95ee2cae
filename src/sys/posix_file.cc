#include "sys/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/status_codes.h"

namespace ferry::sys {
namespace {

std::string Op(const char* op, const std::string& path) { return std::string(op) + " " + path; }

}  // namespace

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);  // the fd is gone whatever close() says (EINTR included)
}

Status PosixFile::Write(uint64_t offset, std::span<const std::byte> data) {
  const std::byte* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, Op("pwrite", path_));
    }
    if (n == 0) return ErrnoStatus(EIO, Op("pwrite (wrote nothing)", path_));
    p += n;
    left -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<size_t> PosixFile::Read(uint64_t offset, std::span<std::byte> out) {
  for (;;) {
    ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, Op("pread", path_));
  }
}

Status PosixFile::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, Op("fdatasync", path_));
  return Status::OK();
}

Status PosixFile::Preallocate(uint64_t offset, uint64_t length) {
  if (length == 0) return Status::OK();
  for (;;) {
    if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(length)) == 0)
      return Status::OK();
    int err = errno;
    if (err == EINTR) continue;
    // tmpfs before 3.5, some FUSE and network file systems: reserving space
    // is an optimisation, writing will still work (or fail with ENOSPC).
    if (err == EOPNOTSUPP || err == ENOSYS) return Status::OK();
    return ErrnoStatus(err, Op("fallocate", path_));
  }
}

Status PosixFile::SetMode(uint32_t mode) {
  if (::fchmod(fd_, static_cast<mode_t>(mode)) != 0) return ErrnoStatus(errno, "fchmod " + path_);
  return Status::OK();
}

Status PosixFile::Truncate(uint64_t size) {
  for (;;) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) == 0) return Status::OK();
    if (errno != EINTR) return ErrnoStatus(errno, Op("ftruncate", path_));
  }
}

Result<uint64_t> PosixFile::Size() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, Op("fstat", path_));
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace ferry::sys
