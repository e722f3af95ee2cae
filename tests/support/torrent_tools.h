// Helpers for the BitTorrent interop fixtures (support/transmission_fixture,
// support/qbittorrent_fixture, support/opentracker_fixture): making .torrent
// files with third-party tools and talking HTTP to a client's API with the
// curl program (inside a network namespace when asked).
//
// Torrents: MakeTorrentV1 runs transmission-create (Debian
// transmission-cli), the tool a transmission user would use;
// MakeTorrent runs support/make_torrent.py on Debian's python3-libtorrent
// (v1, v2 or hybrid: transmission-create makes v1 only). Both take one
// content file and name the torrent after it. FetchWithLibtorrent downloads
// one with support/lt_fetch.py.
//
// Every call is bounded (60 s). Thread-compatible.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::test {

enum class TorrentKind { kV1, kV2, kHybrid };

struct Torrent {
  std::string path;     // the .torrent file
  std::string name;     // the content's name in the torrent
  std::string v1_hash;  // 40 lowercase hex digits, "" when v2-only
  std::string v2_hash;  // 64 lowercase hex digits, "" when v1-only
  // What a client announces to a tracker and what opentracker's whitelist
  // needs: the v1 hash and/or the v2 hash truncated to 20 bytes.
  std::vector<std::string> TrackerHashes() const;
  // "magnet:?xt=urn:btih:…&xt=urn:btmh:1220…&dn=NAME[&tr=TRACKER]".
  std::string Magnet(const std::string& tracker = "") const;
};

// True when transmission-create / python3-libtorrent (under /usr/bin/python3)
// are installed.
bool TransmissionCreateAvailable();
bool PythonLibtorrentAvailable();

// Makes `out` for the one file `content`, announcing to `tracker` when not
// empty (MakeTorrent: with `web_seed` as its BEP 19 web seed when not empty).
// E_UNEXPECTED with the tool's output when it fails.
Status MakeTorrentV1(const std::string& content, const std::string& tracker, const std::string& out,
                     Torrent* torrent);
Status MakeTorrent(TorrentKind kind, const std::string& content, const std::string& tracker,
                   const std::string& out, Torrent* torrent, const std::string& web_seed = "");

// Downloads `torrent` into `save_dir` with a plain libtorrent 2.0 client
// (support/lt_fetch.py on python3-libtorrent: the engine ferry embeds),
// inside `netns` ("" = ours), listening on `address`, announcing to the
// torrent's trackers and connecting to `peers` ("ADDRESS:PORT"). OK once
// every piece is verified; E_UNEXPECTED with its report at `timeout`.
// *report: its JSON line (progress, downloaded, peers_seen, state).
Status FetchWithLibtorrent(const std::string& netns, const std::string& address,
                           const Torrent& torrent, const std::string& save_dir,
                           const std::vector<std::string>& peers, std::chrono::seconds timeout,
                           std::string* report = nullptr);

struct HttpReply {
  int status = 0;                              // 0: no reply (connection refused, timeout)
  std::map<std::string, std::string> headers;  // lower-case names; the last of each
  std::string body;
  std::string error;  // curl's complaint when status is 0
};

// Runs `curl -sS -i URL ARGS...` (ARGS: -d, -F, -H … as curl takes them)
// inside `netns` ("" = ours), bounded by 30 s, and parses the reply.
HttpReply HttpRequest(const std::string& netns, const std::string& url,
                      const std::vector<std::string>& args = {});

// "%2eAB…": every byte of the 20-byte hash `hex40` percent-encoded, for
// announce and scrape URLs.
std::string PercentEncodedHash(const std::string& hex40);

}  // namespace ferry::test
