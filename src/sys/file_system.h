// The file-system seam (leveldb's Env/EnvWrapper): every file operation of
// the payload store goes through a FileSystem, so that tests can fail the Nth
// operation or drop every byte that was not fsynced.
//
// Errors come back as Status with the code mapped from errno (ENOSPC ->
// 0x80070070 ERROR_DISK_FULL, see util/status_codes.h). Implementations are
// thread-safe; a File may be used from several threads for distinct ranges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace ferry::sys {

class File {
 public:
  virtual ~File() = default;  // closes
  // Writes all of `data` at `offset` (pwrite loop). A short write is an error.
  virtual Status Write(uint64_t offset, std::span<const std::byte> data) = 0;
  // Reads up to out.size() bytes at `offset`; returns the count (0 at EOF).
  virtual Result<size_t> Read(uint64_t offset, std::span<std::byte> out) = 0;
  // fdatasync: everything written so far is durable when this returns OK.
  virtual Status Sync() = 0;
  // fallocate(FALLOC_FL_KEEP_SIZE): reserves blocks without changing the
  // size, so Size() keeps tracking what was really written. A file system
  // without fallocate is not an error.
  virtual Status Preallocate(uint64_t offset, uint64_t length) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  // fchmod(2). Wrappers that do not forward it succeed without effect.
  virtual Status SetMode(uint32_t mode) { return Status::OK(); }
  virtual Result<uint64_t> Size() = 0;
};

enum class OpenMode {
  kRead,           // existing file, read-only
  kReadWrite,      // create if missing (0600), keep contents
  kCreateNew,      // create, fail with ERROR_FILE_EXISTS if present (O_EXCL)
  kTruncate,       // create or truncate to 0
};

struct FileStatus {
  bool exists = false;
  bool is_directory = false;
  uint64_t size = 0;
  uint64_t device = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // rename(2): atomic replace of `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // link(2): a second name for `from` (same file system). EXDEV, EPERM or
  // EOPNOTSUPP when the file system cannot.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  // unlink(2); a missing file is OK.
  virtual Status Remove(const std::string& path) = 0;
  // rmdir(2) of an empty directory; a missing one is OK.
  virtual Status RemoveDir(const std::string& path) = 0;
  // mkdir -p; created components get `mode` (less the umask).
  virtual Status CreateDirs(const std::string& path, uint32_t mode = 0700) = 0;
  // fsync of a directory (after rename/create/unlink in it).
  virtual Status SyncDir(const std::string& path) = 0;
  // stat(2); a missing path is OK with exists=false.
  virtual Result<FileStatus> Stat(const std::string& path) = 0;
  // access(W_OK|X_OK) on a directory.
  virtual Status CheckWritableDir(const std::string& path) = 0;
  // Names (not paths) in a directory, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Copies `length` bytes from the start of `from` to the start of `to`
  // (copy_file_range, falling back to read/write). Does not sync.
  virtual Status Copy(File& from, File& to, uint64_t length) = 0;
  // /proc/sys/kernel/random/boot_id (changes at every boot).
  virtual std::string BootId() = 0;
};

// The real Linux file system. Never null; lives forever.
FileSystem* DefaultFileSystem();

// A File on an already open descriptor (e.g. one received over D-Bus); takes
// ownership of `fd`. `name` is used in error messages.
std::unique_ptr<File> AdoptFd(int fd, std::string name);

// Forwards every call to a target; tests override the methods they need.
class FileSystemWrapper : public FileSystem {
 public:
  explicit FileSystemWrapper(FileSystem* target) : target_(target) {}
  FileSystem* target() const { return target_; }
  Result<std::unique_ptr<File>> Open(const std::string& p, OpenMode m) override { return target_->Open(p, m); }
  Status Rename(const std::string& f, const std::string& t) override { return target_->Rename(f, t); }
  Status Link(const std::string& f, const std::string& t) override { return target_->Link(f, t); }
  Status Remove(const std::string& p) override { return target_->Remove(p); }
  Status RemoveDir(const std::string& p) override { return target_->RemoveDir(p); }
  Status CreateDirs(const std::string& p, uint32_t mode = 0700) override {
    return target_->CreateDirs(p, mode);
  }
  Status SyncDir(const std::string& p) override { return target_->SyncDir(p); }
  Result<FileStatus> Stat(const std::string& p) override { return target_->Stat(p); }
  Status CheckWritableDir(const std::string& p) override { return target_->CheckWritableDir(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override { return target_->ListDir(p); }
  Status Copy(File& f, File& t, uint64_t n) override { return target_->Copy(f, t, n); }
  std::string BootId() override { return target_->BootId(); }

 private:
  FileSystem* target_;
};

}  // namespace ferry::sys
