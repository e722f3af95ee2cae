// Helpers for the real-fault and load tests (tests/integration/faults): a
// small tmpfs mounted for one test, filling a file system to a chosen free
// space, a process's open descriptors and resident memory, and SQLite's own
// integrity check of ferryd's store.
//
// Mounting needs root (CI runs the tests as root); tests GTEST_SKIP with the
// reason TmpfsMount::Mount gives when it is not permitted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "ferry/status.h"
#include "support/temp_dir.h"

namespace ferry::test {

// A tmpfs of a fixed size on a fresh temp directory. The destructor unmounts
// it (lazily if busy) before the directory is removed. Not thread-safe.
class TmpfsMount {
 public:
  TmpfsMount() = default;
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // mount -t tmpfs -o size=<bytes>,mode=0755. E_ACCESSDENIED (EPERM) when
  // the process may not mount; other errno-mapped codes otherwise.
  Status Mount(uint64_t size_bytes);
  bool mounted() const { return mounted_; }
  const std::string& path() const { return dir_.path(); }
  std::string Path(const std::string& relative) const { return dir_.Path(relative); }

 private:
  test::TempDir dir_{"ferry-tmpfs"};
  bool mounted_ = false;
};

// Free bytes (for an unprivileged writer) on the file system holding `path`;
// 0 when it cannot be read.
uint64_t FreeBytes(const std::string& path);

// Writes zeros to `file` (created) until the file system holding it has at
// most `leave_free` bytes free, or it is full. Returns the bytes written.
uint64_t FillTo(const std::string& file, uint64_t leave_free);

// Entries in /proc/<pid>/fd; -1 when it cannot be read.
int CountFds(pid_t pid);
// "3 -> socket:[123]" lines for /proc/<pid>/fd (for failure messages).
std::string DescribeFds(pid_t pid);
// VmRSS of /proc/<pid>/status in KiB; -1 when it cannot be read.
int64_t RssKiB(pid_t pid);

// `sqlite3 <copy of db> "PRAGMA integrity_check"` (the database and its WAL
// copied to a temp dir first), trimmed ("ok" when the
// store is consistent), or a description of why it could not run.
std::string IntegrityCheck(const std::string& db_path);

}  // namespace ferry::test
