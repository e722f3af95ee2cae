#include "sdk/delivery.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "ferry/types.h"
#include "util/status_codes.h"
#include "util/torrent_source.h"

namespace ferry::sdk {
namespace {

struct Temp {
  uint32_t index;
  std::string local;
  std::string path;
  uint64_t bytes_total;
  std::string make_dirs_below;
  int fd = -1;
};

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkostemp's loop, but with mode 0666 so that the umask applies as it would
// to any file the application creates.
// mkdir -p (with the caller's rights and umask) of the directories between
// t.make_dirs_below and the file.
Status MakeDirs(const Temp& t) {
  if (t.make_dirs_below.empty() || t.local.compare(0, t.make_dirs_below.size(),
                                                   t.make_dirs_below) != 0)
    return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(DirName(t.local), ec);
  if (ec) return ErrnoStatus(ec.value(), fmt::format("mkdir -p {}", DirName(t.local)));
  return Status::OK();
}

Status CreateTemp(Temp* t) {
  if (Status s = MakeDirs(*t); !s.ok()) return s;
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937_64 rng(rd());
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix(6, 'X');
    for (char& c : suffix) c = kChars[rng() % (sizeof(kChars) - 1)];
    std::string path = TempNameFor(t->local, suffix);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd >= 0) {
      t->fd = fd;
      t->path = std::move(path);
      return Status::OK();
    }
    if (errno != EEXIST) return ErrnoStatus(errno, fmt::format("create {}", path));
  }
  return Status(code::kUnexpected, fmt::format("no free temporary name beside {}", t->local));
}

void Discard(std::vector<Temp>& temps) {
  for (Temp& t : temps) {
    if (t.fd >= 0) ::close(t.fd);
    t.fd = -1;
    if (!t.path.empty()) ::unlink(t.path.c_str());
  }
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, fmt::format("open {}", dir));
  int r = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return r == 0 ? Status::OK() : ErrnoStatus(err, fmt::format("fsync {}", dir));
}

}  // namespace

std::string TempNameFor(std::string_view local_name, std::string_view suffix) {
  return fmt::format("{}.ferry-{}", local_name, suffix);
}

bool ShouldInstall(bool call_ok, uint64_t temp_size, uint64_t bytes_total) {
  if (bytes_total == kSizeUnknown || temp_size != bytes_total) return false;
  return temp_size > 0 || call_ok;
}

Status CompleteWithDescriptors(JobProxy& job) {
  // Which files the service will deliver: the finished ones (EnumFiles'
  // completed flag). A file delivered by an earlier, partly failed Complete
  // gets a descriptor the service leaves empty; ShouldInstall drops it.
  std::vector<DeliveryTarget> targets;
  for (uint32_t i = 0; const auto& entry : job.EnumFiles()) {
    if (entry.get<4>())
      targets.push_back(DeliveryTarget{i, entry.get<1>(), entry.get<2>(),
                                       TorrentSaveDirectory(entry.get<0>(), entry.get<1>())});
    ++i;
  }
  return DeliverWithDescriptors(targets, [&job](std::map<uint32_t, sdbus::UnixFd>& fds) {
    int32_t c = job.CompleteWithTimeout(fds, kCompleteTimeout);
    return c == code::kOk ? Status::OK() : Status(c, {});
  });
}

Status DeliverWithDescriptors(
    const std::vector<DeliveryTarget>& targets,
    const std::function<Status(std::map<uint32_t, sdbus::UnixFd>&)>& call) {
  std::vector<Temp> temps;
  for (const DeliveryTarget& t : targets)
    temps.push_back(Temp{t.index, t.local, {}, t.bytes_total, t.make_dirs_below});
  std::map<uint32_t, sdbus::UnixFd> fds;
  for (Temp& t : temps) {
    if (Status s = CreateTemp(&t); !s.ok()) {
      Discard(temps);
      return s;
    }
    fds.emplace(t.index, sdbus::UnixFd(t.fd));  // a dup: ours stays open to check the size
  }

  Status result;
  try {
    result = call(fds);
  } catch (...) {
    fds.clear();
    Discard(temps);
    throw;  // mapped by the caller's Guard
  }
  fds.clear();

  // Install what the service filled (also after a failed call: a file it
  // delivered before failing counts as delivered on its side), drop the rest.
  Status install;
  std::set<std::string> dirs;
  for (Temp& t : temps) {
    struct stat st {};
    bool filled = ::fstat(t.fd, &st) == 0 &&
                  ShouldInstall(result.ok(), static_cast<uint64_t>(st.st_size), t.bytes_total);
    ::close(t.fd);
    t.fd = -1;
    if (filled && ::rename(t.path.c_str(), t.local.c_str()) == 0) {
      dirs.insert(DirName(t.local));
      continue;
    }
    if (filled && install.ok()) install = ErrnoStatus(errno, fmt::format("rename to {}", t.local));
    ::unlink(t.path.c_str());
  }
  for (const std::string& dir : dirs)
    if (Status s = FsyncDir(dir); !s.ok() && install.ok()) install = s;
  if (!result.ok()) return result;
  return install.ok() ? result : install;
}

}  // namespace ferry::sdk
