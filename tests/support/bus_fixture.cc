#include "support/bus_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>

#include "support/child_process.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr std::chrono::seconds kStopTimeout{5};

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
  if (child_.running()) return Status(code::kInvalidArg, "the bus is already started");
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
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SpawnOptions so;
  so.stdout_fd = out_fd;
  so.fd3 = p[1];
  // The child's copy of the write end is fd 3.
  Status spawned = out_fd < 0 ? ErrnoStatus(errno, "open " + out)
                              : child_.Spawn({std::string(kDaemonPath), "--config-file=" + conf,
                                              "--nofork", "--print-address=3"},
                                             so);
  if (out_fd >= 0) ::close(out_fd);
  ::close(p[1]);
  if (!spawned.ok()) {
    ::close(p[0]);
    dir_.reset();
    return spawned;
  }

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

void BusFixture::Stop() {
  child_.Terminate(kStopTimeout);
  address_.clear();
  dir_.reset();
}

}  // namespace ferry::test
