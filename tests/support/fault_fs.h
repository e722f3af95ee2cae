// FaultInjectionFileSystem: a sys::FileSystemWrapper that fails operations on
// demand and simulates power loss (leveldb's db/fault_injection_test.cc).
//
// (a) Failing the Nth operation. Every mutating or syncing operation counts as
// one operation, whether it succeeds or not:
//   FileSystem: Open (any mode but kRead), Rename, Link, Remove, RemoveDir,
//               CreateDirs, SyncDir, Copy
//   File:       Write, Sync, Preallocate, Truncate
// Reads, Size, Stat, ListDir, CheckWritableDir, BootId and Open(kRead) are
// not counted and never fail by injection. After FailAfter(n, err) the
// (n+1)-th counted operation and every later one fail, without touching the
// target, with ErrnoStatus(err, "injected <op>") (EIO by default; ENOSPC gives
// ERROR_DISK_FULL, a full disk). FailNth(n, err) fails only the n-th. The
// crash-consistency recipe: run a scenario once and read operation_count();
// then for N = 0..count-1 rerun it with FailAfter(N), DropUnsyncedData(),
// Reset(), reopen and check the state is valid.
//
// (b) Power loss. The wrapper remembers, per path, what is durable:
//   - A file's contents are durable as of its last File::Sync. Files that
//     existed before they were first opened through this wrapper count as
//     durable as they were then.
//   - Writes, Truncate, Copy and Open(kTruncate) after the last Sync are
//     undone by DropUnsyncedData(): the file is cut (or zero-extended) back to
//     its synced size, and the original synced bytes of every region
//     overwritten since (saved, by reading them, before each such write) are
//     written back. So in-place overwrites are handled, not only appends; the
//     cost is a copy of each overwritten synced region, kept in memory until
//     the next Sync.
//   - A file created through this wrapper that was never Synced is removed if
//     no SyncDir of its directory followed its creation, else cut to 0 bytes.
//     A created file that was Synced keeps its synced data even without a
//     SyncDir (lenient on purpose: ext4 commits the entry with the data).
//   - A Rename is undone unless a SyncDir of the target's directory followed
//     it; a file it replaced is put back (its contents are saved in memory at
//     rename time, so keep replaced files small). Pending renames are undone
//     newest first; one whose target no longer exists is skipped.
//   - Remove, RemoveDir and CreateDirs are taken as durable at once.
// Paths are compared as given (minus a trailing '/'): use one spelling per
// file, e.g. absolute paths, as the payload store does.
//
// Thread-safe, like any FileSystem. Files returned by Open must not outlive
// the wrapper. Call DropUnsyncedData() only when no File opened for writing
// through the wrapper is still open.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sys/file_system.h"

namespace ferry::test {

class FaultInjectionFileSystem : public sys::FileSystemWrapper {
 public:
  // `target` must outlive this object.
  explicit FaultInjectionFileSystem(sys::FileSystem* target);
  ~FaultInjectionFileSystem() override;

  // Operation (n+1) and all later ones fail with `err`. FailAfter(0): all.
  void FailAfter(uint64_t n, int err = EIO);
  // Only operation n (1-based) fails with `err`.
  void FailNth(uint64_t n, int err = EIO);
  // Stops injecting failures and sets operation_count() back to 0. Durability
  // tracking is unaffected.
  void Reset();
  // Counted operations attempted since construction or Reset().
  uint64_t operation_count() const;
  // Counted operations that failed by injection since the last Reset().
  uint64_t injected_failures() const;

  // Simulates a power loss (see the header comment): undoes pending renames,
  // then brings every tracked file back to its durable state. Afterwards
  // everything on disk counts as durable. Works on the target directly; not
  // counted, never fails by injection. Returns the first real error, if any.
  Status DropUnsyncedData();
  // Forgets all tracking: everything on disk now counts as durable (e.g.
  // after a test's setup phase).
  void MarkAllDurable();

  Result<std::unique_ptr<sys::File>> Open(const std::string& path, sys::OpenMode mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  // Counted; the new name is treated as durable at once (like Remove).
  Status Link(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status CreateDirs(const std::string& path, uint32_t mode = 0700) override;
  Status SyncDir(const std::string& path) override;
  Status Copy(sys::File& from, sys::File& to, uint64_t length) override;

 private:
  class FaultFile;
  struct FileState;
  struct PendingRename {
    std::string from, to;
    std::optional<std::string> replaced_content;  // `to` before the rename
    std::shared_ptr<FileState> replaced_state;
  };

  // Counts one operation; returns the injected failure, if any.
  Status Check(const char* op);
  // Saves the bytes of [offset, offset+length) within the synced prefix of
  // `state` from `file` before they are overwritten. Requires mu_.
  static void SaveUndo(FileState& state, sys::File& file, uint64_t offset, uint64_t length);
  // Moves tracked states under `from` (the path and anything below it) to `to`.
  void MoveStates(const std::string& from, const std::string& to);
  Status RestoreFile(const std::string& path, const FileState& state);

  mutable std::mutex mu_;
  uint64_t ops_ = 0;
  uint64_t failures_ = 0;
  std::optional<uint64_t> fail_after_;
  std::optional<uint64_t> fail_nth_;
  int fail_errno_ = EIO;
  std::map<std::string, std::shared_ptr<FileState>> files_;
  std::vector<PendingRename> renames_;
};

}  // namespace ferry::test
