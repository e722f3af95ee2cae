// The fetch port: how the engine gets one file of a job (or its ranges) into
// staging, whatever the transport (docs/fetch-seam.md).
//
// The engine makes one Fetch per running file (MakeFetch) and talks to it
// through the Fetch interface; the Fetch talks back only through its
// FetchHost — the narrow mediator below, never the engine's internals. A
// Fetch writes the file's bytes into its staging file (StagingWriter),
// reports progress, checkpoints (bytes known durable), opaque resume data the
// store keeps for it, and ends exactly once with done or failed.
//
// Today's implementation is Attempt (core/file_attempt.h) on a ByteSource
// (HTTP and file://); which backend fetches a file is ChooseFetch's call
// (core/fetch_policy.h). Everything here runs on the engine thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/fetch_policy.h"
#include "core/ports.h"
#include "core/statistics.h"
#include "sys/clock.h"
#include "sys/executor.h"

namespace ferry::core {

// Where received bytes came from (the statistics count them apart).
enum class ByteFrom { kOrigin, kCacheServer };

// One file of several that a job file stands for (FetchHost::ReplaceWithParts).
struct FilePart {
  std::string remote_url;  // fetches this part alone
  std::string local_name;  // absolute, below the directory the job file named
  uint64_t size = kSizeUnknown;
};

// What a Fetch may ask of the engine: one per fetch, owned by it.
class FetchHost {
 public:
  virtual ~FetchHost() = default;

  // --- the file and its job ---
  // The job's record (settings a request needs) and the file's, which the
  // fetch updates in place (sizes, validators, counts, stats); every change
  // is followed by FileChanged() so that the next commit writes it.
  virtual const JobRecord& Job() = 0;
  virtual FileRecord& File() = 0;
  virtual void FileChanged() = 0;
  // Stores the backend's opaque resume state with the file (FileRecord::
  // resume_data), committed with the next group commit.
  virtual void SetResumeData(std::string data) = 0;
  // The engine's configuration as it applies to this file: peering.mode is
  // the job's effective download mode (EffectiveMode) when the fetch was
  // made; a later change of the job's mode applies from its next start.
  virtual const EngineConfig& Config() = 0;
  // The engine's record of failing cache hosts (policy.md §4), shared by
  // every fetch.
  virtual CacheHostBook& CacheHosts() = 0;
  // The job's no-progress timeout in effect (seconds; 0: none).
  virtual std::chrono::seconds NoProgressTimeout() = 0;

  // --- time and threads ---
  virtual sys::WallTime Now() = 0;
  virtual sys::Executor& Loop() = 0;     // the engine thread
  virtual sys::Executor& Workers() = 0;  // blocking work (fdatasync)
  virtual sys::Executor& Hasher() = 0;   // the one in-order hashing thread
  // fn runs on the engine thread at `when` on the engine's clock (the fetch
  // guards it against its own end).
  virtual void RunAt(sys::WallTime when, std::function<void()> fn) = 0;
  virtual PayloadStore& Payload() = 0;
  virtual const DigestFactory& Digests() = 0;            // SHA-256
  virtual const DigestFactory& PiecesRootDigests() = 0;  // content ids' root; may be empty

  // --- the group commit ---
  // Commits so far; a change made now is durable once Commits() exceeds
  // today's value.
  virtual uint64_t Commits() = 0;
  virtual void CommitSoon() = 0;  // the next loop turn
  virtual void CommitNow() = 0;   // synchronously (a failure is logged, retried later)
  // fn runs on a later loop turn, after the next commit.
  virtual void AfterCommit(std::function<void()> fn) = 0;

  // --- progress ---
  virtual void OnResponded() = 0;  // the first bytes may flow (CONNECTING -> TRANSFERRING)
  // `counted` new bytes of the file arrived (of `raw` read) from `from`:
  // statistics and the bandwidth buckets. Returns true when a limit applies
  // (the caller then spends its quota and calls PauseForBandwidth when it is
  // gone).
  virtual bool OnReceived(uint64_t counted, uint64_t raw, sys::WallTime now, ByteFrom from) = 0;
  // As OnReceived, for bytes from peers (the file's stats are the fetch's to
  // keep): the service's totals and the bandwidth buckets.
  virtual void OnReceivedFromPeers(const PeerBytes& bytes, sys::WallTime now) = 0;
  // The download limit in force for this file's job, bytes/s (the lower of
  // its priority's bucket and its own; 0: none). A backend that limits its
  // own rate (peers) follows it.
  virtual uint64_t RateLimit() = 0;
  virtual void PauseForBandwidth() = 0;
  virtual void OnProgress() = 0;  // the file's live count changed
  // Records that `bytes` of staging are durable, for the file as it is now
  // (a later restart makes it a no-op). The callable may run after the
  // fetch is gone; it does nothing once the engine is.
  virtual std::function<void(uint64_t bytes)> DurableRecorder() = 0;
  // Whether a stored resume state still belongs to the file: kStored, or
  // kStale (the file restarted, finished or is running again: the data was
  // dropped), or kGone (the job or the engine is gone: its staging too).
  enum class ResumeStored { kStored, kStale, kGone };
  // For resume state that arrives after the fetch stopped (PeerFetch saves
  // libtorrent's at Stop): stores `data` as SetResumeData does and records
  // `bytes` durable, for the file as it is now, committed with the next
  // group commit. Callable after the fetch is gone; the data must describe
  // staging already synced.
  virtual std::function<ResumeStored(std::string data, uint64_t bytes)> ResumeRecorder() = 0;
  // The file starts again from byte `from` (0: staging truncated): its
  // count and checkpoint go back to it, the store is told at once, and
  // recorders handed out before become no-ops.
  virtual void OnRestart(uint64_t from) = 0;
  // Stops the ByteStream on a later loop turn (never inside its callback).
  virtual void RetireStream(std::unique_ptr<ByteStream> stream) = 0;

  // --- the end (exactly one; the engine retires the fetch: return at once) ---
  virtual void OnDone() = 0;  // every byte staged, synced and verified
  // The file's local name is a directory (it ends in '/') and its source
  // turned out to hold `parts` (the files of a torrent): the file becomes
  // parts[0], the others are added after the job's last file, each fetched
  // on its own. The engine retires this fetch and starts the job's next
  // file; parts the engine refuses (names taken, too many files) fail the
  // job with E_INVALIDARG. Like OnDone, the fetch's last call to the host.
  virtual void ReplaceWithParts(std::vector<FilePart> parts) = 0;
  virtual void OnFailed(ErrorRecord error, bool transient,
                        std::optional<std::chrono::seconds> retry_after) = 0;
};

// One file being fetched. Owned by the engine (the job's runtime state);
// destroyed only on a loop turn of its own (never inside its callbacks).
class Fetch {
 public:
  virtual ~Fetch() = default;
  virtual uint32_t file() const = 0;
  // Opens staging and starts. On failure nothing runs and the error (context
  // LOCAL_FILE or REMOTE_FILE) is in *err for the engine to put the job in
  // ERROR.
  virtual bool Begin(ErrorRecord* err) = 0;
  // Hands buffered bytes to staging and stops (no sync); nothing more is
  // reported but durable counts of syncs already running.
  virtual void Stop() = 0;
  // Stop() plus a synchronous fdatasync; *bytes gets what is now durable.
  virtual Status StopAndSync(uint64_t* bytes) = 0;
  // Stops / restarts taking bytes (the bandwidth rounds).
  virtual void SetPaused(bool paused) = 0;
  // Bytes this fetch may still take in the current bandwidth round; it asks
  // to be paused (FetchHost::PauseForBandwidth) when they are spent.
  virtual void SetBandwidthQuota(int64_t bytes) = 0;
};

// Makes the Fetch of a backend outside core (transfer/p2p): the engine
// passes the host the fetch reports through (EngineDeps::peers).
class FetchMaker {
 public:
  virtual ~FetchMaker() = default;
  virtual std::unique_ptr<Fetch> MakeFetch(std::unique_ptr<FetchHost> host, uint32_t file) = 0;
  // Whether uploads to peers may run (core::UploadAllowed: not on battery
  // below min_battery_percent_to_upload). The engine calls it when it starts
  // and whenever the machine's conditions change. Makers without peers
  // ignore it.
  virtual void SetUploadAllowed(bool /*allowed*/) {}
  // Whether uploads to internet peers may run (core::InternetUploadAllowed:
  // monthly_upload_cap). The engine calls it when it starts and whenever its
  // answer changes; it does not lift SetUploadAllowed(false).
  virtual void SetInternetUploadAllowed(bool /*allowed*/) {}
  // Bytes sent to peers by every torrent of the maker (fetches and its
  // seeding cache) go to `counter`, at least about once a second while the
  // maker has peers at all (with zeros when nothing was sent, so that the
  // engine sees a new month start). Set once by the engine at start.
  virtual void SetSentCounter(std::function<void(const PeerBytes&)> /*counter*/) {}
  // At shutdown, after every fetch stopped and before the last commit:
  // blocks at most `budget` for what stopped fetches still owe the engine
  // (their resume state, through ResumeRecorder). Engine thread; the loop
  // does not run meanwhile.
  virtual void Drain(std::chrono::milliseconds /*budget*/) {}
};

}  // namespace ferry::core
