#include "support/nginx_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "support/free_port.h"
#include "support/netns.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

constexpr int kStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr std::chrono::seconds kStopTimeout{5};

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
    << "  log_format ferry "
       "'$request\t$status\t$bytes_sent\t$http_range\t$http_if_range\t$upstream_cache_status';\n"
    << "  access_log " << prefix << "/logs/access.log ferry;\n"
    << "  client_body_temp_path " << prefix << "/tmp/client_body;\n"
    << "  proxy_temp_path " << prefix << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << prefix << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << prefix << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << prefix << "/tmp/scgi;\n";
  if (options.cache_proxy)
    c << "  proxy_cache_path " << prefix
      << "/cache levels=1:2 keys_zone=ferry:1m max_size=256m inactive=1d use_temp_path=off;\n";
  c << "  server {\n"
    << "    listen " << options.address << ":" << port << ";\n"
    << "    server_name localhost;\n"
    << "    root " << docroot << ";\n";
  if (options.limit_rate > 0) c << "    limit_rate " << options.limit_rate << ";\n";
  if (!options.extra_server_config.empty()) c << "    " << options.extra_server_config << "\n";
  if (options.cache_proxy) {
    c << "    location / {\n"
      << "      proxy_pass http://$arg_cachehostorigin$uri;\n"
      << "      proxy_http_version 1.1;\n"
      << "      proxy_cache ferry;\n"
      << "      proxy_cache_key $arg_cachehostorigin$uri;\n"
      << "      proxy_cache_valid 200 1d;\n"
      << "      proxy_force_ranges on;\n"
      << "      add_header X-Cache-Status $upstream_cache_status;\n"
      << "    }\n";
  } else if (options.forward_proxy) {
    c << "    location / {\n"
      << "      proxy_pass http://$http_host$uri$is_args$args;\n"
      << "      proxy_http_version 1.1;\n"
      << "    }\n";
  } else {
    c << "    location / { }\n";
  }
  c << "  }\n"
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

bool NginxFixture::Available() { return ::access(std::string(kNginxPath).c_str(), X_OK) == 0; }

std::string NginxFixture::Url(std::string_view path) const {
  std::string url = "http://" + address_ + ":" + std::to_string(port_);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

std::string NginxFixture::prefix() const { return dir_ ? dir_->path() : ""; }

Status NginxFixture::Start(const std::string& docroot, const NginxOptions& options) {
  if (child_.running()) return Status(code::kInvalidArg, "nginx already started");
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
  address_ = options.address;
  port_ = options.port != 0 ? options.port : PickFreePort();
  if (port_ == 0) return ErrnoStatus(errno, "bind 127.0.0.1:0");
  std::string conf = prefix + "/nginx.conf";
  if (!WriteFile(conf, Config(prefix, docroot, port_, options))) {
    return ErrnoStatus(errno, "write " + conf);
  }

  std::string out = prefix + "/nginx.out";
  SpawnOptions so;
  so.output_path = out;
  so.netns = options.netns;
  // Its own process group (ChildProcess): Stop kills the workers too.
  Status spawned = child_.Spawn(
      {std::string(kNginxPath), "-p", prefix + "/", "-c", conf, "-e", prefix + "/logs/error.log"},
      so);
  if (!spawned.ok()) return spawned;

  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child_.Exited()) {
      std::string log = ErrorLog() + ReadFile(out).value_or("");
      *retry = options.port == 0 && log.find("Address already in use") != std::string::npos;
      dir_.reset();
      return Status(code::kUnexpected, "nginx exited at start: " + log);
    }
    if (CanConnectIn(options.netns, address_, port_)) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string log = ErrorLog();
  Stop();
  return Status(code::kUnexpected, "nginx did not accept connections within 10 s: " + log);
}

void NginxFixture::Stop() {
  child_.Terminate(kStopTimeout);  // then SIGKILL to the group: master and workers
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
    if (f.size() > 5 && f[5] != "-") e.cache_status = f[5];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string NginxFixture::ErrorLog() const {
  if (!dir_) return "";
  return ReadFile(dir_->path() + "/logs/error.log").value_or("");
}

}  // namespace ferry::test
