#include "transfer/p2p/torrent_parking.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "util/log.h"

namespace ferry::transfer {

using Stored = core::FetchHost::ResumeStored;

TorrentParking::~TorrentParking() {
  for (auto& [id, p] : parked_)
    if (p.timer != 0) clock_.Cancel(p.timer);
}

void TorrentParking::Park(torrent::Session& session, torrent::TorrentId id, Entry entry) {
  session_ = &session;
  Parked& p = parked_[id];
  p.entry = std::move(entry);
  session.Pause(id);
  if (!session.SaveResumeData(id).ok()) {
    Unpark(id, Stored::kStale);
    return;
  }
  p.timer = clock_.Schedule(clock_.Now() + kParkTimeout, lifetime_.Guard([this, id] {
    auto it = parked_.find(id);
    if (it == parked_.end()) return;
    it->second.timer = 0;
    log::Warn("job {} file {}: no resume data from libtorrent in {} s; removing its torrent",
              it->second.entry.job.ToString(), it->second.entry.file, kParkTimeout.count());
    Unpark(id, Stored::kStale);
  }));
}

void TorrentParking::OnEvent(const torrent::Event& event, torrent::TorrentId id) {
  auto it = parked_.find(id);
  if (it == parked_.end()) return;
  Parked& p = it->second;
  if (const auto* r = std::get_if<torrent::event::ResumeDataSaved>(&event)) {
    p.data = r->data;
  } else if (const auto* f = std::get_if<torrent::event::ResumeDataFailed>(&event)) {
    log::Warn("job {} file {}: resume data at stop failed: {}", p.entry.job.ToString(),
              p.entry.file, f->message);
  } else {
    return;  // paused: the rest (status, errors) no longer matters
  }
  if (--p.entry.pending > 0) return;
  Store(id);
}

// Sync staging, then store: the data never names a piece not on disk.
void TorrentParking::Store(torrent::TorrentId id) {
  Parked& p = parked_.at(id);
  if (p.data.empty()) return Unpark(id, Stored::kStale);
  auto finish = [this, id](Status synced) {
    auto it = parked_.find(id);
    if (it == parked_.end()) return;
    Parked& q = it->second;
    if (!synced.ok()) {
      log::Warn("job {} file {}: staging sync failed ({}); resume data not kept",
                q.entry.job.ToString(), q.entry.file, synced.ToString());
      return Unpark(id, Stored::kStale);
    }
    Unpark(id, q.entry.store(std::move(q.data), q.entry.bytes));
  };
  if (draining_) return finish(p.entry.staging->Sync());
  sys::RunOnWorkerThenLoop(
      *p.entry.workers, loop_, lifetime_, [staging = p.entry.staging] { return staging->Sync(); },
      finish);
}

void TorrentParking::Unpark(torrent::TorrentId id, Stored outcome) {
  auto it = parked_.find(id);
  if (it == parked_.end()) return;
  Parked p = std::move(it->second);
  parked_.erase(it);
  if (p.timer != 0) clock_.Cancel(p.timer);
  // A job gone (cancelled) took its staging: libtorrent's part file goes too.
  session_->Remove(id, outcome == Stored::kGone);
  for (auto& fn : p.waiters) sys::PostIfAlive(loop_, lifetime_, std::move(fn));
}

void TorrentParking::AfterParked(const Guid& job, uint32_t file, std::function<void()> fn) {
  for (auto& [id, p] : parked_) {
    if (p.entry.job == job && p.entry.file == file) {
      p.waiters.push_back(std::move(fn));
      return;
    }
  }
  sys::PostIfAlive(loop_, lifetime_, std::move(fn));
}

void TorrentParking::Drain(std::chrono::milliseconds budget) {
  if (parked_.empty() || session_ == nullptr) return;
  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + budget;
  draining_ = true;
  while (!parked_.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) break;
    pollfd fd{session_->NotifyFd(), POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(left.count()));
    session_->DispatchEvents();  // parked torrents' events come back to OnEvent
  }
  draining_ = false;
  while (!parked_.empty()) {
    log::Warn("job {} file {}: no resume data by shutdown",
              parked_.begin()->second.entry.job.ToString(), parked_.begin()->second.entry.file);
    Unpark(parked_.begin()->first, Stored::kStale);
  }
}

}  // namespace ferry::transfer
