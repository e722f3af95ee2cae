// Attempt: the Fetch of one file over a ByteSource (HTTP, file://) — the
// ByteSink that turns a source's responses and bytes into requests with
// Range/If-Range, the resume rules of semantics.md §6 (core/resume_rules.h)
// and writes through a StagingWriter (buffer, SHA-256 and a content id's
// pieces root, checkpoints).
//
// It reaches the engine only through its FetchHost. Lifetime: owned by the
// engine (the job's runtime state), retired on a loop turn of its own when
// it ends. Engine thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/byte_source.h"
#include "core/fetch.h"
#include "core/resume_rules.h"
#include "core/staging_writer.h"
#include "sys/lifetime.h"

namespace ferry::core {

class Attempt final : public Fetch, private ByteSink {
 public:
  // `source` serves the file's URL; null: the first request fails with
  // INVALIDARG (no backend for the scheme).
  Attempt(std::unique_ptr<FetchHost> host, ByteSource* source, uint32_t file);
  ~Attempt() override;

  // Fetch.
  uint32_t file() const override { return file_; }
  bool Begin(ErrorRecord* err) override;
  void Stop() override;
  Status StopAndSync(uint64_t* bytes) override;
  void SetPaused(bool paused) override;
  void SetBandwidthQuota(int64_t bytes) override { bw_quota_ = bytes; }

 private:
  enum class Phase { kIdle, kWaiting, kRequesting, kReceiving, kFinishing, kStopped };
  enum class Pending { kNone, kRestart, kFail, kCompleteAt416 };

  // ByteSink.
  bool OnResponse(const ByteResponse& response) override;
  bool OnData(std::span<const std::byte> data) override;
  void OnDone(const ByteOutcome& outcome) override;

  FileRecord& F() { return host_->File(); }
  // Where local offset `local` falls among the ranges; false when the ranges
  // are all done.
  bool Locate(uint64_t local, size_t* index, uint64_t* within);
  void UpdateRangeTotal();
  ByteRequest RequestTemplate();
  void StartRequest();
  // Points `req` at the source NextSource picks; false when it says to wait
  // (a timer then calls StartRequest again).
  bool RouteRequest(ByteRequest* req);
  // The cache host of the request that just ended failed (host_fault: it
  // is avoided): the file moves on to the next source. False when the
  // request was not to a cache (or the error is local).
  bool MoveOnFromCache(const ErrorRecord& err, bool host_fault);
  // Applies DecideResume's answer; its value is OnResponse's.
  bool ApplyDecision(const ResumeDecision& d);
  // OnDone's steps: acts on what OnResponse decided (true: done here); the
  // body ended well: finish the file, or request the next range.
  bool ActOnPending();
  void OnBodyComplete();
  // Records a failure for OnDone and returns false.
  bool Refuse(ErrorRecord err);
  bool ValidatorsDurable() const { return host_->Commits() >= validators_commit_; }
  void OnCheckpointFailed(const Status& s);
  void RestartFromZero(std::string_view why);
  void FinishFile();
  void OnHashed(const StagingWriter::Hashes& got);
  // The bytes failed their SHA-256 or content id: discard them and fetch
  // once more from the origin, or fail with BG_E_VALIDATION_FAILED
  // (semantics.md §6).
  void OnContentMismatch(std::string what);
  // The response announced a whole-file size other than the content id's:
  // refuses it (BG_E_VALIDATION_FAILED, at once). False when it is fine.
  bool RefuseSizeAgainstContentId();
  void SyncAndComplete();
  // Adds the time since in_flight_since_ to the file's stats.duration and
  // restarts the count from `now` (no-op when no request is in flight).
  void AddInFlightTime(sys::WallTime now);
  void RetireStream();
  // Hands the failure to the engine, which retires this attempt: return
  // right after calling it.
  void Fail(ErrorRecord err, bool transient, std::optional<std::chrono::seconds> retry_after = {});
  ErrorRecord MakeError(int32_t code, ErrorContext ctx, std::string message) const;
  ErrorRecord LocalError(const Status& s) const;

  std::unique_ptr<FetchHost> host_;
  ByteSource* source_;
  Guid job_id_;
  uint32_t file_;
  std::string protocol_;
  StagingWriter writer_;
  std::unique_ptr<ByteStream> stream_;
  Phase phase_ = Phase::kIdle;
  Pending pending_ = Pending::kNone;
  ErrorRecord pending_error_;
  bool paused_ = false;
  int64_t bw_quota_ = 0;
  int restarts_ = 0;
  uint64_t validators_commit_ =
      0;  // the response's validators are durable once Commits() reaches it

  // Cache servers (policy.md §4).
  bool cache_eligible_ = false;
  CacheTrail trail_;
  std::optional<size_t> req_cache_;  // the request goes to this cache host; nullopt: the origin

  // Current request.
  uint64_t req_offset_ = 0;             // remote offset asked for
  std::optional<uint64_t> req_length_;  // remote bytes asked for
  uint64_t req_got_ = 0;
  sys::WallTime in_flight_since_{};  // epoch: no request in flight
  sys::Lifetime lifetime_;           // last: dies first
};

}  // namespace ferry::core
