// The real Linux FileSystem. Every call is a direct system call; nothing is
// cached except the boot id, which cannot change while the process lives.
#include "sys/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <vector>

#include "sys/posix_file.h"
#include "util/status_codes.h"

namespace ferry::sys {
namespace {

constexpr size_t kCopyChunk = 1 << 20;  // 1 MiB

std::string Op(const char* op, const std::string& path) { return std::string(op) + " " + path; }

int OpenFlags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kRead:
      return O_RDONLY;
    case OpenMode::kReadWrite:
      return O_RDWR | O_CREAT;
    case OpenMode::kCreateNew:
      return O_RDWR | O_CREAT | O_EXCL;
    case OpenMode::kTruncate:
      return O_RDWR | O_CREAT | O_TRUNC;
  }
  return O_RDONLY;
}

// Copies through the virtual interface: works for any File (test wrappers
// included) and is the fallback when copy_file_range cannot be used.
Status CopyByReadWrite(File& from, File& to, uint64_t start, uint64_t length) {
  std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(kCopyChunk, length - start)));
  uint64_t done = start;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    Result<size_t> got = from.Read(done, std::span<std::byte>(buf.data(), want));
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return Status(CodeFromErrno(EIO), "copy: source ended at byte " + std::to_string(done) +
                                            " of " + std::to_string(length));
    }
    Status st = to.Write(done, std::span<const std::byte>(buf.data(), *got));
    if (!st.ok()) return st;
    done += *got;
  }
  return Status::OK();
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    int fd;
    do {
      fd = ::open(path.c_str(), OpenFlags(mode) | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, Op("open", path));
    return std::unique_ptr<File>(new PosixFile(fd, path));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus(errno, "rename " + from + " -> " + to);
    return Status::OK();
  }

  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus(errno, "link " + from + " -> " + to);
    return Status::OK();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return ErrnoStatus(errno, Op("unlink", path));
    return Status::OK();
  }

  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, Op("rmdir", path));
    return Status::OK();
  }

  Status CreateDirs(const std::string& path, uint32_t mode = 0700) override {
    if (path.empty()) return ErrnoStatus(ENOENT, "mkdir (empty path)");
    // Walk every prefix ending before a '/' and then the whole path.
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      if (path[pos - 1] == '/') continue;  // "//" or a trailing slash
      std::string prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) continue;
      int err = errno;
      if (err != EEXIST) return ErrnoStatus(err, Op("mkdir", prefix));
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return ErrnoStatus(errno, Op("stat", prefix));
      if (!S_ISDIR(st.st_mode)) return ErrnoStatus(ENOTDIR, Op("mkdir", prefix));
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, Op("open directory", path));
    Status st;
    // EINVAL: the file system cannot sync directories (some FUSE ones); there
    // is nothing more we could do to make the entry durable.
    if (::fsync(fd) != 0 && errno != EINVAL) st = ErrnoStatus(errno, Op("fsync directory", path));
    ::close(fd);
    return st;
  }

  Result<FileStatus> Stat(const std::string& path) override {
    struct stat st;
    FileStatus out;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return out;
      return ErrnoStatus(errno, Op("stat", path));
    }
    out.exists = true;
    out.is_directory = S_ISDIR(st.st_mode);
    out.size = static_cast<uint64_t>(st.st_size);
    out.device = static_cast<uint64_t>(st.st_dev);
    return out;
  }

  Status CheckWritableDir(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, Op("stat", path));
    if (!S_ISDIR(st.st_mode)) return ErrnoStatus(ENOTDIR, Op("check directory", path));
    if (::access(path.c_str(), W_OK | X_OK) != 0) return ErrnoStatus(errno, Op("access", path));
    return Status::OK();
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, Op("opendir", path));
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        int err = errno;
        ::closedir(dir);
        if (err != 0) return ErrnoStatus(err, Op("readdir", path));
        break;
      }
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Status Copy(File& from, File& to, uint64_t length) override {
    auto* src = dynamic_cast<PosixFile*>(&from);
    auto* dst = dynamic_cast<PosixFile*>(&to);
    if (src == nullptr || dst == nullptr) return CopyByReadWrite(from, to, 0, length);
    loff_t in_off = 0;
    loff_t out_off = 0;
    uint64_t done = 0;
    while (done < length) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, 1u << 30));
      ssize_t n = ::copy_file_range(src->fd(), &in_off, dst->fd(), &out_off, want, 0);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        // Kernels before 5.3 refuse cross-device copies (EXDEV); some file
        // systems and seccomp filters do not offer the call at all.
        if (err == EXDEV || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL || err == EPERM)
          return CopyByReadWrite(from, to, done, length);
        return ErrnoStatus(err, "copy_file_range " + src->path() + " -> " + dst->path());
      }
      if (n == 0) {
        // Either the source is short or the file system (procfs-like) reports
        // nothing; the read/write path tells the two apart.
        return CopyByReadWrite(from, to, done, length);
      }
      done += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  std::string BootId() override {
    static const std::string id = [] {
      std::ifstream in("/proc/sys/kernel/random/boot_id");
      std::string s;
      std::getline(in, s);
      auto not_space = [](unsigned char c) { return !std::isspace(c); };
      s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
      s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
      return s;
    }();
    return id;
  }
};

}  // namespace

FileSystem* DefaultFileSystem() {
  static FileSystem* const fs = new PosixFileSystem();
  return fs;
}

std::unique_ptr<File> AdoptFd(int fd, std::string name) {
  return std::make_unique<PosixFile>(fd, std::move(name));
}

}  // namespace ferry::sys
