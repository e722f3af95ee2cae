// StagingWriter: one file's bytes on their way into its staging file — the
// write buffer, the running digests (SHA-256, a content id's pieces root)
// and the checkpoints, as one unit that any Fetch can use.
//
// Bytes are appended in file order. Small chunks are gathered in a buffer of
// EngineConfig::write_buffer_bytes and written (pwrite) when it fills; a
// large chunk with nothing buffered is written as it is. With hashing on,
// every byte handed to staging is also fed, in order, to the chosen digests
// on the hashing thread (from the buffer, or read back from the page cache),
// so that the file is never read again to verify it.
// Checkpoints fdatasync staging on a worker and report how far it is
// durable.
//
// Engine thread only. Callbacks given to it run on the engine thread and
// never after the writer is destroyed (a Lifetime guards them), except the
// durable-count recorders, which carry their own guard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/ports.h"
#include "sys/clock.h"
#include "sys/executor.h"
#include "sys/lifetime.h"

namespace ferry::core {

class StagingWriter {
 public:
  struct Deps {
    PayloadStore* payload = nullptr;
    sys::Executor* loop = nullptr;
    sys::Executor* workers = nullptr;
    sys::Executor* hasher = nullptr;
    DigestFactory digest;       // SHA-256; empty: no SHA-256 possible
    DigestFactory pieces_root;  // a content id's root; empty: none possible
  };
  // The digests to run over the file's bytes.
  struct Hashing {
    bool sha256 = false;
    bool pieces_root = false;
  };
  // Their results, 64 lowercase hex digits each; empty for a digest that
  // was not asked for or has no factory.
  struct Hashes {
    std::string sha256;
    std::string pieces_root;
  };
  using Recorder = std::function<void(uint64_t durable_bytes)>;

  StagingWriter(Deps deps, const EngineConfig& cfg, Guid job, uint32_t file);
  StagingWriter(const StagingWriter&) = delete;
  StagingWriter& operator=(const StagingWriter&) = delete;

  // Opens (creates) the staging file with `size_hint` reserved; the first
  // `resume_at` bytes are already there. The digests of `hashing` (those
  // with a factory) start over those bytes, read back from staging.
  Status Open(uint64_t size_hint, uint64_t resume_at, Hashing hashing, sys::WallTime now);

  // Runs before any buffered bytes are written (the fetch forces its
  // validators' commit there). Optional.
  void SetBeforeWrite(std::function<void()> fn) { before_write_ = std::move(fn); }

  // Appends bytes at written(). `direct_ok`: a large chunk may go to staging
  // at once (else it waits in the buffer like the others). On a failed write
  // the bytes of this call are not counted.
  Status Append(std::span<const std::byte> data, bool direct_ok);
  // Writes the buffer to staging.
  Status Flush();

  // Whether a checkpoint is due: checkpoint_bytes received or
  // checkpoint_interval passed since the last, and none running.
  bool CheckpointDue(sys::WallTime now) const {
    if (ckpt_in_flight_ || written_ == ckpt_base_) return false;
    return written_ - ckpt_base_ >= cfg_.checkpoint_bytes ||
           now - last_ckpt_ >= cfg_.checkpoint_interval;
  }
  // Flushes, then fdatasyncs on a worker; then `record(bytes)` (even if this
  // writer is gone: it carries its own guard) and, on a failed sync,
  // `failed(status)` (only while the writer lives). A failed flush starts
  // nothing (the next write reports it).
  void Checkpoint(sys::WallTime now, Recorder record, std::function<void(Status)> failed);

  // fdatasync on a worker, then done(status, synced_bytes) on the loop.
  void SyncThen(std::function<void(Status, uint64_t)> done);
  Status SyncNow();  // synchronous fdatasync (suspend, shutdown)

  // The digests of every byte flushed so far, computed on the hashing
  // thread; done(hashes) on the loop. Call after Flush().
  void FinishHash(std::function<void(Hashes)> done);

  // Forgets every byte: empties the buffer, truncates staging to 0, starts
  // fresh digests. A failed truncate is logged (the bytes are rewritten).
  void Restart();

  bool hashing() const { return hash_ != nullptr; }
  bool is_open() const { return staging_ != nullptr; }
  uint64_t written() const { return written_; }  // received, buffered ones included
  uint64_t flushed() const { return flushed_; }  // handed to staging (pwrite)

 private:
  struct HashState;
  std::shared_ptr<HashState> NewHashState() const;
  // Hashes staging bytes [from, from + n) on the hashing thread.
  void HashFromStaging(uint64_t from, uint64_t n);
  Status WriteDirect(std::span<const std::byte> data);

  // Chunks at least this large bypass the write buffer when it is empty.
  static constexpr size_t kDirectWriteBytes = 64 * 1024;

  Deps deps_;
  const EngineConfig& cfg_;
  Guid job_;
  uint32_t file_;
  std::shared_ptr<StagingFile> staging_;
  std::shared_ptr<std::vector<std::byte>> buf_;
  Hashing hashing_;
  std::shared_ptr<HashState> hash_;  // null: no digest runs
  std::function<void()> before_write_;
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;
  bool ckpt_in_flight_ = false;
  uint64_t ckpt_base_ = 0;  // written_ at the last checkpoint start
  sys::WallTime last_ckpt_{};
  sys::Lifetime lifetime_;  // last: dies first
};

}  // namespace ferry::core
