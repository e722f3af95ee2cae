#include "integration/faults/faults_util.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "util/status_codes.h"

namespace ferry::test {

TmpfsMount::~TmpfsMount() {
  if (!mounted_) return;
  if (::umount2(dir_.path().c_str(), 0) != 0) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

Status TmpfsMount::Mount(uint64_t size_bytes) {
  if (!dir_.ok()) return ErrnoStatus(errno, "mkdtemp");
  if (mounted_) return Status(code::kInvalidArg, "already mounted");
  std::string opts = "size=" + std::to_string(size_bytes) + ",mode=0755";
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
    return ErrnoStatus(errno, "mount -t tmpfs -o " + opts + " " + dir_.path());
  mounted_ = true;
  return Status::OK();
}

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint64_t FillTo(const std::string& file, uint64_t leave_free) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  static const std::vector<char> kZeros(64 * 1024, 0);
  uint64_t written = 0;
  for (;;) {
    uint64_t free = FreeBytes(file);
    if (free <= leave_free) break;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kZeros.size(), free - leave_free));
    ssize_t w = ::write(fd, kZeros.data(), n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;  // ENOSPC: full
    written += static_cast<uint64_t>(w);
  }
  ::close(fd);
  return written;
}

int CountFds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return -1;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  return n;
}

std::string DescribeFds(pid_t pid) {
  std::error_code ec;
  std::string out;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(it->path(), link_ec);
    out += it->path().filename().string() + " -> " + target.string() + "\n";
  }
  return out;
}

int64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

std::string IntegrityCheck(const std::string& db_path) {
  // On a copy (the database and its WAL), so that a full file system, where
  // sqlite3 could not create its shared-memory file, checks the same bytes.
  test::TempDir copy("ferry-dbcheck");
  if (!copy.ok()) return "no temp dir";
  std::error_code ec;
  const std::string db = copy.Path("ferry.db");
  std::filesystem::copy_file(db_path, db, ec);
  if (ec) return "copying " + db_path + ": " + ec.message();
  if (std::filesystem::exists(db_path + "-wal"))
    std::filesystem::copy_file(db_path + "-wal", db + "-wal", ec);
  if (ec) return "copying the WAL: " + ec.message();
  test::RunOptions o;
  o.timeout = std::chrono::seconds(60);
  test::CommandResult r = test::RunCommand({"sqlite3", db, "PRAGMA integrity_check"}, o);
  if (r.exit_code != 0) return "sqlite3 failed: " + r.Describe();
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace ferry::test
