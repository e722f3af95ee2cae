#include "support/nginx_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"
#include "util/status_codes.h"

extern char** environ;

namespace ferry::test {
namespace {

constexpr int kStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr int kStopTimeoutMs = 5000;

uint16_t PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool CanConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string Config(const std::string& prefix, const std::string& docroot, uint16_t port,
                   const NginxOptions& options) {
  std::ostringstream c;
  c << "daemon off;\n"
    << "master_process on;\n"
    << "worker_processes 1;\n"
    << "pid " << prefix << "/nginx.pid;\n"
    << "error_log " << prefix << "/logs/error.log notice;\n";
  if (::geteuid() == 0) c << "user root root;\n";
  c << "events { worker_connections 256; }\n"
    << "http {\n"
    << "  default_type application/octet-stream;\n"
    << "  sendfile on;\n"
    << "  keepalive_timeout 60;\n"
    << "  log_format ferry '$request\t$status\t$bytes_sent\t$http_range\t$http_if_range';\n"
    << "  access_log " << prefix << "/logs/access.log ferry;\n"
    << "  client_body_temp_path " << prefix << "/tmp/client_body;\n"
    << "  proxy_temp_path " << prefix << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << prefix << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << prefix << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << prefix << "/tmp/scgi;\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << port << ";\n"
    << "    server_name localhost;\n"
    << "    root " << docroot << ";\n";
  if (options.limit_rate > 0) c << "    limit_rate " << options.limit_rate << ";\n";
  if (!options.extra_server_config.empty()) c << "    " << options.extra_server_config << "\n";
  c << "    location / { }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

NginxFixture::NginxFixture() = default;

NginxFixture::~NginxFixture() { Stop(); }

bool NginxFixture::Available() {
  return ::access(std::string(kNginxPath).c_str(), X_OK) == 0;
}

std::string NginxFixture::Url(std::string_view path) const {
  std::string url = "http://127.0.0.1:" + std::to_string(port_);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

std::string NginxFixture::prefix() const { return dir_ ? dir_->path() : ""; }

Status NginxFixture::Start(const std::string& docroot, const NginxOptions& options) {
  if (pid_ > 0) return Status(code::kInvalidArg, "nginx already started");
  if (!Available()) return ErrnoStatus(ENOENT, std::string(kNginxPath));
  Status last;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    bool retry = false;
    last = StartOnce(docroot, options, &retry);
    if (last.ok() || !retry) break;
  }
  return last;
}

Status NginxFixture::StartOnce(const std::string& docroot, const NginxOptions& options,
                               bool* retry) {
  dir_ = std::make_unique<TempDir>("ferry-nginx");
  if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
  const std::string& prefix = dir_->path();
  for (const char* sub : {"/logs", "/tmp"}) ::mkdir((prefix + sub).c_str(), 0755);
  ::chmod(prefix.c_str(), 0755);
  port_ = PickFreePort();
  if (port_ == 0) return ErrnoStatus(errno, "bind 127.0.0.1:0");
  std::string conf = prefix + "/nginx.conf";
  if (!WriteFile(conf, Config(prefix, docroot, port_, options))) {
    return ErrnoStatus(errno, "write " + conf);
  }

  std::string out = prefix + "/nginx.out";
  std::string prefix_arg = prefix + "/";
  std::string error_log = prefix + "/logs/error.log";
  std::string bin(kNginxPath);
  std::vector<char*> argv = {bin.data(),       const_cast<char*>("-p"), prefix_arg.data(),
                             const_cast<char*>("-c"), conf.data(),     const_cast<char*>("-e"),
                             error_log.data(),  nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: Stop can kill the workers too
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all_default;
  sigfillset(&all_default);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, bin.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoStatus(err, "posix_spawn nginx");
  pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string log = ErrorLog() + ReadFile(out).value_or("");
      *retry = log.find("Address already in use") != std::string::npos;
      dir_.reset();
      return Status(code::kUnexpected, "nginx exited at start: " + log);
    }
    if (CanConnect(port_)) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string log = ErrorLog();
  Stop();
  return Status(code::kUnexpected, "nginx did not accept connections within 10 s: " + log);
}

bool NginxFixture::WaitExit(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void NginxFixture::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!WaitExit(kStopTimeoutMs)) {
      ::kill(-pid_, SIGKILL);  // the group we created: master and workers
      WaitExit(kStopTimeoutMs);
    }
    pid_ = -1;
  }
  port_ = 0;
  dir_.reset();
}

std::vector<std::string> NginxFixture::AccessLogLines() const {
  if (!dir_) return {};
  return SplitLines(ReadFile(dir_->path() + "/logs/access.log").value_or(""));
}

std::vector<NginxLogEntry> NginxFixture::AccessLog() const {
  std::vector<NginxLogEntry> entries;
  for (const std::string& line : AccessLogLines()) {
    std::vector<std::string> f;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, '\t');) f.push_back(field);
    if (f.size() < 5) continue;
    NginxLogEntry e;
    e.request = f[0];
    e.status = std::atoi(f[1].c_str());
    e.bytes_sent = std::strtoull(f[2].c_str(), nullptr, 10);
    e.range = f[3] == "-" ? "" : f[3];
    e.if_range = f[4] == "-" ? "" : f[4];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string NginxFixture::ErrorLog() const {
  if (!dir_) return "";
  return ReadFile(dir_->path() + "/logs/error.log").value_or("");
}

}  // namespace ferry::test
