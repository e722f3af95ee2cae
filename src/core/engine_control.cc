// Engine: state-changing calls (Resume, Suspend, Cancel, Complete), failure
// and retry handling, expiry, and what a Fetch reports back.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "core/engine.h"
#include "core/engine_impl.h"
#include "core/fetch.h"
#include "core/job_state.h"
#include "util/log.h"
#include "util/status_codes.h"
#include "util/torrent_source.h"

namespace ferry::core {

Status Engine::Resume(const Guid& id) {
  Impl& m = *impl_;
  RuntimeJob* j;
  if (Status s = m.Mutable(id, &j); !s.ok()) return s;
  switch (j->rec.state) {
    case JobState::kSuspended:
      if (j->rec.files.empty())
        return Status(code::kJobEmpty, fmt::format("job {} has no files", id.ToString()));
      break;
    case JobState::kTransientError:
    case JobState::kError:
      if (j->retry_timer) m.deps.clock->Cancel(j->retry_timer);
      j->retry_timer = 0;
      break;
    default:
      return Status::OK();  // already active, or TRANSFERRED: no change
  }
  j->rec.last_progress = m.Now();  // the no-progress clock starts again
  m.Move(*j, JobState::kQueued, "Resume");
  Status s = m.Flush();
  m.Schedule();
  return s;
}

Status Engine::Suspend(const Guid& id) {
  Impl& m = *impl_;
  RuntimeJob* j;
  if (Status s = m.Mutable(id, &j); !s.ok()) return s;
  if (j->rec.state == JobState::kSuspended) return Status::OK();
  m.StopAttempt(*j);
  if (j->retry_timer) m.deps.clock->Cancel(j->retry_timer);
  j->retry_timer = 0;
  m.Move(*j, JobState::kSuspended, "Suspend");
  Status s = m.Flush();
  m.Schedule();
  return s;
}

Status Engine::Cancel(const Guid& id) {
  Impl& m = *impl_;
  RuntimeJob* j;
  if (Status s = m.Mutable(id, &j); !s.ok()) return s;
  Status s = m.CancelJob(*j, JobState::kCancelled, 0, "Cancel");
  m.Schedule();
  return s;
}

void Engine::Complete(const Guid& id, std::function<void(Status)> done) {
  Complete(id, {}, std::move(done));
}

namespace {
void CloseAll(std::map<uint32_t, int>& fds) {
  for (auto& [file, fd] : fds)
    if (fd >= 0) ::close(fd);
  fds.clear();
}
}  // namespace

void Engine::Complete(const Guid& id, std::map<uint32_t, int> fd_map,
                      std::function<void(Status)> done) {
  Impl& m = *impl_;
  RuntimeJob* j;
  auto fds = std::make_shared<std::map<uint32_t, int>>(std::move(fd_map));
  if (Status s = m.Mutable(id, &j); !s.ok()) {
    CloseAll(*fds);
    done(s);
    return;
  }
  if (!fds->empty()) {
    for (const auto& f : j->rec.files)
      if (f.transferred && !f.delivered && !fds->count(f.index)) {
        CloseAll(*fds);
        done(Status(code::kInvalidArg, fmt::format("no file descriptor for finished file {} ({})",
                                                   f.index, f.local_name)));
        return;
      }
  }
  m.StopAttempt(*j);
  if (j->retry_timer) m.deps.clock->Cancel(j->retry_timer);
  j->retry_timer = 0;
  if (IsRunning(j->rec.state)) m.Move(*j, JobState::kQueued, "Complete stops the transfer");
  std::vector<uint32_t> deliver;
  bool partial = false;
  for (const auto& f : j->rec.files) {
    if (f.transferred && !f.delivered) deliver.push_back(f.index);
    if (!f.transferred) partial = true;
  }
  j->completing = true;
  m.DeliverNext(id, std::move(deliver), partial, std::move(fds), std::move(done));
}

void Engine::Impl::DeliverNext(const Guid& id, std::vector<uint32_t> files, bool partial,
                               std::shared_ptr<std::map<uint32_t, int>> fds,
                               std::function<void(Status)> done) {
  RuntimeJob* j = Find(id);
  if (!j) {
    CloseAll(*fds);
    return;
  }
  if (files.empty()) {
    CloseAll(*fds);
    Status rm = deps.payload->RemoveJob(id);  // the unfinished files' staging
    if (!rm.ok()) log::Warn("job {}: could not delete staging: {}", id.ToString(), rm.ToString());
    j->completing = false;
    Move(*j, JobState::kAcknowledged, "Complete");
    Finalize(*j, JobState::kAcknowledged, 0);
    Schedule();
    if (partial)
      done(Status(code::kPartialComplete, "only the finished files were delivered"));
    else if (!rm.ok())
      done(Status(code::kUnableToDeleteFiles, rm.message()));
    else
      done(Status::OK());
    return;
  }
  // The whole batch in one worker task: the store syncs each destination
  // directory once, and the engine commits once, instead of per file.
  std::vector<Delivery> items;
  for (uint32_t file : files) {
    const FileRecord& f = j->rec.files[file];
    Delivery d{file, f.local_name, f.bytes_total, -1,
               TorrentSaveDirectory(f.remote_url, f.local_name)};
    if (auto it = fds->find(file); it != fds->end()) {
      d.fd = it->second;
      fds->erase(it);
    }
    items.push_back(std::move(d));
  }
  // The worker may run after the engine is gone: only the payload store
  // (which outlives the workers) is reached from it.
  PayloadStore* payload = deps.payload;
  auto batch = std::make_shared<std::vector<Delivery>>(std::move(items));
  auto deliver = [payload, id, batch] {
    size_t n = 0;
    Status s = payload->DeliverMany(id, *batch, &n);
    return std::pair<Status, size_t>(std::move(s), n);
  };
  sys::RunOnWorkerThenLoop(
      *deps.workers, *deps.loop, lifetime, std::move(deliver),
      [this, id, batch, partial, fds, done = std::move(done)](std::pair<Status, size_t> r) mutable {
        OnDelivered(id, *batch, std::move(r.first), r.second, partial, std::move(fds),
                    std::move(done));
      });
}

void Engine::Impl::OnDelivered(const Guid& id, const std::vector<Delivery>& items, Status s,
                               size_t n, bool partial, std::shared_ptr<std::map<uint32_t, int>> fds,
                               std::function<void(Status)> done) {
  RuntimeJob* j = Find(id);
  if (!j) {
    CloseAll(*fds);
    return;
  }
  for (size_t k = 0; k < n; ++k) {
    uint32_t file = items[k].file;
    j->rec.files[file].delivered = true;
    DropLiveName(j->rec.files[file].local_name);
    MarkFileDirty(*j, file);
  }
  if (!s.ok())
    log::Warn("job {} file {}: delivery failed: {}", id.ToString(), items[n].file, s.ToString());
  // The deliveries are recorded before the staging files go (a crash in
  // between must not leave undelivered files without their staging); a
  // record that cannot be written (disk full) fails the call like a
  // failed delivery, and a retried Complete finishes.
  Status c = Flush();
  if (s.ok() && !c.ok()) s = c;
  if (!s.ok()) {
    CloseAll(*fds);
    j->completing = false;
    Schedule();
    done(s);
    return;
  }
  DeliverNext(id, {}, partial, std::move(fds), std::move(done));
}

Status Engine::Impl::CancelJob(RuntimeJob& j, JobState final_state, int32_t reason,
                               std::string_view why) {
  StopAttempt(j);
  Status rm = deps.payload->RemoveJob(j.rec.id);
  if (!rm.ok())
    log::Warn("job {}: could not delete staging: {}", j.rec.id.ToString(), rm.ToString());
  Move(j, final_state, why);
  Finalize(j, final_state, reason);
  if (!rm.ok()) return Status(code::kUnableToDeleteFiles, rm.message());
  return Status::OK();
}

void Engine::Impl::Finalize(RuntimeJob& j, JobState final_state, int32_t reason) {
  Guid id = j.rec.id;
  StopAttempt(j);
  if (j.retry_timer) deps.clock->Cancel(j.retry_timer);
  if (j.expiry_timer) deps.clock->Cancel(j.expiry_timer);
  JobSnapshot snap = Snapshot(j);
  snap.live = false;
  finals[id] = std::move(snap);
  finals_order.push_back(id);
  while (finals_order.size() > 1024) {
    finals.erase(finals_order.front());
    finals_order.pop_front();
  }
  removed_pending.push_back(id);
  history_pending.push_back(
      HistoryRecord{id, j.rec.owner_uid, j.rec.display_name, final_state, reason, Now()});
  events.Forget(id);
  for (const auto& f : j.rec.files)
    if (!f.delivered) DropLiveName(f.local_name);
  CountJob(j.rec.owner_uid, -1);
  jobs.erase(id);  // j is gone from here on
  order.erase(std::remove(order.begin(), order.end(), id), order.end());
  Flush();
}

void Engine::Impl::EnterFailure(RuntimeJob& j, ErrorRecord err, bool transient,
                                std::optional<std::chrono::seconds> retry_after) {
  auto now = Now();
  uint32_t timeout = NoProgressTimeout(j.rec);
  if (transient && timeout > 0) {
    auto deadline = j.rec.last_progress + std::chrono::seconds(timeout);
    if (now < deadline) {
      auto delay = std::chrono::seconds(j.rec.min_retry_delay_s);
      if (retry_after && *retry_after > delay) delay = *retry_after;
      j.rec.retry_at = now + delay;
      j.rec.error = err;
      Move(j, JobState::kTransientError, Status(err.code, "").Name());
      j.rec.error = std::move(err);
      Guid id = j.rec.id;
      if (j.retry_timer) deps.clock->Cancel(j.retry_timer);
      j.retry_timer = deps.clock->Schedule(std::min(j.rec.retry_at, deadline),
                                           [this, id] { OnRetryTimer(id); });
      Flush();
      return;
    }
    err.message = fmt::format("no progress for {} s; last error: {}", timeout,
                              Status(err.code, err.message).ToString());
    err.code = code::kDownloadNoProgress;
  }
  if (j.retry_timer) deps.clock->Cancel(j.retry_timer);
  j.retry_timer = 0;
  j.rec.error = err;
  Move(j, JobState::kError, Status(err.code, "").Name());
  j.rec.error = std::move(err);
  Flush();
}

void Engine::Impl::OnRetryTimer(const Guid& id) {
  RuntimeJob* j = Find(id);
  if (!j || j->rec.state != JobState::kTransientError) return;
  j->retry_timer = 0;
  if (IsBlocked(*j)) {  // recovered blocked: queue it, Schedule blocks it again if need be
    Unblock(*j, "recovered");
    Flush();
    Schedule();
    return;
  }
  auto now = Now();
  uint32_t timeout = NoProgressTimeout(j->rec);
  if (timeout > 0 && now >= j->rec.last_progress + std::chrono::seconds(timeout)) {
    ErrorRecord err = j->rec.error.value_or(ErrorRecord{});
    err.message = fmt::format("no progress for {} s; last error: {}", timeout,
                              Status(err.code, err.message).ToString());
    err.code = code::kDownloadNoProgress;
    j->rec.error = err;
    Move(*j, JobState::kError, "no-progress timeout");
    j->rec.error = std::move(err);
    Flush();
    return;
  }
  Move(*j, JobState::kQueued, "retry delay passed");
  Flush();
  Schedule();
}

// --- What attempts report ---------------------------------------------------

void Engine::Impl::OnProgress(RuntimeJob& j) {
  auto now = Now();
  j.rec.last_progress = now;
  j.rec.modification = now;
  events.EmitProgress(j.rec.id);
}

void Engine::Impl::OnFileRestart(RuntimeJob& j, uint32_t file, uint64_t from) {
  j.files_rt[file].generation++;
  j.files_rt[file].durable = std::min(j.files_rt[file].durable, from);
  j.rec.files[file].bytes_transferred = from;
  MarkFileDirty(j, file);
  Touch(j);
  Flush();  // the store must not keep claiming bytes of the old version
}

void Engine::Impl::OnCheckpointed(const Guid& id, uint32_t file, uint64_t generation,
                                  uint64_t bytes) {
  RuntimeJob* j = Find(id);
  if (!j || file >= j->files_rt.size() || j->files_rt[file].generation != generation) return;
  uint64_t live = j->rec.files[file].bytes_transferred;
  uint64_t b = std::min(bytes, live);
  if (b <= j->files_rt[file].durable) return;
  j->files_rt[file].durable = b;
  MarkFileDirty(*j, file);
  PostFlush();
}

FetchHost::ResumeStored Engine::Impl::OnResumeSaved(const Guid& id, uint32_t file,
                                                    uint64_t generation, std::string data,
                                                    uint64_t bytes) {
  RuntimeJob* j = Find(id);
  if (!j || file >= j->files_rt.size()) return FetchHost::ResumeStored::kGone;
  FileRecord& f = j->rec.files[file];
  // A fetch of the file started since waits for this data (PeerBackend::
  // AfterParked): it is not stale for being newer than the record.
  if (j->files_rt[file].generation != generation || f.transferred)
    return FetchHost::ResumeStored::kStale;
  if (f.resume_data != data) {
    f.resume_data = std::move(data);
    MarkFileDirty(*j, file);
    PostFlush();
  }
  OnCheckpointed(id, file, generation, bytes);
  return FetchHost::ResumeStored::kStored;
}

void Engine::Impl::OnFileDone(RuntimeJob& j, uint32_t file) {
  FileRecord& f = j.rec.files[file];
  f.transferred = true;
  f.bytes_transferred = f.bytes_total;
  j.files_rt[file].durable = f.bytes_total;
  MarkFileDirty(j, file);
  statistics.AddDownload(Now());  // committed with the file's row
  log::Info("job {} file {} transferred ({} bytes)", j.rec.id.ToString(), file, f.bytes_total);
  events.Emit(EventKind::kFileTransferred, j.rec.id, static_cast<int32_t>(file));
  StartNextFile(j);
}

void Engine::Impl::OnAttemptFailed(RuntimeJob& j, ErrorRecord err, bool transient,
                                   std::optional<std::chrono::seconds> retry_after) {
  log::Info("job {} file {}: attempt failed ({}): {}", j.rec.id.ToString(), err.file_index,
            transient ? "transient" : "fatal", Status(err.code, err.message).ToString());
  if (j.attempt) {
    bandwidth_paused.erase(j.attempt.get());
    attempt_graveyard.push_back(std::move(j.attempt));
    PostGraveyard();
  }
  if (err.file_index >= 0 && static_cast<size_t>(err.file_index) < j.rec.files.size())
    MarkFileDirty(j, static_cast<uint32_t>(err.file_index));
  EnterFailure(j, std::move(err), transient, retry_after);
  Schedule();
}

}  // namespace ferry::core
