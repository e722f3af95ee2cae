#include "core/file_attempt.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/job_state.h"
#include "util/http_header.h"
#include "util/log.h"
#include "util/status_codes.h"
#include "util/url.h"

namespace ferry::core {

// The running SHA-256 of a file; touched only on the hashing thread.
struct Attempt::HashState {
  std::unique_ptr<Digest> digest;
};

namespace {
std::vector<std::string> SplitHeaders(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}
}  // namespace

Attempt::Attempt(Engine::Impl& engine, RuntimeJob& job, uint32_t file)
    : e_(engine), job_(job), job_id_(job.rec.id), file_(file) {
  protocol_ = UrlScheme(job.rec.files[file].remote_url);
}

Attempt::~Attempt() {
  *alive_ = false;
  e_.bandwidth_paused.erase(this);
  if (transfer_) e_.RetireTransfer(std::move(transfer_));
}

ErrorRecord Attempt::MakeError(int32_t c, ErrorContext ctx, std::string message) const {
  return ErrorRecord{c, ctx, static_cast<int32_t>(file_), std::move(message), protocol_};
}

ErrorRecord Attempt::LocalError(const Status& s) const {
  return MakeError(s.code(), ErrorContext::kLocalFile, s.message());
}

bool Attempt::Begin(ErrorRecord* err) {
  FileRecord& f = F();
  f.stats.background = job_.rec.priority != JobPriority::kForeground;
  f.stats.download_mode = DownloadMode::kHttpOnly;
  written_ = flushed_ = ckpt_base_ = f.bytes_transferred;
  last_ckpt_ = e_.Now();
  uint64_t hint = f.ranges.empty() ? f.bytes_total : kSizeUnknown;
  if (!f.ranges.empty()) {
    UpdateRangeTotal();
    hint = f.bytes_total;
  }
  auto staging = e_.deps.payload->Open(job_id_, file_, hint);
  if (!staging.ok()) {
    *err = LocalError(staging.status());
    return false;
  }
  staging_ = std::move(staging.value());
  buf_ = std::make_shared<std::vector<std::byte>>();
  buf_->reserve(e_.cfg.write_buffer_bytes);
  if (!f.sha256.empty() && e_.deps.digest) {
    hash_ = std::make_shared<HashState>();
    hash_->digest = e_.deps.digest();
    if (written_ > 0) {
      // Resuming: the bytes already in staging were hashed by a previous
      // attempt (or process); hash them once more, in order, before new ones.
      HashFromStaging(0, written_);
    }
  }
  StartRequest();
  return true;
}

std::optional<uint64_t> Attempt::RangeLength(size_t i) {
  const FileRecord& f = F();
  const FileRange& r = f.ranges[i];
  if (r.length != kLengthToEof) return r.length;
  if (f.expected_size == kSizeUnknown || f.expected_size <= r.initial_offset) return std::nullopt;
  return f.expected_size - r.initial_offset;
}

bool Attempt::Locate(uint64_t local, size_t* index, uint64_t* within) {
  uint64_t cum = 0;
  for (size_t i = 0; i < F().ranges.size(); ++i) {
    auto len = RangeLength(i);
    if (!len || local < cum + *len) {
      *index = i;
      *within = local - cum;
      return true;
    }
    cum += *len;
  }
  return false;
}

void Attempt::UpdateRangeTotal() {
  FileRecord& f = F();
  uint64_t sum = 0;
  for (size_t i = 0; i < f.ranges.size(); ++i) {
    auto len = RangeLength(i);
    if (!len) return;
    sum += *len;
  }
  f.bytes_total = sum;
}

void Attempt::StartRequest() {
  FileRecord& f = F();
  const JobRecord& r = job_.rec;
  TransferRequest req;
  req.url = f.remote_url;
  req.headers = SplitHeaders(r.custom_headers);
  req.proxy_usage = r.proxy_usage;
  req.proxy_list = r.proxy_list;
  req.proxy_bypass = r.proxy_bypass;
  req.ca_file = e_.cfg.ca_file;
  req.allow_https_to_http = r.allow_https_to_http;
  req.security_flags = r.security_flags;
  req.connect_timeout = e_.cfg.connect_timeout;
  auto npt = std::chrono::seconds(e_.NoProgressTimeout(r));
  req.low_speed_time = e_.cfg.max_low_speed_time;
  if (npt.count() > 0 && npt < req.low_speed_time) req.low_speed_time = npt;
  std::string validator = IsStrongEtag(f.etag) ? f.etag : f.last_modified;

  if (f.ranges.empty()) {
    if (f.bytes_total != kSizeUnknown && written_ >= f.bytes_total && written_ > 0) {
      FinishFile();  // everything is already in staging (recovered)
      return;
    }
    req.offset = written_;
    if (written_ > 0) req.if_range = validator;
  } else {
    size_t idx;
    uint64_t within;
    if (!Locate(written_, &idx, &within)) {
      FinishFile();
      return;
    }
    req.offset = f.ranges[idx].initial_offset + within;
    if (auto len = RangeLength(idx)) req.length = *len - within;
    req.if_range = validator;
  }
  req_offset_ = req.offset;
  req_length_ = req.length;
  req_got_ = 0;
  pending_ = Pending::kNone;

  TransferBackend* backend = nullptr;
  std::string scheme = UrlScheme(f.remote_url);
  for (auto* b : e_.deps.backends)
    if (b->Supports(scheme)) backend = b;
  if (!backend) {
    Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile,
                   fmt::format("no transfer backend for scheme '{}'", scheme)),
         false);
    return;
  }
  phase_ = Phase::kRequesting;
  in_flight_since_ = e_.Now();
  log::Debug("job {} file {}: request offset {} length {}", job_id_.ToString(), file_, req.offset,
             req.length ? std::to_string(*req.length) : std::string("to-eof"));
  transfer_ = backend->Start(req, this);
  if (paused_ && transfer_) transfer_->SetPaused(true);
}

namespace {
// Why the size the origin announces for a whole file is not the one the
// caller gave (DO's TotalSizeBytes), or nullopt when they agree or either
// is unknown.
std::optional<std::string> SizeMismatch(const FileRecord& f, const TransferResponse& resp) {
  uint64_t announced = resp.total_size;
  if (announced == kSizeUnknown && !resp.partial) announced = resp.body_length;
  if (f.expected_size == kSizeUnknown || announced == kSizeUnknown || announced == f.expected_size)
    return std::nullopt;
  return fmt::format("the origin's file has {} bytes, {} were expected", announced,
                     f.expected_size);
}
}  // namespace

bool Attempt::RefuseResponse(int32_t c, std::string msg) {
  pending_ = Pending::kFail;
  pending_error_ = MakeError(c, ErrorContext::kRemoteFile, std::move(msg));
  pending_transient_ = false;
  return false;
}

std::optional<bool> Attempt::AcceptWholeFile(const TransferResponse& resp, bool validator_changed) {
  FileRecord& f = F();
  uint64_t n = written_;
  if (resp.status == 416) {
    uint64_t known = resp.total_size != kSizeUnknown ? resp.total_size : f.bytes_total;
    if (n > 0 && known == n && !validator_changed) {
      f.bytes_total = n;
      pending_ = Pending::kCompleteAt416;
      return true;
    }
    if (n > 0) {
      pending_ = Pending::kRestart;
      return false;
    }
    return RefuseResponse(code::HttpError(416), "the server refused a request for the whole file (416)");
  }
  if (auto why = SizeMismatch(f, resp)) return RefuseResponse(code::kHttpBlocksizeMismatch, *why);
  bool size_changed = n > 0 && f.bytes_total != kSizeUnknown && resp.total_size != kSizeUnknown &&
                      resp.total_size != f.bytes_total;
  if (resp.partial) {
    if (resp.body_offset != n)
      return RefuseResponse(code::kHttpBlocksizeMismatch,
                            fmt::format("asked for bytes from {}, the server sent them from {}", n,
                                        resp.body_offset));
    if (n > 0 && (validator_changed || size_changed)) {
      pending_ = Pending::kRestart;
      return false;
    }
  } else if (n > 0) {
    // 200 to a ranged request, or the validator changed: the whole new
    // version follows; restart from 0 rather than splice two versions.
    RestartFromZero(resp.status == 200 && !validator_changed ? "the server ignored Range"
                                                              : "the remote file changed");
    n = 0;
  }
  if (n == 0 || f.etag.empty()) f.etag = resp.etag;
  if (n == 0 || f.last_modified.empty()) f.last_modified = resp.last_modified;
  if (resp.total_size != kSizeUnknown)
    f.bytes_total = resp.total_size;
  else if (!resp.partial && resp.body_length != kSizeUnknown)
    f.bytes_total = resp.body_length;
  else if (n == 0)
    f.bytes_total = kSizeUnknown;
  return std::nullopt;
}

std::optional<bool> Attempt::AcceptRanges(const TransferResponse& resp, bool validator_changed) {
  FileRecord& f = F();
  if (resp.status == 416)
    return RefuseResponse(code::kInvalidRange,
                          fmt::format("the range at offset {} lies beyond the end of the remote file",
                                      req_offset_));
  if (!resp.partial) {
    if (validator_changed) {
      pending_ = Pending::kRestart;
      return false;
    }
    return RefuseResponse(code::kInsufficientRangeSupport,
                          "the server ignored the Range request for a file with ranges");
  }
  if (resp.body_offset != req_offset_)
    return RefuseResponse(code::kHttpBlocksizeMismatch,
                          fmt::format("asked for bytes from {}, the server sent them from {}",
                                      req_offset_, resp.body_offset));
  if (validator_changed && written_ > 0) {
    pending_ = Pending::kRestart;
    return false;
  }
  if (resp.total_size != kSizeUnknown) {
    f.expected_size = resp.total_size;
    for (const auto& r : f.ranges) {
      uint64_t end = r.length == kLengthToEof ? resp.total_size : r.initial_offset + r.length;
      if (r.initial_offset >= resp.total_size || end > resp.total_size)
        return RefuseResponse(code::kInvalidRange,
                              fmt::format("range {}+{} lies beyond the end of the remote file ({} bytes)",
                                          r.initial_offset, r.length, resp.total_size));
    }
    UpdateRangeTotal();
  }
  if (req_length_ && resp.body_length != kSizeUnknown && resp.body_length != *req_length_)
    return RefuseResponse(code::kHttpBlocksizeMismatch,
                          fmt::format("asked for {} bytes, the server announced {}", *req_length_,
                                      resp.body_length));
  if (f.etag.empty()) f.etag = resp.etag;
  if (f.last_modified.empty()) f.last_modified = resp.last_modified;
  return std::nullopt;
}

bool Attempt::OnResponse(const TransferResponse& resp) {
  if (phase_ != Phase::kRequesting) return false;
  FileRecord& f = F();
  bool etag_changed = !f.etag.empty() && !resp.etag.empty() && resp.etag != f.etag;
  bool lm_changed = f.etag.empty() && !f.last_modified.empty() && !resp.last_modified.empty() &&
                    resp.last_modified != f.last_modified;
  bool validator_changed = etag_changed || lm_changed;
  std::optional<bool> decided = f.ranges.empty() ? AcceptWholeFile(resp, validator_changed)
                                                 : AcceptRanges(resp, validator_changed);
  if (decided) return *decided;
  // Validators and sizes must be committed before any byte of this response
  // reaches staging: crash recovery on the same boot resumes from what
  // staging holds, and that resume must carry If-Range (semantics.md §6:
  // never a splice of two versions). The commit is the next group commit;
  // until it has run, bytes stay in the buffer (FlushBuffer forces it when
  // the buffer is full, OnDone waits for it). A failed commit is logged by
  // Flush.
  e_.MarkFileDirty(job_, file_);
  validators_flush_ = e_.flush_count + 1;
  e_.PostFlush();
  phase_ = Phase::kReceiving;
  if (job_.rec.state == JobState::kConnecting) e_.Move(job_, JobState::kTransferring, "bytes flow");
  return true;
}

bool Attempt::ValidatorsDurable() const { return e_.flush_count >= validators_flush_; }

void Attempt::HashFromStaging(uint64_t from, uint64_t n) {
  e_.hasher.Post([h = hash_, st = staging_, from, n] {
    std::vector<std::byte> chunk(static_cast<size_t>(std::min<uint64_t>(n, 1 << 20)));
    for (uint64_t off = from; off < from + n;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), from + n - off));
      auto got = st->Read(off, std::span(chunk.data(), want));
      if (!got.ok() || *got == 0) break;  // a short staging file fails the final compare
      h->digest->Update(std::span(chunk.data(), *got));
      off += *got;
    }
  });
}

bool Attempt::OnData(std::span<const std::byte> data) {
  if (phase_ != Phase::kReceiving) return false;
  FileRecord& f = F();
  size_t n = data.size();
  if (req_length_ && req_got_ + n > *req_length_) n = static_cast<size_t>(*req_length_ - req_got_);
  if (f.ranges.empty() && f.bytes_total != kSizeUnknown && written_ + n > f.bytes_total)
    n = static_cast<size_t>(f.bytes_total - written_);  // never count bytes past the known size
  size_t off = 0;
  if (buf_->empty() && n >= kDirectWriteBytes && ValidatorsDurable()) {
    // A large chunk with nothing buffered: written from libcurl's buffer as
    // it is (no copy on the loop); the hashing thread reads it back from the
    // page cache, in order with the buffered chunks.
    Status s = staging_->Write(flushed_, data.first(n));
    if (!s.ok()) {
      log::Warn("job {} file {}: staging write failed: {}", job_id_.ToString(), file_, s.ToString());
      pending_error_ = LocalError(s);
      pending_transient_ = false;
      pending_ = Pending::kFail;
      return false;
    }
    if (hash_) HashFromStaging(flushed_, n);
    flushed_ += n;
    off = n;
  }
  while (off < n) {
    size_t room = e_.cfg.write_buffer_bytes - buf_->size();
    size_t take = std::min(room, n - off);
    buf_->insert(buf_->end(), data.begin() + off, data.begin() + off + take);
    off += take;
    if (buf_->size() >= e_.cfg.write_buffer_bytes && !FlushBuffer()) {
      pending_ = Pending::kFail;
      return false;
    }
  }
  written_ += n;
  req_got_ += n;
  f.bytes_transferred = written_;
  auto now = e_.Now();
  CountFromOrigin(&f.stats, n);
  e_.statistics.AddFromOrigin(n, now);
  AddInFlightTime(now);
  TokenBucket& bucket = e_.BucketFor(job_.rec);
  if (bucket.limited() || job_.bucket.limited()) {
    // The buckets keep the account; the round's quota decides when to pause
    // (pausing on an empty bucket would favour whoever read first).
    bucket.Consume(data.size(), now);
    job_.bucket.Consume(data.size(), now);
    bw_quota_ -= static_cast<int64_t>(data.size());
    if (bw_quota_ <= 0) e_.PauseForBandwidth(this);
  }
  e_.OnProgress(job_);
  MaybeCheckpoint();
  return true;
}

bool Attempt::FlushBuffer() {
  if (buf_->empty()) return true;
  if (!ValidatorsDurable()) e_.Flush();
  Status s = staging_->Write(flushed_, std::span<const std::byte>(buf_->data(), buf_->size()));
  if (!s.ok()) {
    log::Warn("job {} file {}: staging write failed: {}", job_id_.ToString(), file_, s.ToString());
    pending_error_ = LocalError(s);
    pending_transient_ = false;
    return false;
  }
  flushed_ += buf_->size();
  if (hash_) {
    e_.hasher.Post([h = hash_, b = buf_] { h->digest->Update(*b); });
    buf_ = std::make_shared<std::vector<std::byte>>();
    buf_->reserve(e_.cfg.write_buffer_bytes);
  } else {
    buf_->clear();
  }
  return true;
}

void Attempt::MaybeCheckpoint() {
  if (ckpt_in_flight_) return;
  uint64_t pending_bytes = written_ - ckpt_base_;
  if (pending_bytes == 0) return;
  bool due = pending_bytes >= e_.cfg.checkpoint_bytes ||
             e_.Now() - last_ckpt_ >= e_.cfg.checkpoint_interval;
  if (!due) return;
  if (!FlushBuffer()) return;  // the next write reports it
  StartCheckpoint();
}

void Attempt::StartCheckpoint() {
  ckpt_in_flight_ = true;
  ckpt_base_ = flushed_;
  last_ckpt_ = e_.Now();
  uint64_t upto = flushed_;
  uint64_t gen = job_.files_rt[file_].generation;
  std::weak_ptr<bool> self = alive_;
  std::weak_ptr<int> engine_alive = e_.alive;
  Engine::Impl* e = &e_;
  // The worker may run after the engine is gone (destroyed without
  // Shutdown): it must not reach the engine for its loop.
  sys::Executor* loop = e_.deps.loop;
  Guid id = job_id_;
  uint32_t file = file_;
  e_.deps.workers->Post([st = staging_, upto, gen, self, engine_alive, e, loop, id, file, this] {
    Status s = st->Sync();
    loop->Post([s, upto, gen, self, engine_alive, e, id, file, this] {
      if (!engine_alive.lock()) return;
      if (s.ok()) e->OnCheckpointed(id, file, gen, upto);
      if (!self.lock()) return;
      ckpt_in_flight_ = false;
      if (!s.ok() && (phase_ == Phase::kReceiving || phase_ == Phase::kRequesting)) {
        // fdatasync failed: nothing after the last good checkpoint can be
        // trusted to be on disk; stop with a local-file error.
        if (transfer_) e_.RetireTransfer(std::move(transfer_));
        Fail(LocalError(s), false);
      }
    });
  });
}

void Attempt::RestartFromZero(std::string_view why) {
  log::Info("job {} file {}: restarting from 0: {}", job_id_.ToString(), file_, why);
  buf_->clear();
  written_ = flushed_ = ckpt_base_ = 0;
  req_got_ = 0;
  FileRecord& f = F();
  f.etag.clear();
  f.last_modified.clear();
  if (f.ranges.empty()) f.bytes_total = kSizeUnknown;
  Status s = e_.deps.payload->Truncate(job_id_, file_, 0);
  if (!s.ok()) log::Warn("job {}: truncating staging failed: {}", job_id_.ToString(), s.ToString());
  if (hash_) {
    hash_ = std::make_shared<HashState>();
    hash_->digest = e_.deps.digest();
  }
  e_.OnFileRestart(job_, file_);
}

bool Attempt::ActOnPending() {
  switch (pending_) {
    case Pending::kRestart:
      if (++restarts_ > 3) {
        Fail(MakeError(code::kConnectionReset, ErrorContext::kRemoteFile,
                       "the remote file keeps changing during the download"),
             true);
        return true;
      }
      RestartFromZero("the remote file changed");
      StartRequest();
      return true;
    case Pending::kFail:
      FlushBuffer();
      Fail(pending_error_, pending_transient_);
      return true;
    case Pending::kCompleteAt416:
      FinishFile();
      return true;
    case Pending::kNone:
      break;
  }
  return false;
}

void Attempt::OnBodyComplete() {
  FileRecord& f = F();
  if (f.ranges.empty()) {
    if (f.bytes_total == kSizeUnknown) f.bytes_total = written_;  // chunked, size learnt at EOF
    if (written_ < f.bytes_total) {
      Fail(MakeError(code::kConnectionReset, ErrorContext::kRemoteFile,
                     fmt::format("the server closed the connection after {} of {} bytes", written_,
                                 f.bytes_total)),
           true);
      return;
    }
    FinishFile();
    return;
  }
  if (req_length_ && req_got_ < *req_length_) {
    Fail(MakeError(code::kConnectionReset, ErrorContext::kRemoteFile,
                   fmt::format("the server sent {} of {} bytes of a range", req_got_, *req_length_)),
         true);
    return;
  }
  if (!req_length_) {
    // A to-EOF range ended: its length is now known.
    if (f.expected_size == kSizeUnknown) f.expected_size = req_offset_ + req_got_;
    UpdateRangeTotal();
  }
  size_t idx;
  uint64_t within;
  if (Locate(written_, &idx, &within)) {
    StartRequest();
    return;
  }
  FinishFile();
}

void Attempt::OnDone(const TransferOutcome& outcome) {
  if (transfer_) e_.RetireTransfer(std::move(transfer_));
  if (phase_ == Phase::kStopped || phase_ == Phase::kFinishing) return;
  if (in_flight_since_ != sys::WallTime{}) {
    AddInFlightTime(e_.Now());
    in_flight_since_ = {};
    F().stats.http_connections += outcome.connections;
    e_.MarkFileDirty(job_, file_);
  }
  if (!ValidatorsDurable()) {
    // A small response ends before its validators' group commit ran: wait
    // for that commit instead of forcing one of its own.
    std::weak_ptr<bool> self = alive_;
    e_.AfterFlush([self, outcome, this](const Status&) {
      if (self.lock()) OnDone(outcome);
    });
    return;
  }
  if (ActOnPending()) return;
  if (!FlushBuffer()) {
    Fail(pending_error_, false);
    return;
  }
  if (!outcome.status.ok()) {
    ErrorRecord err{outcome.status.code(), outcome.context, static_cast<int32_t>(file_),
                    outcome.status.message(), outcome.protocol.empty() ? protocol_ : outcome.protocol};
    if (err.context == ErrorContext::kNone) err.context = ErrorContext::kGeneralTransport;
    Fail(err, outcome.transient, outcome.retry_after);
    return;
  }
  if (phase_ == Phase::kRequesting) {
    // Finished without a response callback: only legal for an empty body.
    phase_ = Phase::kReceiving;
  }
  OnBodyComplete();
}

void Attempt::FinishFile() {
  phase_ = Phase::kFinishing;
  if (!FlushBuffer()) {
    Fail(pending_error_, false);
    return;
  }
  FileRecord& f = F();
  if (f.bytes_total == kSizeUnknown) f.bytes_total = written_;
  f.bytes_transferred = written_;
  if (!hash_) {
    SyncAndComplete();
    return;
  }
  std::weak_ptr<bool> self = alive_;
  std::weak_ptr<int> engine_alive = e_.alive;
  sys::Executor* loop = e_.deps.loop;
  e_.hasher.Post([h = hash_, self, engine_alive, loop, this] {
    std::string hex = h->digest->FinalHex();
    loop->Post([hex, self, engine_alive, this] {
      if (!engine_alive.lock() || !self.lock()) return;
      OnHashed(hex);
    });
  });
}

void Attempt::OnHashed(const std::string& hex) {
  if (phase_ == Phase::kStopped) return;  // suspended (or failed) while hashing: resumes later
  FileRecord& f = F();
  std::string want = f.sha256;
  std::transform(want.begin(), want.end(), want.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  if (hex == want) {
    SyncAndComplete();
    return;
  }
  log::Warn("job {} file {}: SHA-256 mismatch (got {}, want {})", job_id_.ToString(), file_, hex, want);
  f.validation_retries++;
  e_.MarkFileDirty(job_, file_);
  RestartFromZero("content failed its SHA-256 check");
  if (f.validation_retries <= 1) {
    StartRequest();  // fetch once more from the origin
    return;
  }
  Fail(MakeError(code::kValidationFailed, ErrorContext::kRemoteFile,
                 fmt::format("the content's SHA-256 is {}, expected {}", hex, want)),
       false);
}

void Attempt::SyncAndComplete() {
  std::weak_ptr<bool> self = alive_;
  std::weak_ptr<int> engine_alive = e_.alive;
  sys::Executor* loop = e_.deps.loop;  // not through the engine: it may be gone
  uint64_t upto = flushed_;
  uint64_t generation = job_.files_rt[file_].generation;
  e_.deps.workers->Post([st = staging_, self, engine_alive, loop, upto, generation, this] {
    Status s = st->Sync();
    loop->Post([s, self, engine_alive, upto, generation, this] {
      if (!engine_alive.lock() || !self.lock()) return;
      if (phase_ == Phase::kStopped) {
        // Suspended or cancelled while syncing: the attempt is retired (and
        // the job may be gone), so only what became durable is recorded.
        if (s.ok()) e_.OnCheckpointed(job_id_, file_, generation, upto);
        return;
      }
      if (!s.ok()) {
        Fail(LocalError(s), false);
        return;
      }
      e_.OnCheckpointed(job_id_, file_, generation, upto);
      e_.OnFileDone(job_, file_);  // retires this attempt
    });
  });
}

void Attempt::Fail(ErrorRecord err, bool transient, std::optional<std::chrono::seconds> retry_after) {
  phase_ = Phase::kStopped;
  // Bytes left in the write buffer (its write failed: disk full) are not in
  // staging; the next attempt resumes from what is, never past a hole.
  F().bytes_transferred = flushed_;
  e_.MarkFileDirty(job_, file_);  // sizes or validators learnt on the way
  if (transfer_) e_.RetireTransfer(std::move(transfer_));
  e_.OnAttemptFailed(job_, std::move(err), transient, retry_after);
}

void Attempt::Stop() {
  if (phase_ == Phase::kStopped) return;
  phase_ = Phase::kStopped;
  if (in_flight_since_ != sys::WallTime{}) AddInFlightTime(e_.Now());
  in_flight_since_ = {};
  if (transfer_) e_.RetireTransfer(std::move(transfer_));
  if (!FlushBuffer())
    log::Warn("job {} file {}: could not write buffered bytes at stop", job_id_.ToString(), file_);
  F().bytes_transferred = flushed_;
  e_.MarkFileDirty(job_, file_);
}

Status Attempt::StopAndSync(uint64_t* bytes) {
  Stop();
  Status s = staging_ ? staging_->Sync() : Status::OK();
  if (s.ok()) *bytes = flushed_;
  return s;
}

void Attempt::AddInFlightTime(sys::WallTime now) {
  if (in_flight_since_ == sys::WallTime{} || now <= in_flight_since_) return;
  F().stats.duration += std::chrono::duration_cast<std::chrono::nanoseconds>(now - in_flight_since_);
  in_flight_since_ = now;
}

void Attempt::SetPaused(bool paused) {
  paused_ = paused;
  if (transfer_) transfer_->SetPaused(paused);
}

}  // namespace ferry::core
