// OpentrackerFixture: Debian's opentracker (/usr/bin/opentracker) as a
// private BitTorrent tracker for interop tests, serving only the info-hashes
// it is told about.
//
// Debian builds opentracker in whitelist mode (WANT_ACCESSLIST_WHITE): it
// answers announces only for info-hashes listed in its whitelist file,
// "Requested download is not authorized" otherwise. Started as root it
// chroots into its directory (-d) and drops to a user (-u, "nobody" here),
// and then reads the whitelist by its path inside that chroot. So Start()
// makes a temp dir (0755) holding the whitelist, and runs, in its own process
// group (ChildProcess),
//   opentracker -i ADDRESS -p PORT -d DIR -u nobody -w /whitelist
// (as another user: no chroot, -w DIR/whitelist). Only TCP (HTTP announces)
// is bound; no UDP port, no config file, no /etc/opentracker. It reads the
// whitelist before its chroot (a warning: nothing at /whitelist) and again
// on SIGHUP, so Start() sends one once the port accepts connections, then
// waits (at most 10 s) until every whitelisted hash is served. Allow() adds
// hashes later: rewrites the file, SIGHUPs the tracker and waits likewise.
// "Served" is probed with a real announce (event=stopped skips the
// whitelist check): peer port 1, at once withdrawn.
//
// Stop() sends SIGTERM to the tracker's pid, then SIGKILLs its group after
// 5 s, reaps it and removes the dir. The destructor calls Stop(). Not
// thread-safe; use from the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

class TempDir;

struct OpentrackerOptions {
  // A named network namespace to run in ("" = ours) and the IPv4 address to
  // listen on there.
  std::string netns;
  std::string address = "127.0.0.1";
  // 0: a free loopback port (ours) or 6969 (in a namespace).
  uint16_t port = 0;
  // Info-hashes served from the start: 40 hex digits each (a v1 hash, or a
  // v2 hash truncated to 20 bytes: Torrent::TrackerHashes()).
  std::vector<std::string> whitelist;
};

class OpentrackerFixture {
 public:
  static constexpr std::string_view kPath = "/usr/bin/opentracker";

  OpentrackerFixture();
  ~OpentrackerFixture();
  OpentrackerFixture(const OpentrackerFixture&) = delete;
  OpentrackerFixture& operator=(const OpentrackerFixture&) = delete;

  static bool Available();

  // E_INVALIDARG when started or a hash is not 40 hex digits; errno codes
  // when the program is missing; E_UNEXPECTED with its output when it does
  // not come up or does not serve the whitelist in time.
  Status Start(const OpentrackerOptions& options = {});
  void Stop();
  // Adds hashes to the whitelist and waits (10 s) until they are served.
  Status Allow(const std::vector<std::string>& hashes);

  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  uint16_t port() const { return port_; }
  // "http://ADDRESS:PORT/announce".
  std::string AnnounceUrl() const;
  // True when an announce for `hash` is answered without a failure reason
  // (the probe's peer, port 1, a leecher, is withdrawn at once).
  bool Serves(const std::string& hash) const;
  // How many seeders (peers that announced left=0) the tracker has for
  // `hash`, from a scrape; -1 when it does not answer.
  int Seeders(const std::string& hash) const;
  // Polls Seeders every 50 ms until it reaches `n`: a seeder has announced,
  // so a peer that announces next gets it. E_UNEXPECTED at the timeout.
  Status WaitForSeeders(const std::string& hash, int n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // The tracker's stdout and stderr.
  std::string Log() const;

 private:
  Status WriteWhitelist() const;
  Status WaitServed(const std::vector<std::string>& hashes) const;

  std::unique_ptr<TempDir> dir_;
  OpentrackerOptions options_;
  std::vector<std::string> whitelist_;
  ChildProcess child_;
  uint16_t port_ = 0;
};

}  // namespace ferry::test
