#include "core/staging_writer.h"

#include <algorithm>

#include "util/log.h"

namespace ferry::core {

// The running digests of a file (either may be null); touched only on the
// hashing thread.
struct StagingWriter::HashState {
  std::unique_ptr<Digest> sha256;
  std::unique_ptr<Digest> pieces_root;

  void Update(std::span<const std::byte> data) {
    if (sha256) sha256->Update(data);
    if (pieces_root) pieces_root->Update(data);
  }
  Hashes Final() {
    return {sha256 ? sha256->FinalHex() : std::string(),
            pieces_root ? pieces_root->FinalHex() : std::string()};
  }
};

StagingWriter::StagingWriter(Deps deps, const EngineConfig& cfg, Guid job, uint32_t file)
    : deps_(std::move(deps)), cfg_(cfg), job_(job), file_(file) {}

std::shared_ptr<StagingWriter::HashState> StagingWriter::NewHashState() const {
  auto h = std::make_shared<HashState>();
  if (hashing_.sha256 && deps_.digest) h->sha256 = deps_.digest();
  if (hashing_.pieces_root && deps_.pieces_root) h->pieces_root = deps_.pieces_root();
  if (!h->sha256 && !h->pieces_root) return nullptr;
  return h;
}

Status StagingWriter::Open(uint64_t size_hint, uint64_t resume_at, Hashing hashing,
                           sys::WallTime now) {
  auto staging = deps_.payload->Open(job_, file_, size_hint);
  if (!staging.ok()) return staging.status();
  staging_ = std::move(staging.value());
  written_ = flushed_ = ckpt_base_ = resume_at;
  last_ckpt_ = now;
  buf_ = std::make_shared<std::vector<std::byte>>();
  buf_->reserve(cfg_.write_buffer_bytes);
  hashing_ = hashing;
  hash_ = NewHashState();
  if (hash_) {
    // Resuming: the bytes already in staging were hashed by a previous
    // attempt (or process); hash them once more, in order, before new ones.
    if (written_ > 0) HashFromStaging(0, written_);
  }
  return Status::OK();
}

void StagingWriter::HashFromStaging(uint64_t from, uint64_t n) {
  deps_.hasher->Post([h = hash_, st = staging_, from, n] {
    std::vector<std::byte> chunk(static_cast<size_t>(std::min<uint64_t>(n, 1 << 20)));
    for (uint64_t off = from; off < from + n;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), from + n - off));
      auto got = st->Read(off, std::span(chunk.data(), want));
      if (!got.ok() || *got == 0) break;  // a short staging file fails the final compare
      h->Update(std::span(chunk.data(), *got));
      off += *got;
    }
  });
}

Status StagingWriter::WriteDirect(std::span<const std::byte> data) {
  // A large chunk with nothing buffered: written from the transport's buffer
  // as it is (no copy on the loop); the hashing thread reads it back from
  // the page cache, in order with the buffered chunks.
  Status s = staging_->Write(flushed_, data);
  if (!s.ok()) {
    log::Warn("job {} file {}: staging write failed: {}", job_.ToString(), file_, s.ToString());
    return s;
  }
  if (hash_) HashFromStaging(flushed_, data.size());
  flushed_ += data.size();
  return Status::OK();
}

Status StagingWriter::Append(std::span<const std::byte> data, bool direct_ok) {
  size_t n = data.size();
  size_t off = 0;
  if (direct_ok && buf_->empty() && n >= kDirectWriteBytes) {
    Status s = WriteDirect(data);
    if (!s.ok()) return s;
    off = n;
  }
  while (off < n) {
    size_t room = cfg_.write_buffer_bytes - buf_->size();
    size_t take = std::min(room, n - off);
    buf_->insert(buf_->end(), data.begin() + off, data.begin() + off + take);
    off += take;
    if (buf_->size() >= cfg_.write_buffer_bytes) {
      Status s = Flush();
      if (!s.ok()) return s;
    }
  }
  written_ += n;
  return Status::OK();
}

Status StagingWriter::Flush() {
  if (buf_->empty()) return Status::OK();
  if (before_write_) before_write_();
  Status s = staging_->Write(flushed_, std::span<const std::byte>(buf_->data(), buf_->size()));
  if (!s.ok()) {
    log::Warn("job {} file {}: staging write failed: {}", job_.ToString(), file_, s.ToString());
    return s;
  }
  flushed_ += buf_->size();
  if (hash_) {
    deps_.hasher->Post([h = hash_, b = buf_] { h->Update(*b); });
    buf_ = std::make_shared<std::vector<std::byte>>();
    buf_->reserve(cfg_.write_buffer_bytes);
  } else {
    buf_->clear();
  }
  return Status::OK();
}

void StagingWriter::Checkpoint(sys::WallTime now, Recorder record,
                               std::function<void(Status)> failed) {
  if (!Flush().ok()) return;
  ckpt_in_flight_ = true;
  ckpt_base_ = flushed_;
  last_ckpt_ = now;
  uint64_t upto = flushed_;
  // The worker may run after the engine is gone: it reaches only the
  // staging file and the loop (which outlive the workers).
  auto after = lifetime_.Guard([this, failed = std::move(failed)](const Status& s) {
    ckpt_in_flight_ = false;
    if (!s.ok()) failed(s);
  });
  deps_.workers->Post([st = staging_, loop = deps_.loop, upto, record = std::move(record),
                       after = std::move(after)]() mutable {
    Status s = st->Sync();
    loop->Post([s, upto, record = std::move(record), after = std::move(after)]() mutable {
      if (s.ok()) record(upto);  // guarded by the engine's own lifetime
      after(s);
    });
  });
}

void StagingWriter::SyncThen(std::function<void(Status, uint64_t)> done) {
  uint64_t upto = flushed_;
  sys::RunOnWorkerThenLoop(
      *deps_.workers, *deps_.loop, lifetime_, [st = staging_] { return st->Sync(); },
      [upto, done = std::move(done)](Status s) { done(std::move(s), upto); });
}

Status StagingWriter::SyncNow() { return staging_ ? staging_->Sync() : Status::OK(); }

void StagingWriter::FinishHash(std::function<void(Hashes)> done) {
  sys::RunOnWorkerThenLoop(
      *deps_.hasher, *deps_.loop, lifetime_, [h = hash_] { return h ? h->Final() : Hashes{}; },
      std::move(done));
}

void StagingWriter::Restart() {
  buf_->clear();
  written_ = flushed_ = ckpt_base_ = 0;
  Status s = deps_.payload->Truncate(job_, file_, 0);
  if (!s.ok()) log::Warn("job {}: truncating staging failed: {}", job_.ToString(), s.ToString());
  hash_ = NewHashState();
}

}  // namespace ferry::core
