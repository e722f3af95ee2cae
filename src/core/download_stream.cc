// Downloads: stream sinks. The bytes of a stream download go from its job's
// staging file to the client's descriptor, in order, through a
// sys::StreamWriter (its own thread): the engine thread only tells it how far
// staging may be read, at each of the job's events (docs/download.md,
// "Stream sinks").
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "core/download.h"
#include "core/download_entry.h"
#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::core {

// Starts the writer on a copy of the sink (the entry keeps its own until the
// Start succeeds, so that a refused Start leaves the download as it was).
Status Downloads::StartStream(Entry& e) {
  const Guid id = e.rec.id;
  auto staging = deps_.payload->Open(id, 0, kSizeUnknown);
  if (!staging.ok()) return staging.status();
  int fd = ::fcntl(e.stream_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return ErrnoStatus(errno, "duplicate the stream sink");
  auto read = [file = std::move(staging.value())](uint64_t off, std::span<std::byte> out) {
    return file->Read(off, out);
  };
  auto done = lifetime_.Guard([this, id](Status s) { OnStreamDone(id, std::move(s)); });
  auto w = sys::StreamWriter::Start(fd, std::move(read), *deps_.loop, std::move(done));
  if (!w.ok()) return w.status();
  e.writer = std::move(w.value());
  e.offered = 0;
  e.drained = false;
  return Status::OK();
}

// Lets the writer read what the job has staged: the file's live byte count
// (the requested ranges back to back, as the engine stages them), and the
// end once the file is transferred.
void Downloads::FeedStream(Entry& e) {
  if (!e.writer || e.drained || e.failure) return;
  auto snap = deps_.engine->GetJob(e.rec.id);
  if (!snap.ok() || snap->job.files.empty()) return;
  const FileRecord& f = snap->job.files[0];
  if (f.bytes_transferred < e.offered) {
    // The engine restarted the file (its content changed at the origin):
    // the bytes already written cannot be taken back.
    Fail(e.rec.id,
         Status(kStreamBroken,
                fmt::format("the file restarted at byte {} after {} bytes were written to the "
                            "stream (its content changed at the origin)",
                            f.bytes_transferred, e.offered)));
    return;
  }
  e.offered = f.bytes_transferred;
  e.writer->Offer(e.offered, f.transferred);
}

void Downloads::OnStreamDone(const Guid& id, Status s) {
  Entry* e = Find(id);
  if (!e || e->ended || !e->writer) return;
  if (!s.ok()) return Fail(id, std::move(s));
  log::Info("download {}: {} bytes written to the stream", id.ToString(), e->writer->written());
  e->drained = true;
  e->writer.reset();
  // Transferred is visible now: publish it as the job's events are.
  deps_.engine->events().Emit(EventKind::kModification, id);
}

}  // namespace ferry::core
