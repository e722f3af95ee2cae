// TorrentParking: the torrents of stopped fetches, kept paused in the session
// until their resume data is stored (docs/p2p.md "Resume data").
//
// A PeerFetch is destroyed soon after Stop (Suspend, the scheduler giving the
// slot to another job, shutdown), but libtorrent answers save_resume_data
// with an alert, later. So Stop hands the torrent over: it is paused, its
// resume data asked for; when the data comes, staging is synced (the data
// must never name a piece that is not on disk), the data stored with the
// file through FetchHost::ResumeRecorder, and the torrent removed. Without an
// answer within kParkTimeout it is removed all the same (the file then has
// its last checkpoint's data, as before).
//
// A fetch of the same file that starts meanwhile waits (AfterParked): two
// torrents of one info-hash cannot share the session, and it should start
// from the newest data. At shutdown Drain does the same work blocking, since
// the loop no longer turns.
//
// Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/fetch.h"
#include "ferry/types.h"
#include "lib/torrent/session.h"
#include "sys/clock.h"
#include "sys/executor.h"
#include "sys/lifetime.h"

namespace ferry::transfer {

class TorrentParking {
 public:
  using Recorder = std::function<core::FetchHost::ResumeStored(std::string, uint64_t)>;
  struct Entry {
    Guid job;
    uint32_t file = 0;
    std::shared_ptr<core::StagingFile> staging;
    sys::Executor* workers = nullptr;  // for the staging sync; outlives the loop's turns
    Recorder store;
    uint64_t bytes = 0;  // verified bytes when the fetch stopped
    // Resume-data events still to come: 2 when a checkpoint's request was
    // already on its way (the later answer is the newer one).
    int pending = 1;
  };
  static constexpr std::chrono::seconds kParkTimeout{10};

  TorrentParking(sys::Executor& loop, sys::Clock& clock) : loop_(loop), clock_(clock) {}
  ~TorrentParking();

  // Takes torrent `id` of `session` (already unwatched by its fetch).
  void Park(torrent::Session& session, torrent::TorrentId id, Entry entry);
  bool Owns(torrent::TorrentId id) const { return parked_.count(id) != 0; }
  // An event of a torrent it Owns.
  void OnEvent(const torrent::Event& event, torrent::TorrentId id);
  // fn runs (on a later loop turn) once no torrent of (job, file) is parked;
  // at once when none is.
  void AfterParked(const Guid& job, uint32_t file, std::function<void()> fn);
  // Blocks at most `budget`, dispatching the session's events, until nothing
  // is parked; what is still parked then is removed.
  void Drain(std::chrono::milliseconds budget);

 private:
  struct Parked {
    Entry entry;
    std::string data;  // the newest resume data so far
    sys::Clock::TimerId timer = 0;
    std::vector<std::function<void()>> waiters;
  };
  void Store(torrent::TorrentId id);
  void Unpark(torrent::TorrentId id, core::FetchHost::ResumeStored outcome);

  sys::Executor& loop_;
  sys::Clock& clock_;
  torrent::Session* session_ = nullptr;  // the backend's one session
  std::map<torrent::TorrentId, Parked> parked_;
  bool draining_ = false;
  sys::Lifetime lifetime_;  // last: dies first
};

}  // namespace ferry::transfer
