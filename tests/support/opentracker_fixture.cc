#include "support/opentracker_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <thread>

#include "support/free_port.h"
#include "support/netns.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr std::chrono::seconds kStopTimeout{5};

bool IsHash(const std::string& h) {
  if (h.size() != 40) return false;
  for (char c : h)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// True once `pid` blocks SIGHUP: opentracker's whitelist thread waits for it
// (sigwait) from then on; before, a SIGHUP would end the tracker.
bool HupBlocked(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status").value_or("");
  size_t at = status.find("SigBlk:");
  if (at == std::string::npos) return false;
  return std::strtoull(status.c_str() + at + 7, nullptr, 16) & (1ull << (SIGHUP - 1));
}

}  // namespace

OpentrackerFixture::OpentrackerFixture() = default;
OpentrackerFixture::~OpentrackerFixture() { Stop(); }

bool OpentrackerFixture::Available() { return ::access(std::string(kPath).c_str(), X_OK) == 0; }

std::string OpentrackerFixture::AnnounceUrl() const {
  return "http://" + options_.address + ":" + std::to_string(port_) + "/announce";
}

std::string OpentrackerFixture::Log() const {
  return dir_ ? ReadFile(dir_->Path("opentracker.out")).value_or("") : "";
}

Status OpentrackerFixture::WriteWhitelist() const {
  std::string text;
  for (const std::string& h : whitelist_) text += h + "\n";
  const std::string path = dir_->Path("whitelist");
  return WriteFile(path, text) ? Status::OK() : ErrnoStatus(errno, "write " + path);
}

bool OpentrackerFixture::Serves(const std::string& hash) const {
  // An announce with event=stopped is answered without the whitelist check:
  // announce (as peer port 1, which a client's connect fails on at once),
  // then leave.
  const std::string url = AnnounceUrl() + "?info_hash=" + PercentEncodedHash(hash) +
                          "&peer_id=-FT0000-000000000000&port=1&uploaded=0&downloaded=0"
                          "&left=1&compact=1&numwant=0";
  HttpReply r = HttpRequest(options_.netns, url);
  const bool served = r.status == 200 && r.body.find("failure reason") == std::string::npos;
  if (served) HttpRequest(options_.netns, url + "&event=stopped");
  return served;
}

int OpentrackerFixture::Seeders(const std::string& hash) const {
  const std::string url = "http://" + options_.address + ":" + std::to_string(port_) +
                          "/scrape?info_hash=" + PercentEncodedHash(hash);
  HttpReply r = HttpRequest(options_.netns, url);
  if (r.status != 200) return -1;
  const size_t at = r.body.find("8:completei");  // d5:filesd20:<hash>d8:completei<N>e…
  return at == std::string::npos ? 0 : std::atoi(r.body.c_str() + at + 11);
}

Status OpentrackerFixture::WaitForSeeders(const std::string& hash, int n,
                                          std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  int seeders = 0;
  while ((seeders = Seeders(hash)) < n) {
    if (Clock::now() >= deadline)
      return Status(code::kUnexpected, "opentracker has " + std::to_string(seeders) +
                                           " seeders for " + hash + ", not " + std::to_string(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::OK();
}

Status OpentrackerFixture::WaitServed(const std::vector<std::string>& hashes) const {
  const auto deadline = Clock::now() + kStartTimeout;
  for (const std::string& h : hashes) {
    while (!Serves(h)) {
      if (Clock::now() >= deadline)
        return Status(code::kUnexpected, "opentracker does not serve " + h + ": " + Log());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return Status::OK();
}

Status OpentrackerFixture::Start(const OpentrackerOptions& options) {
  if (child_.running()) return Status(code::kInvalidArg, "opentracker already started");
  for (const std::string& h : options.whitelist)
    if (!IsHash(h)) return Status(code::kInvalidArg, "not a 40-hex info-hash: " + h);
  if (!Available()) return ErrnoStatus(ENOENT, std::string(kPath));
  options_ = options;
  whitelist_ = options.whitelist;
  dir_ = std::make_unique<TempDir>("ferry-opentracker");
  if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
  ::chmod(dir_->path().c_str(), 0755);  // read by "nobody" after the chroot
  if (Status s = WriteWhitelist(); !s.ok()) return s;
  port_ = options.port ? options.port : options.netns.empty() ? PickFreePort() : 6969;
  const bool root = ::geteuid() == 0;
  const std::string out = dir_->Path("opentracker.out");
  SpawnOptions so;
  so.output_path = out;
  so.netns = options.netns;
  Status s = child_.Spawn(
      {std::string(kPath), "-i", options.address, "-p", std::to_string(port_), "-d", dir_->path(),
       "-u", "nobody", "-w", root ? "/whitelist" : dir_->Path("whitelist")},
      so);
  if (!s.ok()) return s;
  if (!WaitForListener(options.netns, options.address, port_, kStartTimeout,
                       [&] { return !child_.Exited(); })) {
    std::string log = Log();
    Stop();
    return Status(code::kUnexpected, "opentracker did not listen: " + log);
  }
  // Started as root it reads the whitelist before its chroot (and finds
  // nothing there): a SIGHUP makes it read the one inside.
  const auto deadline = Clock::now() + kStartTimeout;
  while (!HupBlocked(child_.pid()) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(child_.pid(), SIGHUP);
  if (s = WaitServed(whitelist_); !s.ok()) Stop();
  return s;
}

Status OpentrackerFixture::Allow(const std::vector<std::string>& hashes) {
  if (!child_.running()) return Status(code::kInvalidArg, "opentracker is not running");
  for (const std::string& h : hashes) {
    if (!IsHash(h)) return Status(code::kInvalidArg, "not a 40-hex info-hash: " + h);
    whitelist_.push_back(h);
  }
  if (Status s = WriteWhitelist(); !s.ok()) return s;
  ::kill(child_.pid(), SIGHUP);  // reloads the whitelist
  return WaitServed(hashes);
}

void OpentrackerFixture::Stop() {
  child_.Terminate(kStopTimeout);
  port_ = 0;
  dir_.reset();
}

}  // namespace ferry::test
