// Attempt: one try at fetching one file of a job — the TransferSink that
// turns a transfer's response and bytes into staging writes, hashing,
// checkpoints and the resume rules of semantics.md §6.
//
// Lifetime: owned by RuntimeJob::attempt; created by the scheduler, retired
// (moved to the engine's graveyard) when it ends. Engine thread only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/engine_impl.h"

namespace ferry::core {

class Attempt final : public TransferSink {
 public:
  Attempt(Engine::Impl& engine, RuntimeJob& job, uint32_t file);
  ~Attempt() override;

  // Opens staging, starts hashing and the first request. On failure nothing
  // runs and the error (context LOCAL_FILE or REMOTE_FILE) is returned in
  // *err for the caller to put the job in ERROR.
  bool Begin(ErrorRecord* err);
  uint32_t file() const { return file_; }
  // Writes buffered bytes to staging and drops the transfer (no sync).
  void Stop();
  // Stop() plus a synchronous fdatasync; *bytes gets what is now durable.
  Status StopAndSync(uint64_t* bytes);
  void SetPaused(bool paused);
  // Bytes this attempt may still take in the current bandwidth round
  // (Engine::Impl::OnBandwidthRound); it pauses when they are spent.
  void SetBandwidthQuota(int64_t bytes) { bw_quota_ = bytes; }

  bool OnResponse(const TransferResponse& response) override;
  bool OnData(std::span<const std::byte> data) override;
  void OnDone(const TransferOutcome& outcome) override;

 private:
  struct HashState;
  enum class Phase { kIdle, kRequesting, kReceiving, kFinishing, kStopped };
  enum class Pending { kNone, kRestart, kFail, kCompleteAt416 };

  FileRecord& F() { return job_.rec.files[file_]; }
  std::optional<uint64_t> RangeLength(size_t i);
  // Where local offset `local` falls among the ranges; false when the ranges
  // are all done.
  bool Locate(uint64_t local, size_t* index, uint64_t* within);
  void UpdateRangeTotal();
  void StartRequest();
  // OnResponse for a whole file / a file with ranges (semantics.md §6): a
  // value is OnResponse's answer (the response is refused, restarted or
  // completes the file at a 416); nullopt: the bytes may flow.
  std::optional<bool> AcceptWholeFile(const TransferResponse& resp, bool validator_changed);
  std::optional<bool> AcceptRanges(const TransferResponse& resp, bool validator_changed);
  // OnDone's steps: acts on what OnResponse decided (true: done here); the
  // body ended well: finish the file, or request the next range.
  bool ActOnPending();
  void OnBodyComplete();
  // Records a non-transient failure for OnDone and returns false.
  bool RefuseResponse(int32_t code, std::string message);
  // Writes the buffer to staging, first forcing the commit of this
  // response's validators if the group commit has not run yet.
  bool FlushBuffer();
  bool ValidatorsDurable() const;
  // Hashes staging bytes [from, from + n) on the hashing thread, in order
  // with the other hashing work.
  void HashFromStaging(uint64_t from, uint64_t n);
  // Chunks at least this large bypass the write buffer when it is empty.
  static constexpr size_t kDirectWriteBytes = 64 * 1024;
  void MaybeCheckpoint();
  void StartCheckpoint();
  void RestartFromZero(std::string_view why);
  void FinishFile();
  void OnHashed(const std::string& hex);
  void SyncAndComplete();
  // Adds the time since in_flight_since_ to the file's stats.duration and
  // restarts the count from `now` (no-op when no request is in flight).
  void AddInFlightTime(sys::WallTime now);
  // Hands the failure to the engine, which retires this attempt: return
  // right after calling it.
  void Fail(ErrorRecord err, bool transient, std::optional<std::chrono::seconds> retry_after = {});
  ErrorRecord MakeError(int32_t code, ErrorContext ctx, std::string message) const;
  ErrorRecord LocalError(const Status& s) const;

  Engine::Impl& e_;
  RuntimeJob& job_;
  Guid job_id_;
  uint32_t file_;
  std::string protocol_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<StagingFile> staging_;
  std::unique_ptr<Transfer> transfer_;
  Phase phase_ = Phase::kIdle;
  Pending pending_ = Pending::kNone;
  ErrorRecord pending_error_;
  bool pending_transient_ = false;
  bool paused_ = false;
  int64_t bw_quota_ = 0;
  int restarts_ = 0;
  uint64_t validators_flush_ = 0;  // the response's validators are durable once flush_count reaches it

  uint64_t written_ = 0;  // local bytes received, buffered ones included
  uint64_t flushed_ = 0;  // local bytes handed to staging (pwrite)
  std::shared_ptr<std::vector<std::byte>> buf_;

  // Current request.
  uint64_t req_offset_ = 0;               // remote offset asked for
  std::optional<uint64_t> req_length_;    // remote bytes asked for
  uint64_t req_got_ = 0;
  sys::WallTime in_flight_since_{};  // epoch: no request in flight

  std::shared_ptr<HashState> hash_;
  bool ckpt_in_flight_ = false;
  uint64_t ckpt_base_ = 0;  // flushed_ at the last checkpoint start
  sys::WallTime last_ckpt_{};
};

}  // namespace ferry::core
