// Engine: what the store gets and when. Flush commits the dirty jobs (their
// rows and only their marked files), removals and history in one
// transaction; PostFlush makes that a group commit on the next loop turn;
// AfterFlush waiters hear its status. docs/engine.md "Checkpoints" and
// "Calls that commit".
#include <algorithm>
#include <cassert>

#include "core/engine_impl.h"
#include "util/log.h"

namespace ferry::core {

#ifndef NDEBUG
namespace {
// The fields a FileRecord keeps in the store, bar the statistics (written
// whenever the file is, not on their own).
bool SameStored(const FileRecord& a, const FileRecord& b) {
  return a.index == b.index && a.remote_url == b.remote_url && a.local_name == b.local_name &&
         a.file_id == b.file_id && a.ranges == b.ranges && a.expected_size == b.expected_size &&
         a.sha256 == b.sha256 && a.bytes_total == b.bytes_total &&
         a.bytes_transferred == b.bytes_transferred && a.transferred == b.transferred &&
         a.delivered == b.delivered && a.etag == b.etag && a.last_modified == b.last_modified &&
         a.validation_retries == b.validation_retries && a.resume_data == b.resume_data &&
         a.content_id == b.content_id;
}
}  // namespace
#endif

Status Engine::Impl::Flush() {
  Status s = FlushNow();
  ++flush_count;
  if (!after_flush.empty() && in_posted_flush) {
    // The group commit's own loop task: nothing is on the stack, so the
    // waiters run now (a turn sooner than posting them).
    auto fns = std::move(after_flush);
    after_flush.clear();
    for (const auto& fn : fns) fn(s);
  } else if (!after_flush.empty()) {
    // Maybe inside a transfer's callback (a forced commit): run them later.
    sys::PostIfAlive(*deps.loop, lifetime, [s, fns = std::move(after_flush)] {
      for (const auto& fn : fns) fn(s);
    });
    after_flush.clear();
  }
  return s;
}

Status Engine::Impl::FlushNow() {
  std::vector<JobWrite> writes;
  std::vector<RuntimeJob*> flushed;
  // Only the jobs marked dirty: a scan of every job would make each call
  // cost O(jobs). An id may be listed twice (a rolled-back change). Of each
  // job only the marked files: rewriting all of them made a job of n files
  // cost O(n) per commit, O(n^2) over its life.
  std::sort(dirty_ids.begin(), dirty_ids.end());
  dirty_ids.erase(std::unique(dirty_ids.begin(), dirty_ids.end()), dirty_ids.end());
  for (const Guid& id : dirty_ids) {
    RuntimeJob* j = Find(id);
    if (!j || !j->dirty) continue;
    JobWrite w;
    w.job = &j->rec;  // its own fields only; the store does not read rec.files
    std::vector<uint32_t>& df = j->dirty_files;
    std::sort(df.begin(), df.end());
    df.erase(std::unique(df.begin(), df.end()), df.end());
    for (uint32_t i : df) {
      if (i >= j->rec.files.size()) continue;  // added, then rolled back
      FileRecord f = j->rec.files[i];
      f.counted_bytes = f.bytes_transferred;  // the stats count the live bytes
      f.bytes_transferred = j->files_rt[i].durable;
      w.files.push_back(std::move(f));
    }
#ifndef NDEBUG
    for (size_t i = 0; i < j->stored_files.size() && i < j->rec.files.size(); ++i) {
      if (std::binary_search(df.begin(), df.end(), static_cast<uint32_t>(i))) continue;
      FileRecord f = j->rec.files[i];
      f.bytes_transferred = j->files_rt[i].durable;
      if (!SameStored(f, j->stored_files[i])) {
        log::Error("job {} file {} changed without MarkFileDirty", id.ToString(), i);
        assert(false && "a file changed without MarkFileDirty");
      }
    }
#endif
    writes.push_back(std::move(w));
    flushed.push_back(j);
  }
  // The totals ride along with the next commit: every received byte also
  // makes its file dirty (checkpoint, stop, end), and the file rows carry the
  // same counts (statistics.h). CommitUploadTotals asks for a commit of
  // them even when no row changed, having marked every running file.
  if (writes.empty() && removed_pending.empty() && history_pending.empty() &&
      !(totals_due && statistics.dirty()))
    return Status::OK();
  Status s = deps.job_store->Commit(writes, removed_pending, history_pending,
                                    statistics.dirty() ? &statistics.totals() : nullptr);
  if (!s.ok()) {
    log::Error("committing {} jobs failed: {}", writes.size(), s.ToString());
    return s;
  }
  for (size_t k = 0; k < flushed.size(); ++k) {
    RuntimeJob* j = flushed[k];
    j->dirty = false;
    j->stored = true;
    j->dirty_files.clear();
#ifndef NDEBUG
    if (j->stored_files.size() < j->rec.files.size()) j->stored_files.resize(j->rec.files.size());
    for (FileRecord& f : writes[k].files) j->stored_files[f.index] = std::move(f);
#endif
  }
  dirty_ids.clear();
  statistics.MarkCommitted();
  totals_due = false;
  removed_pending.clear();
  history_pending.clear();
  return Status::OK();
}

void Engine::Impl::PostFlush() {
  if (flush_posted) return;
  flush_posted = true;
  sys::PostIfAlive(*deps.loop, lifetime, [this] {
    flush_posted = false;
    if (shut_down) return;
    in_posted_flush = true;
    Flush();
    in_posted_flush = false;
  });
}

}  // namespace ferry::core
