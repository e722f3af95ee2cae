#include "core/file_attempt.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/job_request.h"
#include "util/content_id.h"
#include "util/http_header.h"
#include "util/log.h"
#include "util/status_codes.h"
#include "util/url.h"

namespace ferry::core {

namespace {
StagingWriter::Deps WriterDeps(FetchHost& host) {
  return {&host.Payload(), &host.Loop(),   &host.Workers(),
          &host.Hasher(),  host.Digests(), host.PiecesRootDigests()};
}
}  // namespace

Attempt::Attempt(std::unique_ptr<FetchHost> host, ByteSource* source, uint32_t file)
    : host_(std::move(host)),
      source_(source),
      job_id_(host_->Job().id),
      file_(file),
      protocol_(UrlScheme(host_->File().remote_url)),
      writer_(WriterDeps(*host_), host_->Config(), job_id_, file) {
  cache_eligible_ =
      CacheEligible(host_->Config().cache, host_->File().remote_url, host_->Job().custom_headers);
  // Bytes are never written before this response's validators are durable
  // (see OnResponse): a full buffer forces their commit.
  writer_.SetBeforeWrite([this] {
    if (!ValidatorsDurable()) host_->CommitNow();
  });
}

Attempt::~Attempt() { RetireStream(); }

ErrorRecord Attempt::MakeError(int32_t c, ErrorContext ctx, std::string message) const {
  return ErrorRecord{c, ctx, static_cast<int32_t>(file_), std::move(message), protocol_};
}

ErrorRecord Attempt::LocalError(const Status& s) const {
  return MakeError(s.code(), ErrorContext::kLocalFile, s.message());
}

void Attempt::RetireStream() {
  if (stream_) host_->RetireStream(std::move(stream_));
}

bool Attempt::Begin(ErrorRecord* err) {
  FileRecord& f = F();
  f.stats.background = host_->Job().priority != JobPriority::kForeground;
  f.stats.download_mode = DownloadMode::kHttpOnly;
  uint64_t hint = f.ranges.empty() ? f.bytes_total : kSizeUnknown;
  if (!f.ranges.empty()) {
    UpdateRangeTotal();
    hint = f.bytes_total;
  }
  StagingWriter::Hashing hashing{!f.sha256.empty(), !f.content_id.empty()};
  Status s = writer_.Open(hint, f.bytes_transferred, hashing, host_->Now());
  if (!s.ok()) {
    *err = LocalError(s);
    return false;
  }
  StartRequest();
  return true;
}

bool Attempt::Locate(uint64_t local, size_t* index, uint64_t* within) {
  const FileRecord& f = F();
  uint64_t cum = 0;
  for (size_t i = 0; i < f.ranges.size(); ++i) {
    auto len = RangeLength(f.ranges[i], f.expected_size);
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
  if (auto total = RangesTotal(f.ranges, f.expected_size)) f.bytes_total = *total;
}

ByteRequest Attempt::RequestTemplate() { return JobRequest(*host_, F().remote_url); }

void Attempt::StartRequest() {
  FileRecord& f = F();
  ByteRequest req = RequestTemplate();
  std::string validator = IsStrongEtag(f.etag) ? f.etag : f.last_modified;
  uint64_t written = writer_.written();
  if (f.ranges.empty()) {
    if (f.bytes_total != kSizeUnknown && written >= f.bytes_total && written > 0) {
      FinishFile();  // everything is already in staging (recovered)
      return;
    }
    req.offset = written;
    if (written > 0) req.if_range = validator;
  } else {
    size_t idx;
    uint64_t within;
    if (!Locate(written, &idx, &within)) {
      FinishFile();
      return;
    }
    req.offset = f.ranges[idx].initial_offset + within;
    if (auto len = RangeLength(f.ranges[idx], f.expected_size)) req.length = *len - within;
    req.if_range = validator;
  }
  if (!RouteRequest(&req)) return;
  req_offset_ = req.offset;
  req_length_ = req.length;
  req_got_ = 0;
  pending_ = Pending::kNone;
  if (!source_) {
    Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile,
                   fmt::format("no transfer backend for scheme '{}'", UrlScheme(f.remote_url))),
         false);
    return;
  }
  phase_ = Phase::kRequesting;
  in_flight_since_ = host_->Now();
  log::Debug("job {} file {}: request offset {} length {}{}", job_id_.ToString(), file_, req.offset,
             req.length ? std::to_string(*req.length) : std::string("to-eof"),
             req_cache_ ? " via cache host " + host_->Config().cache.hosts[*req_cache_] : "");
  stream_ = source_->Start(req, this);
  if (paused_ && stream_) stream_->SetPaused(true);
}

bool Attempt::RouteRequest(ByteRequest* req) {
  const CacheConfig& cache = host_->Config().cache;
  SourceChoice src = NextSource(cache, cache_eligible_, host_->CacheHosts(), &trail_, host_->Now());
  req_cache_.reset();
  if (src.kind == SourceKind::kWait) {
    phase_ = Phase::kWaiting;
    host_->RunAt(src.wait_until, lifetime_.Guard([this] {
      if (phase_ == Phase::kWaiting) StartRequest();
    }));
    return false;
  }
  if (src.kind == SourceKind::kCache) {
    if (auto url = CacheUrl(F().remote_url, cache.hosts[src.host])) {
      req->url = std::move(*url);
      req->connect_timeout = cache.connect_timeout;
      req_cache_ = src.host;
    }
  }
  return true;
}

bool Attempt::MoveOnFromCache(const ErrorRecord& err, bool host_fault) {
  if (!req_cache_ || err.context == ErrorContext::kLocalFile) return false;
  const CacheConfig& cache = host_->Config().cache;
  log::Info("job {} file {}: cache host {} failed ({}); moving on", job_id_.ToString(), file_,
            cache.hosts[*req_cache_], err.message);
  CacheFailed(cache, host_fault, &host_->CacheHosts(), &trail_, host_->Now());
  req_cache_.reset();
  if (Status s = writer_.Flush(); !s.ok()) {
    Fail(LocalError(s), false);
    return true;
  }
  StartRequest();
  return true;
}

bool Attempt::Refuse(ErrorRecord err) {
  pending_ = Pending::kFail;
  pending_error_ = std::move(err);
  return false;
}

bool Attempt::ApplyDecision(const ResumeDecision& d) {
  auto apply = [this, &d] {
    FileRecord& f = F();
    f.etag = d.facts.etag;
    f.last_modified = d.facts.last_modified;
    f.bytes_total = d.facts.bytes_total;
    f.expected_size = d.facts.expected_size;
  };
  switch (d.action) {
    case ResumeAction::kFail:
      apply();  // a refused response may still have taught the remote size
      return Refuse(MakeError(d.code, ErrorContext::kRemoteFile, d.message));
    case ResumeAction::kRestart:
      pending_ = Pending::kRestart;
      return false;
    case ResumeAction::kComplete:
      apply();
      pending_ = Pending::kCompleteAt416;
      return true;
    case ResumeAction::kRestartAccept:
      RestartFromZero(d.message);
      apply();
      return true;
    case ResumeAction::kAccept:
      apply();
      return true;
  }
  return false;
}

bool Attempt::OnResponse(const ByteResponse& resp) {
  if (phase_ != Phase::kRequesting) return false;
  const FileRecord& f = F();
  ResumeInput in{{f.etag, f.last_modified, f.bytes_total, f.expected_size},
                 f.ranges,
                 writer_.written(),
                 req_offset_,
                 req_length_};
  ResumeDecision d = DecideResume(in, resp);
  bool accepted = ApplyDecision(d);
  if (d.action != ResumeAction::kAccept && d.action != ResumeAction::kRestartAccept)
    return accepted;
  if (RefuseSizeAgainstContentId()) return false;
  // Validators and sizes must be committed before any byte of this response
  // reaches staging: crash recovery on the same boot resumes from what
  // staging holds, and that resume must carry If-Range (semantics.md §6:
  // never a splice of two versions). The commit is the next group commit;
  // until it has run, bytes stay in the buffer (the writer forces it when
  // the buffer is full, OnDone waits for it). A failed commit is logged.
  host_->FileChanged();
  validators_commit_ = host_->Commits() + 1;
  host_->CommitSoon();
  phase_ = Phase::kReceiving;
  host_->OnResponded();
  return true;
}

bool Attempt::OnData(std::span<const std::byte> data) {
  if (phase_ != Phase::kReceiving) return false;
  FileRecord& f = F();
  size_t n = data.size();
  uint64_t written = writer_.written();
  if (req_length_ && req_got_ + n > *req_length_) n = static_cast<size_t>(*req_length_ - req_got_);
  if (f.ranges.empty() && f.bytes_total != kSizeUnknown && written + n > f.bytes_total)
    n = static_cast<size_t>(f.bytes_total - written);  // never count bytes past the known size
  Status s = writer_.Append(data.first(n), ValidatorsDurable());
  if (!s.ok()) return Refuse(LocalError(s));
  req_got_ += n;
  f.bytes_transferred = writer_.written();
  auto now = host_->Now();
  AddInFlightTime(now);
  ByteFrom from = req_cache_ ? ByteFrom::kCacheServer : ByteFrom::kOrigin;
  if (host_->OnReceived(n, data.size(), now, from)) {
    // The buckets keep the account; the round's quota decides when to pause
    // (pausing on an empty bucket would favour whoever read first).
    bw_quota_ -= static_cast<int64_t>(data.size());
    if (bw_quota_ <= 0) host_->PauseForBandwidth();
  }
  host_->OnProgress();
  if (writer_.CheckpointDue(now))
    writer_.Checkpoint(now, host_->DurableRecorder(),
                       [this](const Status& st) { OnCheckpointFailed(st); });
  return true;
}

void Attempt::OnCheckpointFailed(const Status& s) {
  if (phase_ != Phase::kReceiving && phase_ != Phase::kRequesting && phase_ != Phase::kWaiting)
    return;
  // fdatasync failed: nothing after the last good checkpoint can be trusted
  // to be on disk; stop with a local-file error.
  RetireStream();
  Fail(LocalError(s), false);
}

void Attempt::RestartFromZero(std::string_view why) {
  log::Info("job {} file {}: restarting from 0: {}", job_id_.ToString(), file_, why);
  writer_.Restart();
  req_got_ = 0;
  FileRecord& f = F();
  f.etag.clear();
  f.last_modified.clear();
  if (f.ranges.empty()) f.bytes_total = kSizeUnknown;
  host_->OnRestart(0);
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
      // A cache's answer refused by the resume rules: the next source.
      if (MoveOnFromCache(pending_error_, /*host_fault=*/false)) return true;
      if (Status s = writer_.Flush(); !s.ok()) pending_error_ = LocalError(s);
      Fail(pending_error_, false);
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
  uint64_t written = writer_.written();
  if (f.ranges.empty()) {
    if (f.bytes_total == kSizeUnknown) f.bytes_total = written;  // chunked, size learnt at EOF
    if (written < f.bytes_total) {
      Fail(MakeError(code::kConnectionReset, ErrorContext::kRemoteFile,
                     fmt::format("the server closed the connection after {} of {} bytes", written,
                                 f.bytes_total)),
           true);
      return;
    }
    FinishFile();
    return;
  }
  if (req_length_ && req_got_ < *req_length_) {
    Fail(
        MakeError(code::kConnectionReset, ErrorContext::kRemoteFile,
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
  if (Locate(written, &idx, &within)) {
    StartRequest();
    return;
  }
  FinishFile();
}

void Attempt::OnDone(const ByteOutcome& outcome) {
  RetireStream();
  if (phase_ == Phase::kStopped || phase_ == Phase::kFinishing) return;
  if (in_flight_since_ != sys::WallTime{}) {
    AddInFlightTime(host_->Now());
    in_flight_since_ = {};
    if (req_cache_)
      F().stats.cache_server_connections += outcome.connections;
    else
      F().stats.http_connections += outcome.connections;
    host_->FileChanged();
  }
  if (!ValidatorsDurable()) {
    // A small response ends before its validators' group commit ran: wait
    // for that commit instead of forcing one of its own.
    host_->AfterCommit(lifetime_.Guard([this, outcome] { OnDone(outcome); }));
    return;
  }
  if (ActOnPending()) return;
  if (Status s = writer_.Flush(); !s.ok()) {
    Fail(LocalError(s), false);
    return;
  }
  if (!outcome.status.ok()) {
    ErrorRecord err{outcome.status.code(), outcome.context, static_cast<int32_t>(file_),
                    outcome.status.message(),
                    outcome.protocol.empty() ? protocol_ : outcome.protocol};
    if (err.context == ErrorContext::kNone) err.context = ErrorContext::kGeneralTransport;
    // A cache that cannot be reached, times out or answers 5xx is avoided;
    // any failure of a cache moves the file on to the next source.
    if (MoveOnFromCache(err, /*host_fault=*/outcome.transient)) return;
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
  if (Status s = writer_.Flush(); !s.ok()) {
    Fail(LocalError(s), false);
    return;
  }
  FileRecord& f = F();
  if (f.bytes_total == kSizeUnknown) f.bytes_total = writer_.written();
  f.bytes_transferred = writer_.written();
  // A file with a content id is never delivered unverified, even when no
  // digest could run (OnHashed then fails it).
  if (!writer_.hashing() && f.content_id.empty()) {
    SyncAndComplete();
    return;
  }
  writer_.FinishHash([this](const StagingWriter::Hashes& got) { OnHashed(got); });
}

void Attempt::OnHashed(const StagingWriter::Hashes& got) {
  if (phase_ == Phase::kStopped) return;  // suspended (or failed) while hashing: resumes later
  FileRecord& f = F();
  std::string want = f.sha256;
  std::transform(want.begin(), want.end(), want.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  if (!want.empty() && !got.sha256.empty() && got.sha256 != want) {
    OnContentMismatch(fmt::format("the content's SHA-256 is {}, expected {}", got.sha256, want));
    return;
  }
  if (!f.content_id.empty()) {
    auto id = ParseContentId(f.content_id);
    if (!id.ok() || got.pieces_root.empty()) {
      Fail(MakeError(code::kValidationFailed, ErrorContext::kLocalFile,
                     id.ok()
                         ? "this service cannot compute pieces roots to verify a content id"
                         : "the file's stored content id is malformed: " + id.status().message()),
           false);
      return;
    }
    uint64_t size = writer_.written();
    if (size != id->size || got.pieces_root != id->root) {
      OnContentMismatch(fmt::format(
          "the content ({} bytes, pieces root {}) does not match its content id ({} bytes, {})",
          size, got.pieces_root, id->size, id->root));
      return;
    }
  }
  SyncAndComplete();
}

void Attempt::OnContentMismatch(std::string what) {
  FileRecord& f = F();
  log::Warn("job {} file {}: {}", job_id_.ToString(), file_, what);
  f.validation_retries++;
  host_->FileChanged();
  RestartFromZero("content failed its check");
  if (f.validation_retries <= 1) {
    trail_.origin = true;  // a cache may hold the bad copy
    StartRequest();        // fetch once more from the origin
    return;
  }
  Fail(MakeError(code::kValidationFailed, ErrorContext::kRemoteFile, std::move(what)), false);
}

bool Attempt::RefuseSizeAgainstContentId() {
  const FileRecord& f = F();
  if (f.content_id.empty() || !f.ranges.empty() || f.bytes_total == kSizeUnknown) return false;
  auto id = ParseContentId(f.content_id);
  if (!id.ok() || id->size == f.bytes_total) return false;  // a malformed one fails at the end
  Refuse(MakeError(code::kValidationFailed, ErrorContext::kRemoteFile,
                   fmt::format("the origin's file has {} bytes, the content id names {}",
                               f.bytes_total, id->size)));
  return true;
}

void Attempt::SyncAndComplete() {
  writer_.SyncThen([this, record = host_->DurableRecorder()](Status s, uint64_t upto) {
    if (phase_ == Phase::kStopped) {
      // Suspended or cancelled while syncing: the attempt is retired (and
      // the job may be gone), so only what became durable is recorded.
      if (s.ok()) record(upto);
      return;
    }
    if (!s.ok()) {
      Fail(LocalError(s), false);
      return;
    }
    record(upto);
    host_->OnDone();  // retires this attempt
  });
}

void Attempt::Fail(ErrorRecord err, bool transient,
                   std::optional<std::chrono::seconds> retry_after) {
  phase_ = Phase::kStopped;
  // Bytes left in the write buffer (its write failed: disk full) are not in
  // staging; the next attempt resumes from what is, never past a hole.
  F().bytes_transferred = writer_.flushed();
  host_->FileChanged();  // sizes or validators learnt on the way
  RetireStream();
  host_->OnFailed(std::move(err), transient, retry_after);
}

void Attempt::Stop() {
  if (phase_ == Phase::kStopped) return;
  phase_ = Phase::kStopped;
  if (in_flight_since_ != sys::WallTime{}) AddInFlightTime(host_->Now());
  in_flight_since_ = {};
  RetireStream();
  if (writer_.is_open() && !writer_.Flush().ok())
    log::Warn("job {} file {}: could not write buffered bytes at stop", job_id_.ToString(), file_);
  if (writer_.is_open()) F().bytes_transferred = writer_.flushed();
  host_->FileChanged();
}

Status Attempt::StopAndSync(uint64_t* bytes) {
  Stop();
  Status s = writer_.SyncNow();
  if (s.ok()) *bytes = writer_.flushed();
  return s;
}

void Attempt::AddInFlightTime(sys::WallTime now) {
  if (in_flight_since_ == sys::WallTime{} || now <= in_flight_since_) return;
  F().stats.duration +=
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - in_flight_since_);
  in_flight_since_ = now;
}

void Attempt::SetPaused(bool paused) {
  paused_ = paused;
  if (stream_) stream_->SetPaused(paused);
}

}  // namespace ferry::core
