// In-memory fakes of the engine's ports (core/ports.h) and a deterministic
// executor, for driving core::Engine step by step on a FakeClock.
//
// - ManualExecutor: a thread-safe queue; nothing runs until RunAll().
// - FakeJobStore: committed records, history and every committed batch; can
//   fail the next Commit.
// - FakePayloadStore: staging as std::string per (job, file); Deliver copies
//   into delivered_files; every operation can be told to fail.
// - ScriptedBackend: each Start() yields a TransferHandle through which the
//   test plays the server: Respond(), Data(), Done().
// - FakeDigest: a non-cryptographic 64-hex-digit hash (FakeDigestHex()).
// - RecordingConsumer: records every event with the fake time it arrived.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/events.h"
#include "core/ports.h"
#include "sys/clock.h"
#include "sys/executor.h"

namespace ferry::test {

using core::EngineEvent;
using core::EventKind;

// ---------------------------------------------------------------------------
// Forwards to a test clock and counts timers scheduled in the past. A timer
// that keeps re-arming itself in the past would spin forever inside
// FakeClock::Advance; after `max_past` of them, further past timers are
// pushed a day ahead so that the test ends (and fails on past_schedules).
class GuardedClock : public sys::Clock {
 public:
  explicit GuardedClock(sys::Clock* inner, int max_past = 1000) : inner_(inner), max_past_(max_past) {}
  sys::WallTime Now() override { return inner_->Now(); }
  TimerId Schedule(sys::WallTime when, std::function<void()> fn) override {
    if (when < inner_->Now() && ++past_schedules > max_past_) when = inner_->Now() + std::chrono::hours(24);
    return inner_->Schedule(when, std::move(fn));
  }
  void Cancel(TimerId id) override { inner_->Cancel(id); }
  int past_schedules = 0;

 private:
  sys::Clock* inner_;
  int max_past_;
};

// ---------------------------------------------------------------------------
class ManualExecutor : public sys::Executor {
 public:
  void Post(std::function<void()> fn) override;
  // Runs queued closures (including ones they post) until the queue is
  // empty. Returns how many ran.
  size_t RunAll();
  size_t size() const;
  // Blocks (real time) until something is queued or `timeout` passes. For
  // work posted from the engine's own hashing thread only.
  bool WaitForWork(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

// ---------------------------------------------------------------------------
class FakeJobStore : public core::JobStore {
 public:
  struct Batch {
    std::vector<core::JobRecord> put;
    std::vector<Guid> remove;
    std::vector<core::HistoryRecord> history;
  };

  Status LoadAll(std::vector<core::JobRecord>* jobs) override;
  using core::JobStore::Commit;
  Status Commit(std::span<const core::JobWrite> put, std::span<const Guid> remove,
                std::span<const core::HistoryRecord> history,
                const ServiceStatistics* statistics) override;
  Status LoadStatistics(ServiceStatistics* statistics) override;
  Result<std::string> GetMeta(std::string_view key) override;
  Status SetMeta(std::string_view key, std::string_view value) override;

  // Test side.
  std::map<Guid, core::JobRecord> records;
  std::vector<core::HistoryRecord> history;
  std::map<std::string, std::string, std::less<>> meta;
  ServiceStatistics statistics;  // as last committed
  std::vector<Batch> batches;  // successful commits, in order
  int fail_next_commits = 0;   // that many Commit calls fail (nothing applied)
  int failed_commits = 0;
};

// ---------------------------------------------------------------------------
class FakePayloadStore;

class FakeStagingFile : public core::StagingFile {
 public:
  explicit FakeStagingFile(FakePayloadStore* owner) : owner_(owner) {}
  Status Write(uint64_t offset, std::span<const std::byte> data) override;
  Result<size_t> Read(uint64_t offset, std::span<std::byte> out) override;
  Status Sync() override;

  std::string Contents() const;
  void SetContents(std::string s);
  uint64_t synced() const;
  int sync_calls() const;

 private:
  friend class FakePayloadStore;
  FakePayloadStore* owner_;
  mutable std::mutex mu_;
  std::string data_;
  uint64_t synced_ = 0;
  int sync_calls_ = 0;
};

class FakePayloadStore : public core::PayloadStore {
 public:
  Result<std::shared_ptr<core::StagingFile>> Open(const Guid& job, uint32_t file,
                                                  uint64_t size_hint) override;
  Result<uint64_t> StagedSize(const Guid& job, uint32_t file) override;
  Status Truncate(const Guid& job, uint32_t file, uint64_t size) override;
  Status Remove(const Guid& job, uint32_t file) override;
  Status RemoveJob(const Guid& job) override;
  Result<std::vector<Guid>> ListJobs() override;
  Status Deliver(const Guid& job, uint32_t file, const std::string& local_name,
                 uint64_t size) override;
  std::string BootId() override;

  // Test side. Staged(): nullopt when the staging file does not exist.
  std::optional<std::string> Staged(const Guid& job, uint32_t file) const;
  void SetStaged(const Guid& job, uint32_t file, std::string contents);
  bool HasJobDir(const Guid& job) const;
  void AddJobDir(const Guid& job);  // an (orphan) staging directory

  std::string boot_id = "boot-1";
  std::map<std::string, std::string> delivered_files;  // local name -> bytes
  int fail_next_delivers = 0;
  int fail_deliver_after = -1;  // >= 0: that many more Deliver calls succeed, then one fails
  int fail_next_opens = 0;
  int fail_next_writes = 0;
  int fail_next_syncs = 0;
  int fail_remove_job = 0;
  std::vector<std::pair<uint32_t, uint64_t>> truncations;  // (file, size)

 private:
  friend class FakeStagingFile;
  using Key = std::pair<Guid, uint32_t>;
  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<FakeStagingFile>> files_;
  std::set<Guid> dirs_;
};

// ---------------------------------------------------------------------------
// The test's end of one transfer.
struct TransferHandle {
  core::ByteRequest request;
  core::ByteSink* sink = nullptr;
  bool alive = true;               // false once the engine destroyed the Transfer
  bool paused = false;             // last SetPaused value
  std::vector<bool> pause_calls;   // every SetPaused call
  bool done = false;

  // Each asserts (gtest) that the transfer is still alive.
  bool Respond(const core::ByteResponse& r);
  bool Data(std::string_view bytes);
  void Done(core::ByteOutcome outcome = {});
  void Fail(int32_t code, bool transient, std::optional<std::chrono::seconds> retry_after = {});
  // Respond 200 with a known size (optional ETag), then the whole body, then Done.
  void Serve(std::string_view body, std::string etag = "\"v1\"");
};

// Convenience responses.
core::ByteResponse Ok200(uint64_t size, std::string etag = "\"v1\"");
core::ByteResponse Partial206(uint64_t offset, uint64_t length, uint64_t total,
                              std::string etag = "\"v1\"");
// A successful end after `n` connections.
core::ByteOutcome OkWithConnections(uint32_t n);
// The outcome a transport reports after the sink refused a response.
core::ByteOutcome Aborted();

class ScriptedBackend : public core::ByteSource {
 public:
  bool Supports(std::string_view scheme) const override;
  std::unique_ptr<core::ByteStream> Start(const core::ByteRequest& request,
                                          core::ByteSink* sink) override;

  std::set<std::string, std::less<>> schemes{"http", "https", "file"};
  std::vector<std::shared_ptr<TransferHandle>> started;
  // Handles still alive.
  std::vector<std::shared_ptr<TransferHandle>> Alive() const;
  // The transfer whose request URL is `url` and is alive, or nullptr.
  std::shared_ptr<TransferHandle> AliveFor(std::string_view url) const;
};

// ---------------------------------------------------------------------------
std::string FakeDigestHex(std::string_view data);
core::DigestFactory FakeDigestFactory();

// ---------------------------------------------------------------------------
class RecordingConsumer : public core::EventConsumer {
 public:
  struct Record {
    EngineEvent event;
    sys::WallTime at;
  };
  explicit RecordingConsumer(sys::Clock* clock) : clock_(clock) {}
  bool OnEvent(const EngineEvent& e) override;

  // Returns what OnEvent answers; default true.
  std::function<bool(const EngineEvent&)> answer;
  std::vector<Record> records;

  size_t Count(EventKind kind) const;
  size_t Count(EventKind kind, const Guid& job) const;
  std::vector<sys::WallTime> Times(EventKind kind) const;
  std::vector<EventKind> Kinds() const;
  void Clear() { records.clear(); }

 private:
  sys::Clock* clock_;
};

}  // namespace ferry::test
