#include "core/download.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/download_entry.h"
#include "core/download_properties.h"
#include "core/statistics.h"
#include "util/log.h"

namespace ferry::core {

using P = DownloadProperty;

DownloadStatus DownloadStatusOf(bool started, const JobSnapshot* snap) {
  DownloadStatus st;
  if (!snap) {
    st.state = DownloadState::kAborted;
    return st;
  }
  st.bytes_total = snap->progress.bytes_total;
  st.bytes_transferred = snap->progress.bytes_transferred;
  if (snap->job.files.empty()) st.bytes_total = kSizeUnknown;
  int32_t err = snap->job.error ? snap->job.error->code : 0;
  switch (snap->job.state) {
    case JobState::kAcknowledged:
      st.state = DownloadState::kFinalized;
      break;
    case JobState::kCancelled:
      st.state = DownloadState::kAborted;
      break;
    case JobState::kQueued:
    case JobState::kConnecting:
    case JobState::kTransferring:
      st.state = DownloadState::kTransferring;
      break;
    case JobState::kTransferred:
      st.state = DownloadState::kTransferred;
      break;
    case JobState::kSuspended:
      st.state = DownloadState::kPaused;
      break;
    case JobState::kTransientError:
      st.state = DownloadState::kPaused;
      st.extended_error = err;
      break;
    case JobState::kError:
      st.state = DownloadState::kPaused;
      st.error = err;
      break;
  }
  if (!started && st.state == DownloadState::kPaused) st.state = DownloadState::kCreated;
  return st;
}

Downloads::Downloads(const DownloadDeps& deps) : deps_(deps) {}

Downloads::~Downloads() {
  if (sub_) deps_.engine->events().Unsubscribe(sub_);
}

Result<std::unique_ptr<Downloads>> Downloads::Open(const DownloadDeps& deps) {
  std::unique_ptr<Downloads> d(new Downloads(deps));
  std::vector<DownloadRecord> recs;
  if (Status s = deps.store->LoadDownloads(&recs); !s.ok()) return s;
  for (auto& rec : recs) {
    auto e = std::make_unique<Entry>();
    e->rec = std::move(rec);
    Guid id = e->rec.id;
    if (!deps.engine->IsLive(id) || !e->Flag(P::kNonVolatile)) {
      if (deps.engine->IsLive(id)) {
        log::Info("download {}: not NonVolatile, dropped at service start", id.ToString());
        deps.engine->Cancel(id);
      }
      if (Status s = deps.store->RemoveDownload(id); !s.ok()) return s;
      continue;
    }
    Entry& kept = *(d->entries_[id] = std::move(e));
    if (kept.Stream()) d->LoseStream(kept);
  }
  d->sub_ = deps.engine->events().Subscribe(d.get(), /*raw=*/true);
  return d;
}

Downloads::Entry* Downloads::Find(const Guid& id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.get();
}
const Downloads::Entry* Downloads::Find(const Guid& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.get();
}

bool Downloads::Has(const Guid& id) const { return Find(id) != nullptr; }

std::optional<uint32_t> Downloads::Owner(const Guid& id) const {
  const Entry* e = Find(id);
  if (!e) return std::nullopt;
  return e->rec.owner_uid;
}

Status Downloads::Save(Entry& e) { return deps_.store->PutDownload(e.rec); }

Status Downloads::Create(const Caller& caller, Guid* id) {
  Guid g;
  if (Status s = deps_.engine->CreateJob(caller, "download", JobType::kDownload, &g); !s.ok())
    return s;
  auto e = std::make_unique<Entry>();
  e->rec.id = g;
  e->rec.owner_uid = caller.uid;
  if (Status s = Save(*e); !s.ok()) {
    deps_.engine->Cancel(g);
    return s;
  }
  entries_[g] = std::move(e);
  *id = g;
  return Status::OK();
}

Result<DownloadStatus> Downloads::GetStatus(const Guid& id) const {
  const Entry* e = Find(id);
  if (!e) return Status(code::kJobNotFound, fmt::format("no download {}", id.ToString()));
  if (e->ended) return *e->ended;
  auto snap = deps_.engine->GetJob(id);
  DownloadStatus st = DownloadStatusOf(e->rec.started, snap.ok() ? &snap.value() : nullptr);
  // A stream download is Transferred once its sink has every byte.
  if (st.state == DownloadState::kTransferred && e->Stream() && !e->drained)
    st.state = DownloadState::kTransferring;
  if (e->failure && (st.state != DownloadState::kTransferring || e->Stream())) {
    st.state = DownloadState::kPaused;
    st.error = e->failure->code();
    st.extended_error = 0;
  }
  // A failed mandatory check is Aborted at once (OnEvent then cancels the
  // job), so no reader sees a Paused download that could be started again.
  if (st.error == code::kValidationFailed && e->Flag(P::kIntegrityCheckMandatory))
    st.state = DownloadState::kAborted;
  return st;
}

Result<FileStats> Downloads::GetStats(const Guid& id) const {
  const Entry* e = Find(id);
  if (!e) return Status(code::kJobNotFound, fmt::format("no download {}", id.ToString()));
  if (e->ended_stats) return *e->ended_stats;
  auto snap = deps_.engine->GetJob(id);
  if (!snap.ok() || snap->job.files.empty()) return FileStats{};
  return FileStatsOf(snap->job, 0);
}

// A descriptor does not survive a restart: a started stream download fails
// (only Abort remains); one still in Created forgets its sink.
void Downloads::LoseStream(Entry& e) {
  if (e.rec.started) {
    Fail(e.rec.id, Status(kStreamBroken,
                          "the stream sink (a descriptor) cannot survive a service restart: "
                          "abort this download and start a new one"));
    return;
  }
  e.rec.props.erase(static_cast<uint32_t>(P::kStreamInterface));
  if (Status s = Save(e); !s.ok())
    log::Warn("download {}: cannot forget its stream sink: {}", e.rec.id.ToString(), s.ToString());
}

void Downloads::End(Entry& e, DownloadState final_state, int32_t error) {
  auto st = GetStatus(e.rec.id);
  DownloadStatus last = st.ok() ? st.value() : DownloadStatus{};
  last.state = final_state;
  last.error = error;
  last.extended_error = 0;
  auto stats = GetStats(e.rec.id);
  e.ended_stats = stats.ok() ? stats.value() : FileStats{};
  e.ended = last;
  if (e.stream_fd >= 0) ::close(e.stream_fd);
  e.stream_fd = -1;
  e.writer.reset();  // joins its thread (never blocked in write) and closes the sink
  if (Status s = deps_.store->RemoveDownload(e.rec.id); !s.ok())
    log::Warn("download {}: cannot forget its record: {}", e.rec.id.ToString(), s.ToString());
}

std::vector<Guid> Downloads::Enum(
    std::optional<uint32_t> owner,
    const std::optional<std::pair<uint32_t, std::string>>& category) const {
  std::vector<Guid> out;
  for (const auto& [id, e] : entries_) {
    if (e->ended || !deps_.engine->IsLive(id)) continue;
    if (owner && e->rec.owner_uid != *owner) continue;
    if (category) {
      std::string have = category->first == static_cast<uint32_t>(P::kId)
                             ? id.ToString()
                             : e->Str(static_cast<P>(category->first));
      if (have != category->second) continue;
    }
    out.push_back(id);
  }
  return out;
}

}  // namespace ferry::core
