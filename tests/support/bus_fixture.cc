#include "support/bus_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "util/status_codes.h"

extern char** environ;

namespace ferry::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr int kStopTimeoutMs = 5000;

std::string Config(const std::string& dir) {
  std::ostringstream c;
  c << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    << " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    << "<busconfig>\n"
    << "  <type>session</type>\n"
    << "  <listen>unix:path=" << dir << "/bus</listen>\n"
    << "  <auth>EXTERNAL</auth>\n"
    << "  <policy context=\"default\">\n"
    << "    <allow user=\"*\"/>\n"
    << "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    << "    <allow eavesdrop=\"true\"/>\n"
    << "    <allow own=\"*\"/>\n"
    << "  </policy>\n"
    << "  <limit name=\"max_incoming_bytes\">1000000000</limit>\n"
    << "  <limit name=\"max_message_size\">134217728</limit>\n"
    << "  <limit name=\"max_connections_per_user\">10000</limit>\n"
    << "  <limit name=\"max_completed_connections\">10000</limit>\n"
    << "  <limit name=\"max_incomplete_connections\">10000</limit>\n"
    << "</busconfig>\n";
  return c.str();
}

}  // namespace

BusFixture::BusFixture() = default;
BusFixture::~BusFixture() { Stop(); }

bool BusFixture::Available() { return ::access(std::string(kDaemonPath).c_str(), X_OK) == 0; }

std::string BusFixture::dir() const { return dir_ ? dir_->path() : ""; }

Status BusFixture::Start(const BusOptions& options) {
  if (pid_ > 0) return Status(code::kInvalidArg, "the bus is already started");
  if (!Available()) return ErrnoStatus(ENOENT, std::string(kDaemonPath));
  dir_ = std::make_unique<TempDir>("ferry-bus");
  if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
  const std::string& dir = dir_->path();
  if (options.shared) ::chmod(dir.c_str(), 0755);
  const std::string conf = dir + "/bus.conf";
  if (!WriteFile(conf, Config(dir))) return ErrnoStatus(errno, "write " + conf);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  const std::string out = dir + "/dbus-daemon.out";
  std::string bin(kDaemonPath);
  std::string conf_arg = "--config-file=" + conf;
  // The child's copy of the write end is fd 3 (dup2 clears CLOEXEC).
  std::string print_arg = "--print-address=3";
  std::vector<char*> argv = {bin.data(), conf_arg.data(), const_cast<char*>("--nofork"),
                             print_arg.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_adddup2(&actions, p[1], 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all_default;
  sigfillset(&all_default);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, bin.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(p[1]);
  if (err != 0) {
    ::close(p[0]);
    dir_.reset();
    return ErrnoStatus(err, "posix_spawn dbus-daemon");
  }
  pid_ = pid;

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{p[0], POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    char buf[512];
    ssize_t r = ::read(p[0], buf, sizeof buf);
    if (r > 0) {
      line.append(buf, static_cast<size_t>(r));
    } else if (r == 0) {
      break;  // exited (or closed the pipe) without an address
    }
  }
  ::close(p[0]);
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  if (line.empty()) {
    std::string log = ReadFile(out).value_or("");
    Stop();
    return Status(code::kUnexpected, "dbus-daemon printed no address within 10 s: " + log);
  }
  address_ = line;
  if (options.shared) ::chmod((dir + "/bus").c_str(), 0777);
  return Status::OK();
}

bool BusFixture::WaitExit(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void BusFixture::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!WaitExit(kStopTimeoutMs)) {
      ::kill(-pid_, SIGKILL);  // the group we created
      WaitExit(kStopTimeoutMs);
    }
    pid_ = -1;
  }
  address_.clear();
  dir_.reset();
}

}  // namespace ferry::test
