// ferry-fetch URL PATH: downloads one file through the ferry engine (the
// service arrives with the next issue) and shows a progress line. Exit code
// 0 only when the file is at PATH; the final line gives its SHA-256.
//
//   ferry-fetch [--sha256 HEX] [--state-dir DIR] [--ca-file PEM] [--limit BYTES_PER_S] URL PATH
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.h"
#include "daemon/engine_host.h"
#include "lib/crypto/sha256.h"
#include "util/status_codes.h"

using namespace ferry;

namespace {

std::string Human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

std::string FileSha256(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  crypto::Sha256 h;
  std::vector<std::byte> buf(1 << 20);
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) h.Update(std::span(buf.data(), static_cast<size_t>(n)));
  ::close(fd);
  return h.FinalHex();
}

int Usage() {
  std::fprintf(stderr,
               "usage: ferry-fetch [--sha256 HEX] [--state-dir DIR] [--ca-file PEM] "
               "[--limit BYTES_PER_S] URL PATH\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sha, state_dir, ca_file, url, path;
  uint64_t limit = 0;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--sha256") sha = next();
    else if (a == "--state-dir") state_dir = next();
    else if (a == "--ca-file") ca_file = next();
    else if (a == "--limit") limit = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "-h" || a == "--help") return Usage();
    else pos.push_back(a);
  }
  if (pos.size() != 2) return Usage();
  url = pos[0];
  path = pos[1];
  if (!path.empty() && path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) path = std::string(cwd) + "/" + path;
  }
  if (state_dir.empty()) {
    const char* xdg = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    state_dir = xdg ? std::string(xdg) + "/ferry-fetch"
                    : std::string(home ? home : "/tmp") + "/.local/state/ferry-fetch";
  }

  daemon::HostOptions opts;
  opts.state_dir = state_dir;
  opts.config.ca_file = ca_file;
  opts.config.foreground_limit = limit;
  auto host = daemon::EngineHost::Start(opts);
  if (!host.ok()) {
    std::fprintf(stderr, "ferry-fetch: cannot start the engine: %s\n", host.status().ToString().c_str());
    return 3;
  }
  auto& h = *host.value();

  Guid id;
  Status s = h.Call([&](core::Engine& e) {
    Status st = e.CreateJob(core::Caller{static_cast<uint32_t>(getuid()), false}, "ferry-fetch",
                            JobType::kDownload, &id);
    if (!st.ok()) return st;
    core::NewFile f;
    f.remote_url = url;
    f.local_name = path;
    f.sha256 = sha;
    st = e.AddFiles(id, std::span(&f, 1));
    if (!st.ok()) {
      e.Cancel(id);
      return st;
    }
    st = e.SetPriority(id, JobPriority::kForeground);
    if (!st.ok()) return st;
    return e.Resume(id);
  });
  if (!s.ok()) {
    std::fprintf(stderr, "ferry-fetch: %s\n", s.ToString().c_str());
    return 1;
  }

  bool tty = isatty(STDOUT_FILENO);
  auto start = std::chrono::steady_clock::now();
  auto last_print = start - std::chrono::seconds(10);
  int rc = 1;
  for (;;) {
    auto snap = h.Call([&](core::Engine& e) { return e.GetJob(id); });
    if (!snap.ok()) {
      std::fprintf(stderr, "\nferry-fetch: %s\n", snap.status().ToString().c_str());
      break;
    }
    const auto& p = snap->progress;
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - start).count();
    double rate = secs > 0 ? static_cast<double>(p.bytes_transferred) / secs : 0;
    JobState st = snap->job.state;
    if (tty || now - last_print >= std::chrono::seconds(1) || st == JobState::kTransferred) {
      std::string total = p.bytes_total == kSizeUnknown ? "?" : Human(static_cast<double>(p.bytes_total));
      std::string eta = "--";
      if (p.bytes_total != kSizeUnknown && rate > 0)
        eta = std::to_string(static_cast<int>(static_cast<double>(p.bytes_total - p.bytes_transferred) / rate)) + "s";
      int pct = p.bytes_total && p.bytes_total != kSizeUnknown
                    ? static_cast<int>(100.0 * static_cast<double>(p.bytes_transferred) / static_cast<double>(p.bytes_total))
                    : 0;
      std::printf("%s%-16s %3d%% %12s / %-12s %12s/s  ETA %s%s", tty ? "\r" : "",
                  std::string(JobStateName(st)).c_str(), pct,
                  Human(static_cast<double>(p.bytes_transferred)).c_str(), total.c_str(),
                  Human(rate).c_str(), eta.c_str(), tty ? "   " : "\n");
      std::fflush(stdout);
      last_print = now;
    }
    if (st == JobState::kTransferred) {
      std::promise<Status> done;
      h.Call([&](core::Engine& e) { e.Complete(id, [&](Status cs) { done.set_value(cs); }); });
      Status cs = done.get_future().get();
      if (tty) std::printf("\n");
      if (!cs.ok()) {
        std::fprintf(stderr, "ferry-fetch: Complete failed: %s\n", cs.ToString().c_str());
        break;
      }
      std::printf("saved %s (%s in %.1f s)\nsha256 %s\n", path.c_str(),
                  Human(static_cast<double>(p.bytes_total)).c_str(), secs, FileSha256(path).c_str());
      rc = 0;
      break;
    }
    if (st == JobState::kError) {
      if (tty) std::printf("\n");
      const auto& err = snap->job.error;
      std::fprintf(stderr, "ferry-fetch: the download failed: %s\n",
                   err ? Status(err->code, err->message).ToString().c_str() : "unknown error");
      h.Call([&](core::Engine& e) { return e.Cancel(id); });
      rc = 1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 200 : 100));
  }
  Status sd = h.Shutdown();
  if (!sd.ok()) std::fprintf(stderr, "ferry-fetch: shutdown: %s\n", sd.ToString().c_str());
  return rc;
}
