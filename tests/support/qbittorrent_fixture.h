// QbittorrentFixture: Debian's qbittorrent-nox 4.5 (libtorrent 2.0: reads
// v1, v2 and hybrid torrents) as a headless BitTorrent peer for interop
// tests, driven through its WebUI API (/api/v2).
//
// Start() pre-seeds <profile>/qBittorrent/config/qBittorrent.conf in a fresh
// temp dir, so the first run asks nothing: the legal notice accepted
// ([LegalNotice] Accepted=true: without it qbittorrent-nox waits for a "y"
// on its terminal), the WebUI on the chosen address and port with no
// authentication for any client (AuthSubnetWhitelist 0.0.0.0/0), no CSRF,
// host-header or clickjacking checks; the peer port as chosen, DHT, LSD,
// PEX, UPnP and the queueing system off, the save path <dir>/downloads,
// and several connections per IP address allowed (MultiConnectionsPerIp):
// in these tests every peer, qBittorrent itself included, is on one address,
// and opentracker hands each announcer its own address too. With libtorrent's
// default of one peer per address, qBittorrent's connection to itself made
// libtorrent 2.0.8 (peer_list::new_connection) take the next incoming peer
// from that address for a self-connection, close both and ban the address's
// one peer entry: every later connection from it was closed right after its
// handshake, and qBittorrent seeded nothing (v1 or hybrid alike).
// Then it runs
//   qbittorrent-nox --profile=DIR
// in its own process group (ChildProcess), inside a network namespace when
// asked, and waits (at most 20 s) until /api/v2/app/version answers.
//
// Requests go through the curl program (support/torrent_tools.h), in the
// client's namespace. Stop() sends SIGTERM to its pid, after 5 s SIGKILLs its
// group, reaps it and removes the temp dir; the destructor calls Stop(). Not
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

struct QbittorrentOptions {
  std::string netns;  // "" = ours
  std::string address = "127.0.0.1";
  // 0: free loopback ports (ours) or 6881 / 8080 (in a namespace).
  uint16_t peer_port = 0;
  uint16_t webui_port = 0;
};

// One torrent as /api/v2/torrents/info reports it.
struct QbittorrentTorrent {
  std::string hash;  // qBittorrent's id: the v1 hash, or the truncated v2 hash
  std::string infohash_v1, infohash_v2;
  double progress = 0;  // 0..1
  std::string state;    // "downloading", "stalledUP", "uploading", "error", "missingFiles", …
  uint64_t downloaded = 0, uploaded = 0;
};

class QbittorrentFixture {
 public:
  static constexpr std::string_view kPath = "/usr/bin/qbittorrent-nox";

  QbittorrentFixture();
  ~QbittorrentFixture();
  QbittorrentFixture(const QbittorrentFixture&) = delete;
  QbittorrentFixture& operator=(const QbittorrentFixture&) = delete;

  static bool Available();

  // E_INVALIDARG when started; errno codes when the program is missing;
  // E_UNEXPECTED with its output when the WebUI does not answer in time.
  Status Start(const QbittorrentOptions& options = {});
  void Stop();

  // POST /api/v2/torrents/add of a local .torrent file, started. `save_path`
  // ("" = the default) is where its content is or goes; `skip_checking`
  // seeds it unchecked (libtorrent's seed mode: each piece is verified on its
  // first request).
  // E_UNEXPECTED unless qBittorrent says "Ok.".
  Status AddTorrent(const std::string& torrent_path, const std::string& save_path = "",
                    bool skip_checking = false);
  // Adds a peer to a torrent (/api/v2/torrents/addPeers), "ADDRESS:PORT".
  Status AddPeer(const std::string& hash, const std::string& peer);
  // The torrent whose id, v1 or v2 hash (full or truncated) is `hash`.
  // E_UNEXPECTED when there is none.
  Status Get(const std::string& hash, QbittorrentTorrent* torrent);
  // Polls Get (every 100 ms) until progress reaches 1 and the torrent is
  // seeding (uploading, stalledUP, queuedUP or forcedUP). Fails at `timeout` or on
  // "error"/"missingFiles".
  Status WaitForSeeding(const std::string& hash,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  uint16_t peer_port() const { return options_.peer_port; }
  uint16_t webui_port() const { return options_.webui_port; }
  const std::string& address() const { return options_.address; }
  std::string download_dir() const;  // <dir>/downloads
  std::string Log() const;           // stdout + stderr

 private:
  std::string ApiUrl(const std::string& path) const;
  std::string Config() const;

  std::unique_ptr<TempDir> dir_;
  QbittorrentOptions options_;
  ChildProcess child_;
};

}  // namespace ferry::test
