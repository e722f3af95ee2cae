// TransmissionFixture: Debian's transmission-daemon 3.00 as a headless
// BitTorrent peer for interop tests, driven through its JSON RPC.
//
// Start() writes settings.json into a fresh config dir (temp dir) and runs
//   transmission-daemon -f -g CONFIG_DIR --log-info
// in its own process group (ChildProcess), inside a network namespace when
// asked. The settings: peer port and RPC port as chosen (free loopback ports
// by default), both bound to the given address; DHT, local peer discovery,
// PEX, uTP and port mapping off (peers come from a tracker or nowhere);
// RPC without authentication and without the host/IP whitelists; seeding
// without ratio or idle limits; downloads into <dir>/downloads unless a
// torrent names its own directory. It waits (at most 15 s) until the RPC
// port answers.
//
// Transmission 3.00 loads v1 torrents only: a hybrid or v2 torrent is
// rejected by AddTorrent (p2p.md §1).
//
// The RPC: a POST of {"method", "arguments"} to /transmission/rpc; the first
// answer is 409 with an X-Transmission-Session-Id header, which every later
// request carries (Rpc() handles it). Requests go through the curl program
// (support/torrent_tools.h), in the daemon's namespace.
//
// Stop() sends SIGTERM to the daemon's pid, after 5 s SIGKILLs its group,
// reaps it and removes the temp dir; the destructor calls Stop(). Not
// thread-safe; use from the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

class TempDir;

struct TransmissionOptions {
  std::string netns;  // "" = ours
  std::string address = "127.0.0.1";
  // 0: free loopback ports (ours) or 51413 / 9091 (in a namespace).
  uint16_t peer_port = 0;
  uint16_t rpc_port = 0;
};

// One torrent as torrent-get reports it.
struct TransmissionTorrent {
  std::string hash;
  double percent_done = 0;  // 0..1
  // 0 stopped, 1-2 checking, 3-4 downloading, 5-6 seeding.
  int status = 0;
  int error = 0;  // 0: none
  std::string error_string;
  int peers_connected = 0;
  uint64_t uploaded = 0;  // uploadedEver
};

class TransmissionFixture {
 public:
  static constexpr std::string_view kPath = "/usr/bin/transmission-daemon";

  TransmissionFixture();
  ~TransmissionFixture();
  TransmissionFixture(const TransmissionFixture&) = delete;
  TransmissionFixture& operator=(const TransmissionFixture&) = delete;

  static bool Available();

  // E_INVALIDARG when started; errno codes when the daemon is missing;
  // E_UNEXPECTED with its log when it does not answer RPC in time.
  Status Start(const TransmissionOptions& options = {});
  void Stop();

  // One RPC call; *result: the reply's "arguments". E_UNEXPECTED when there
  // is no reply or "result" is not "success" (its text in the message).
  Status Rpc(const std::string& method, const nlohmann::json& arguments,
             nlohmann::json* result = nullptr);

  // torrent-add of a local .torrent file, started at once. `download_dir`
  // ("" = the default) is where its content is (to seed: transmission
  // verifies it and seeds) or goes. *hash: its hashString.
  Status AddTorrent(const std::string& torrent_path, const std::string& download_dir,
                    std::string* hash = nullptr);
  // torrent-get of one torrent by hash. E_UNEXPECTED when it is unknown.
  Status Get(const std::string& hash, TransmissionTorrent* torrent);
  // Polls Get (every 100 ms) until percent_done reaches 1 and the torrent is
  // seeding (status 6, or 5 queued to seed). Fails at `timeout` or when the
  // torrent reports an error, with what it reported.
  Status WaitForSeeding(const std::string& hash,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  uint16_t peer_port() const { return options_.peer_port; }
  uint16_t rpc_port() const { return options_.rpc_port; }
  const std::string& address() const { return options_.address; }
  // <dir>/downloads: the default download dir.
  std::string download_dir() const;
  // The daemon's stdout and stderr (its log).
  std::string Log() const;

 private:
  std::string RpcUrl() const;

  std::unique_ptr<TempDir> dir_;
  TransmissionOptions options_;
  ChildProcess child_;
  std::string session_id_;
};

}  // namespace ferry::test
