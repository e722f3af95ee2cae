// EngineFetchHost: the engine's side of the fetch seam — the FetchHost one
// Fetch gets, mapping its few calls onto Engine::Impl (commits, progress,
// statistics, bandwidth, the end of the attempt). Internal to core; the
// Fetch never sees the engine.
#pragma once

#include "core/engine_impl.h"
#include "core/fetch.h"

namespace ferry::core {

class EngineFetchHost final : public FetchHost {
 public:
  // Takes the job's effective download mode now (FetchHost::Config).
  EngineFetchHost(Engine::Impl& engine, RuntimeJob& job, uint32_t file);
  // Forgets the fetch's bandwidth pause (the fetch is going).
  ~EngineFetchHost() override;
  // The fetch this host serves (set once it exists).
  void set_fetch(Fetch* fetch) { fetch_ = fetch; }

  const JobRecord& Job() override { return job_.rec; }
  FileRecord& File() override { return job_.rec.files[file_]; }
  void FileChanged() override { e_.MarkFileDirty(job_, file_); }
  void SetResumeData(std::string data) override;
  const EngineConfig& Config() override { return own_cfg_ ? *own_cfg_ : e_.cfg; }
  CacheHostBook& CacheHosts() override { return e_.cache_hosts; }
  std::chrono::seconds NoProgressTimeout() override;

  sys::WallTime Now() override { return e_.Now(); }
  sys::Executor& Loop() override { return *e_.deps.loop; }
  sys::Executor& Workers() override { return *e_.deps.workers; }
  sys::Executor& Hasher() override { return e_.hasher; }
  void RunAt(sys::WallTime when, std::function<void()> fn) override;
  PayloadStore& Payload() override { return *e_.deps.payload; }
  const DigestFactory& Digests() override { return e_.deps.digest; }
  const DigestFactory& PiecesRootDigests() override { return e_.deps.pieces_root; }

  uint64_t Commits() override { return e_.flush_count; }
  void CommitSoon() override { e_.PostFlush(); }
  void CommitNow() override { e_.Flush(); }
  void AfterCommit(std::function<void()> fn) override;

  void OnResponded() override;
  bool OnReceived(uint64_t counted, uint64_t raw, sys::WallTime now, ByteFrom from) override;
  void OnReceivedFromPeers(const PeerBytes& bytes, sys::WallTime now) override;
  uint64_t RateLimit() override;
  void PauseForBandwidth() override { e_.PauseForBandwidth(fetch_); }
  void OnProgress() override { e_.OnProgress(job_); }
  std::function<void(uint64_t)> DurableRecorder() override;
  std::function<ResumeStored(std::string, uint64_t)> ResumeRecorder() override;
  void OnRestart(uint64_t from) override { e_.OnFileRestart(job_, file_, from); }
  void RetireStream(std::unique_ptr<ByteStream> stream) override {
    e_.RetireStream(std::move(stream));
  }

  void OnDone() override { e_.OnFileDone(job_, file_); }
  void ReplaceWithParts(std::vector<FilePart> parts) override {
    e_.OnFileExpanded(job_, file_, std::move(parts));
  }
  void OnFailed(ErrorRecord error, bool transient,
                std::optional<std::chrono::seconds> retry_after) override {
    e_.OnAttemptFailed(job_, std::move(error), transient, retry_after);
  }

 private:
  Engine::Impl& e_;
  RuntimeJob& job_;
  Guid job_id_;
  uint32_t file_;
  Fetch* fetch_ = nullptr;
  // The engine's configuration with the job's own download mode, when it
  // has one that differs from ferryd's; null: the engine's.
  std::unique_ptr<EngineConfig> own_cfg_;
};

}  // namespace ferry::core
