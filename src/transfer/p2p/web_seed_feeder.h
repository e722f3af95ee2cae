// WebSeedFeeder: a torrent's web seeds (BEP 19) fetched by ferry's own HTTP
// engine — with the job's proxy, TLS and header settings, like any HTTP file
// of the job — instead of by libtorrent's client, which ferryd's session
// keeps off (SessionSettings::libtorrent_web_seeds). Pieces are handed to
// libtorrent whole (Session::AddPiece), which checks their hash before they
// count; no unverified byte reaches the file (docs/p2p.md "Web seeds").
//
// Peers first, as for content ids: a run of missing pieces is asked for only
// when the torrent's peers have sent nothing for kPeersFirst (no peers, or
// stalled ones), one run (up to kRunBytes) at a time. A web seed that fails
// kMaxFailures times (HTTP errors, short or unranged answers, pieces failing
// their hash) is dropped for this fetch; the next one is tried.
//
// Engine thread only; owned by its PeerFetch, which outlives nothing of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_source.h"
#include "core/fetch.h"
#include "lib/torrent/session.h"
#include "sys/clock.h"
#include "sys/lifetime.h"

namespace ferry::transfer {

// Bytes of one or more pieces from one place: a file on a web seed, or zeros
// (a pad file: url empty).
struct PieceSegment {
  std::string url;
  uint64_t offset = 0;  // in that file
  uint64_t length = 0;
};

// The URL of `file` of the torrent on web seed `seed` (BEP 19): a torrent of
// one file is the seed itself unless it ends in '/'; otherwise the seed, a
// '/', and the file's path in the torrent (its top directory included), each
// path segment percent-encoded.
std::string WebSeedFileUrl(const std::string& seed, const torrent::TorrentStatus& st,
                           const torrent::FileEntry& file);

// Pieces first..last (inclusive) as segments in torrent order, adjacent ones
// of one file merged; bytes between files are pad bytes. Empty when the
// status has no metadata or the pieces are out of range. Pure.
std::vector<PieceSegment> PieceSegments(const torrent::TorrentStatus& st, const std::string& seed,
                                        int first, int last);

// The next run to fetch: the first piece that is missing, not in `busy`, and
// overlaps bytes [begin, end) of the torrent, then the missing pieces after
// it up to `max_bytes` in all (one at least). nullopt when none is left.
std::optional<std::pair<int, int>> NextRun(const torrent::TorrentStatus& st, uint64_t begin,
                                           uint64_t end, uint64_t max_bytes,
                                           const std::set<int>& busy);

class WebSeedFeeder {
 public:
  static constexpr std::chrono::seconds kPeersFirst{3};
  static constexpr uint64_t kRunBytes = 4ull << 20;
  static constexpr int kMaxFailures = 3;

  // `begin`..`end`: the bytes of the torrent the fetch wants (its file).
  WebSeedFeeder(core::FetchHost& host, core::ByteSource& http, torrent::Session& session,
                torrent::TorrentId id, uint64_t begin, uint64_t end);
  ~WebSeedFeeder();

  // Each status tick: starts a run when none is on its way, the peers have
  // sent nothing since `last_peer_bytes` + kPeersFirst, and a web seed is left.
  void OnTick(const torrent::TorrentStatus& st, sys::WallTime last_peer_bytes);
  // A piece failed its hash check: one of this feeder's counts against its web seed.
  void OnPieceFailed(int piece);
  // Whether a run is on its way (bytes flowing from a web seed).
  bool busy() const { return sink_ != nullptr; }

 private:
  class Sink;
  void StartRun(const torrent::TorrentStatus& st, int first, int last);
  void NextSegment();
  // Bytes of the current segment arrived; whole pieces go to libtorrent.
  void Take(const char* data, size_t size);
  void EndSegment(Status status);
  void Failed(const std::string& why);
  void DropStream();
  int PieceSize(int piece) const;

  core::FetchHost& host_;
  core::ByteSource& http_;
  torrent::Session& session_;
  torrent::TorrentId id_;
  uint64_t begin_, end_;
  torrent::TorrentStatus st_;  // as of the run's start
  size_t seed_ = 0;            // index in st_.web_seeds
  int failures_ = 0;           // of the current web seed
  sys::WallTime last_peer_bytes_{};
  std::vector<PieceSegment> segments_;
  size_t segment_ = 0;
  uint64_t segment_done_ = 0;
  int piece_ = 0;  // the piece being filled
  int last_ = 0;   // the run's last piece
  std::string buffer_;
  std::set<int> added_;  // handed to libtorrent, not yet seen verified
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<core::ByteStream> stream_;
  std::vector<std::unique_ptr<Sink>> retired_;  // until their streams are stopped
  sys::Lifetime lifetime_;                      // last: dies first
};

}  // namespace ferry::transfer
