// Engine: construction, recovery, job and property methods. Commits live in
// engine_commit.cc, state changes in engine_control.cc, the scheduler and
// bandwidth in scheduler.cc, one transfer attempt in file_attempt.cc.
#include "core/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <string_view>
#include <unordered_set>

#include "core/engine_impl.h"
#include "core/fetch.h"
#include "core/fetch_policy.h"
#include "core/job_state.h"
#include "core/validation.h"
#include "util/log.h"
#include "util/url.h"

namespace ferry::core {
namespace {
// How long Shutdown waits for stopped torrents' resume data.
constexpr std::chrono::milliseconds kShutdownDrain{2000};
}  // namespace

Engine::Impl::Impl(const EngineDeps& d, const EngineConfig& c)
    : deps(d),
      cfg(c),
      events(
          *d.clock,
          [this](const Guid& id, EventQueue::JobView* v) {
            const RuntimeJob* j = Find(id);
            if (!j) return false;
            *v = {j->rec.state, j->rec.notify_flags,
                  std::chrono::seconds(j->rec.min_retry_delay_s)};
            return true;
          },
          c.progress_coalesce, c.redelivery_initial) {
  if (cfg.write_buffer_bytes < 64 * 1024) cfg.write_buffer_bytes = 64 * 1024;
  auto now = d.clock->Now();
  bg_bucket.SetRate(cfg.background_limit, now);
  base_background_limit = cfg.background_limit;
  fg_bucket.SetRate(cfg.foreground_limit, now);
}

Engine::Impl::~Impl() {
  // Crash-like teardown: attempts and transfers go without syncing.
  for (auto& [id, j] : jobs) {
    j->attempt.reset();
    if (j->retry_timer) deps.clock->Cancel(j->retry_timer);
    if (j->expiry_timer) deps.clock->Cancel(j->expiry_timer);
  }
  attempt_graveyard.clear();
  stream_graveyard.clear();
  if (slice_timer) deps.clock->Cancel(slice_timer);
  if (bandwidth_timer) deps.clock->Cancel(bandwidth_timer);
  StopPolicy();
  hasher.Drain();
}

RuntimeJob* Engine::Impl::Find(const Guid& id) {
  auto it = jobs.find(id);
  return it == jobs.end() ? nullptr : it->second.get();
}
const RuntimeJob* Engine::Impl::Find(const Guid& id) const {
  auto it = jobs.find(id);
  return it == jobs.end() ? nullptr : it->second.get();
}

Status Engine::Impl::Mutable(const Guid& id, RuntimeJob** out) {
  if (shut_down) return Status(code::kUnexpected, "the engine is shut down");
  RuntimeJob* j = Find(id);
  if (!j) {
    if (finals.count(id))
      return Status(code::kInvalidState, fmt::format("job {} is {}", id.ToString(),
                                                     JobStateName(finals.at(id).job.state)));
    return Status(code::kJobNotFound, fmt::format("no job {}", id.ToString()));
  }
  if (j->completing)
    return Status(code::kInvalidState, fmt::format("job {} is being completed", id.ToString()));
  *out = j;
  return Status::OK();
}

void Engine::Impl::Touch(RuntimeJob& j) {
  j.rec.modification = Now();
  MarkDirty(j);
  events.Emit(EventKind::kModification, j.rec.id);
}

bool Engine::Impl::Move(RuntimeJob& j, JobState to, std::string_view why) {
  JobState from = j.rec.state;
  if (from == to) return true;
  if (!SetState(j.rec, to, why)) return false;
  if (from == JobState::kQueued) queued_jobs--;
  if (to == JobState::kQueued) queued_jobs++;
  auto now = Now();
  j.rec.modification = now;
  MarkDirty(j);
  if ((to == JobState::kTransientError || to == JobState::kError) && IsActive(from))
    j.rec.error_count++;
  if (to != JobState::kTransientError && to != JobState::kError) j.rec.error.reset();
  if (to == JobState::kTransferred) j.rec.transfer_completion = now;
  if (to == JobState::kQueued) j.queue_seq = next_queue_seq++;
  if (to == JobState::kTransferred)
    events.Emit(EventKind::kTransferred, j.rec.id);
  else if (to == JobState::kError)
    events.Emit(EventKind::kError, j.rec.id);
  else
    events.Emit(EventKind::kModification, j.rec.id);
  return true;
}

uint32_t Engine::Impl::NoProgressTimeout(const JobRecord& r) const {
  if (r.no_progress_timeout_set) return r.no_progress_timeout_s;
  return (r.priority == JobPriority::kForeground || r.priority == JobPriority::kHigh) ? 3600
                                                                                      : 86400;
}

JobSnapshot Engine::Impl::Snapshot(const RuntimeJob& j) const {
  JobSnapshot s;
  s.job = j.rec;
  s.job.no_progress_timeout_s = NoProgressTimeout(j.rec);
  s.job.cost_policy = EffectiveCostPolicy(j.rec, cfg.policy) & ~kCostNoCellular;
  s.download_mode = EffectiveMode(cfg.peering, j.rec.download_mode);
  JobProgress& p = s.progress;
  p.files_total = static_cast<uint32_t>(j.rec.files.size());
  for (const auto& f : j.rec.files) {
    if (p.bytes_total != kSizeUnknown)
      p.bytes_total = f.bytes_total == kSizeUnknown ? kSizeUnknown : p.bytes_total + f.bytes_total;
    p.bytes_transferred += f.bytes_transferred;
    if (f.transferred) p.files_transferred++;
  }
  return s;
}

void Engine::Impl::PostGraveyard() {
  if (graveyard_posted) return;
  graveyard_posted = true;
  sys::PostIfAlive(*deps.loop, lifetime, [this] {
    graveyard_posted = false;
    auto a = std::move(attempt_graveyard);
    attempt_graveyard.clear();
    a.clear();
    auto t = std::move(stream_graveyard);
    stream_graveyard.clear();
    t.clear();
  });
}

void Engine::Impl::RetireStream(std::unique_ptr<ByteStream> t) {
  if (!t) return;
  stream_graveyard.push_back(std::move(t));
  PostGraveyard();
}

void Engine::Impl::ArmExpiry(RuntimeJob& j) {
  if (j.expiry_timer) deps.clock->Cancel(j.expiry_timer);
  Guid id = j.rec.id;
  j.expiry_timer = deps.clock->Schedule(j.rec.creation + cfg.max_job_age, [this, id] {
    RuntimeJob* job = Find(id);
    if (!job) return;
    job->expiry_timer = 0;
    if (job->completing) return;
    log::Warn("job {} '{}' reached the maximum age without Complete or Cancel: cancelled ({})",
              id.ToString(), job->rec.display_name, Status(code::kJobTooOld, "").ToString());
    CancelJob(*job, JobState::kCancelled, code::kJobTooOld, "maximum age reached");
  });
}

namespace {

// A full state file system must not keep ferryd down (docs/engine.md, "Disk
// full"): at open, ERROR_DISK_FULL is logged and ignored — what could not be
// committed stays dirty for the next group commit, and an unrecorded boot id
// only makes the next start more careful. Other errors pass through.
Status ToleratingDiskFull(Status s, std::string_view what) {
  if (s.code() != code::FromWin32(112)) return s;  // ERROR_DISK_FULL
  log::Warn("{} failed ({}); starting anyway, the next commit retries", what, s.ToString());
  return Status::OK();
}

}  // namespace

// A file's staging against its checkpoint: staging shorter than the
// checkpoint (lost page cache) resumes from what is there; longer staging is
// kept up to what this boot can trust (same boot: everything in the page
// cache, counted once in the statistics; after a reboot: the checkpoint).
void Engine::Impl::RecoverFileStaging(RuntimeJob& j, uint32_t i, bool same_boot) {
  FileRecord& f = j.rec.files[i];
  j.files_rt[i].durable = f.bytes_transferred;
  if (f.transferred || f.delivered) return;
  // A torrent's staging holds pieces anywhere, not a prefix, and so does a
  // content-id file fetched from peers (it has their resume data): the
  // resume data says which are verified (docs/p2p.md, docs/peering.md).
  if (ChooseFetch(f.remote_url, f.local_name) == FetchBackend::kPeers || !f.resume_data.empty())
    return;
  auto staged = deps.payload->StagedSize(j.rec.id, i);
  uint64_t have = staged.ok() ? *staged : 0;
  if (have < f.bytes_transferred) {
    log::Warn("job {} file {}: staging holds {} bytes, the checkpoint said {}; resuming from {}",
              j.rec.id.ToString(), i, have, f.bytes_transferred, have);
    f.bytes_transferred = j.files_rt[i].durable = have;
    MarkFileDirty(j, i);
    return;
  }
  if (have == f.bytes_transferred) return;
  if (!same_boot) {
    // After a reboot only what was fdatasync'ed at a checkpoint counts.
    deps.payload->Truncate(j.rec.id, i, f.bytes_transferred);
    return;
  }
  // Same boot: bytes that reached the page cache are intact. Those past what
  // the stored stats counted were received uncounted.
  uint64_t cap = f.bytes_total != kSizeUnknown ? std::min(have, f.bytes_total) : have;
  if (cap > f.counted_bytes) {
    uint64_t uncounted = cap - std::max(f.counted_bytes, f.bytes_transferred);
    CountFromOrigin(&f.stats, uncounted);
    statistics.AddFromOrigin(uncounted, Now());
    MarkFileDirty(j, i);
  }
  f.bytes_transferred = cap;
  if (cap < have) deps.payload->Truncate(j.rec.id, i, cap);
}

// Puts a recovered job back in the tables: a running job is queued again,
// its timers (expiry, retry) re-armed.
void Engine::Impl::AdmitRecoveredJob(std::unique_ptr<RuntimeJob> j) {
  if (IsRunning(j->rec.state)) {
    log::Info("job {} {} -> QUEUED (recovered after restart)", j->rec.id.ToString(),
              JobStateName(j->rec.state));
    j->rec.state = JobState::kQueued;
    MarkDirty(*j);
  }
  if (j->rec.state == JobState::kQueued) {
    j->queue_seq = next_queue_seq++;
    queued_jobs++;
  }
  last_creation = std::max(last_creation, j->rec.creation);
  Guid id = j->rec.id;
  order.push_back(id);
  RuntimeJob* raw = j.get();
  for (const auto& f : raw->rec.files)
    if (!f.delivered) AddLiveName(f.local_name);
  CountJob(raw->rec.owner_uid, +1);
  jobs[id] = std::move(j);
  ArmExpiry(*raw);
  if (raw->rec.state == JobState::kTransientError) {
    auto when = std::max(raw->rec.retry_at, Now());
    raw->retry_timer = deps.clock->Schedule(when, [this, id] { OnRetryTimer(id); });
  }
}

Status Engine::Impl::Recover() {
  std::vector<JobRecord> recs;
  Status s = deps.job_store->LoadAll(&recs);
  if (!s.ok()) return s;
  std::string boot = deps.payload->BootId();
  auto recorded = deps.job_store->GetMeta("boot_id");
  if (!recorded.ok()) return recorded.status();
  bool same_boot = !boot.empty() && *recorded == boot;
  ServiceStatistics totals;
  if (s = deps.job_store->LoadStatistics(&totals); !s.ok()) return s;
  statistics.Load(totals);
  std::sort(recs.begin(), recs.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.creation < b.creation; });
  for (auto& rec : recs) {
    auto j = std::make_unique<RuntimeJob>();
    j->rec = std::move(rec);
    j->stored = true;
    j->bucket.SetRate(j->rec.max_rate, Now());
#ifndef NDEBUG
    j->stored_files = j->rec.files;
#endif
    size_t n = j->rec.files.size();
    j->files_rt.assign(n, FileRuntime{});
    for (size_t i = 0; i < n; ++i) RecoverFileStaging(*j, static_cast<uint32_t>(i), same_boot);
    AdmitRecoveredJob(std::move(j));
  }
  if (!boot.empty()) {
    s = ToleratingDiskFull(deps.job_store->SetMeta("boot_id", boot), "recording the boot id");
    if (!s.ok()) return s;
  }
  // Staging left behind by jobs that no longer exist (crash during Cancel).
  if (auto dirs = deps.payload->ListJobs(); dirs.ok()) {
    for (const auto& g : *dirs)
      if (!jobs.count(g)) deps.payload->RemoveJob(g);
  }
  return ToleratingDiskFull(Flush(), "committing the recovered jobs");
}

// ---------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineDeps& deps, const EngineConfig& config) {
  if (!deps.clock || !deps.loop || !deps.workers || !deps.fs || !deps.job_store || !deps.payload)
    return Status(code::kInvalidArg, "engine dependencies missing");
  auto impl = std::make_unique<Impl>(deps, config);
  Status s = impl->Recover();
  if (!s.ok()) return s;
  std::unique_ptr<Engine> e(new Engine(std::move(impl)));
  e->impl_->StartPolicy();
  e->impl_->Schedule();
  return e;
}

Status Engine::Shutdown() {
  Impl& m = *impl_;
  if (m.shut_down) return Status::OK();
  Status result;
  for (auto& [id, j] : m.jobs) {
    if (!j->attempt) continue;
    uint32_t file = j->attempt->file();
    uint64_t bytes = 0;
    Status s = j->attempt->StopAndSync(&bytes);
    if (s.ok()) {
      j->files_rt[file].durable = std::max(j->files_rt[file].durable, bytes);
      m.MarkFileDirty(*j, file);
    } else {
      result = s;
    }
    m.attempt_graveyard.push_back(std::move(j->attempt));
  }
  // Torrents stopped just now still owe their resume data (PeerBackend).
  if (m.deps.peers) m.deps.peers->Drain(kShutdownDrain);
  m.hasher.Drain();
  Status f = m.Flush();
  m.shut_down = true;
  return result.ok() ? f : result;
}

Status Engine::CreateJob(const Caller& caller, std::string_view display_name, JobType type,
                         Guid* id) {
  return impl_->CreateJobStep(caller, display_name, type, id, false);
}

void Engine::CreateJob(const Caller& caller, std::string_view display_name, JobType type,
                       std::function<void(Status, Guid)> done) {
  Impl& m = *impl_;
  Guid id;
  if (Status s = m.CreateJobStep(caller, display_name, type, &id, true); !s.ok()) {
    done(s, Guid{});
    return;
  }
  m.AfterFlush([&m, id, done = std::move(done)](const Status& committed) {
    if (!committed.ok()) m.UndoCreate(id);
    done(committed, id);
  });
}

void Engine::Impl::UndoCreate(const Guid& id) {
  RuntimeJob* j = Find(id);
  if (!j || j->stored || !j->rec.files.empty() || j->rec.state != JobState::kSuspended ||
      j->completing) {
    log::Warn("job {}: its creation was not committed, but it changed since; it stays",
              id.ToString());
    return;
  }
  deps.clock->Cancel(j->expiry_timer);
  events.Forget(id);
  CountJob(j->rec.owner_uid, -1);
  jobs.erase(id);
  order.erase(std::remove(order.begin(), order.end(), id), order.end());
}

Status Engine::Impl::CreateJobStep(const Caller& caller, std::string_view display_name,
                                   JobType type, Guid* id, bool grouped) {
  Impl& m = *this;
  if (m.shut_down) return Status(code::kUnexpected, "the engine is shut down");
  if (type == JobType::kUpload || type == JobType::kUploadReply)
    return Status(code::kNotImpl, "upload jobs are not supported");
  if (type != JobType::kDownload) return Status(code::kInvalidArg, "unknown job type");
  if (Status s = ValidateDisplayName(display_name); !s.ok()) return s;
  if (!caller.admin) {
    auto it = m.jobs_of_uid.find(caller.uid);
    uint32_t n = it == m.jobs_of_uid.end() ? 0 : it->second;
#ifndef NDEBUG
    uint32_t scanned = 0;
    for (auto& [g, j] : m.jobs)
      if (j->rec.owner_uid == caller.uid) scanned++;
    assert(n == scanned && "jobs_of_uid out of step");
#endif
    if (n >= m.cfg.max_jobs_per_user)
      return Status(code::kTooManyJobsPerUser,
                    fmt::format("user {} already has {} jobs; the limit is {}", caller.uid, n,
                                m.cfg.max_jobs_per_user));
  }
  auto j = std::make_unique<RuntimeJob>();
  JobRecord& r = j->rec;
  r.id = Guid::Random();
  r.type = type;
  r.owner_uid = caller.uid;
  r.display_name = std::string(display_name);
  // Creation times are strictly increasing, so that sorting by them after a
  // restart gives back the creation order even within one clock tick.
  r.creation = std::max(m.Now(), m.last_creation + std::chrono::nanoseconds(1));
  m.last_creation = r.creation;
  r.modification = r.creation;
  r.last_progress = r.creation;
  r.min_retry_delay_s = 600;
  r.cost_policy = kCostPolicyDefault;  // reads back as the default of its priority
  r.state = JobState::kSuspended;
  m.MarkDirty(*j);
  Guid g = r.id;
  RuntimeJob* raw = j.get();
  m.jobs[g] = std::move(j);
  m.CountJob(caller.uid, +1);
  m.order.push_back(g);
  m.ArmExpiry(*raw);
  log::Info("job {} created by uid {}: '{}'", g.ToString(), caller.uid, display_name);
  m.events.Emit(EventKind::kModification, g);
  if (grouped) {
    *id = g;
    return Status::OK();
  }
  Status s = m.Flush();
  if (!s.ok()) {
    m.deps.clock->Cancel(raw->expiry_timer);
    m.jobs.erase(g);
    m.CountJob(caller.uid, -1);
    m.order.pop_back();
    return s;
  }
  *id = g;
  return Status::OK();
}

Status Engine::AddFiles(const Guid& id, std::span<const NewFile> files) {
  size_t before = 0;
  return impl_->AddFilesStep(id, files, false, &before);
}

void Engine::AddFiles(const Guid& id, std::span<const NewFile> files,
                      std::function<void(Status)> done) {
  Impl& m = *impl_;
  RuntimeJob* j = m.Find(id);
  // A TRANSFERRED job goes back to SUSPENDED, which an undo could not take
  // back cleanly: that rare case commits at once.
  bool grouped = j && j->rec.state != JobState::kTransferred;
  size_t before = 0;
  Status s = m.AddFilesStep(id, files, grouped, &before);
  if (!s.ok() || !grouped) {
    done(s);
    return;
  }
  size_t n = files.size();
  m.AfterFlush([&m, id, before, n, done = std::move(done)](const Status& committed) {
    if (committed.ok())
      m.Schedule();
    else
      m.UndoAddFiles(id, before, n);
    done(committed);
  });
}

void Engine::Impl::UndoAddFiles(const Guid& id, size_t files_before, size_t count) {
  RuntimeJob* j = Find(id);
  if (!j || j->completing || j->rec.files.size() != files_before + count) {
    log::Warn("job {}: added files were not committed, but the job changed since; they stay",
              id.ToString());
    return;
  }
  if (j->attempt && j->attempt->file() >= files_before) StopAttempt(*j);
  for (size_t i = files_before; i < j->rec.files.size(); ++i)
    DropLiveName(j->rec.files[i].local_name);
  j->rec.files.resize(files_before);
  j->files_rt.resize(files_before);
  if (j->rec.files.empty() && j->rec.state != JobState::kSuspended)
    Move(*j, JobState::kSuspended, "its files were taken back");
  else if (IsRunning(j->rec.state) && !j->attempt)
    Move(*j, JobState::kQueued, "an added file was taken back");
  Schedule();
}

namespace {

// The file record of a new file: its byte total is the file size, or the sum
// of its ranges (unknown while a to-EOF range meets an unknown size).
FileRecord NewFileRecord(uint32_t index, const NewFile& nf) {
  FileRecord f;
  f.index = index;
  f.remote_url = nf.remote_url;
  f.local_name = nf.local_name;
  f.file_id = nf.file_id;
  f.ranges = nf.ranges;
  f.expected_size = nf.file_size;
  f.sha256 = nf.sha256;
  f.content_id = nf.content_id;
  std::transform(f.sha256.begin(), f.sha256.end(), f.sha256.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  if (f.ranges.empty() && nf.file_size != kSizeUnknown) f.bytes_total = nf.file_size;
  if (!f.ranges.empty()) {
    uint64_t sum = 0;
    for (const auto& r : f.ranges) {
      if (r.length == kLengthToEof) {
        if (nf.file_size == kSizeUnknown) {
          sum = kSizeUnknown;
          break;
        }
        sum += nf.file_size - r.initial_offset;
      } else {
        sum += r.length;
      }
    }
    f.bytes_total = sum;
  }
  return f;
}

// A torrent may name a directory ("/dl/"): its files go below it, one job
// file each, once the torrent's file list is known (engine_expand.cc).
Status ValidateLocalName(const NewFile& nf) {
  if (nf.local_name.empty() || nf.local_name.back() != '/') return ValidateLocalPath(nf.local_name);
  if (ChooseFetch(nf.remote_url, nf.local_name) != FetchBackend::kPeers)
    return Status(code::kInvalidArg,
                  fmt::format("the local name '{}' names a directory, which only "
                              "a torrent or magnet can have",
                              nf.local_name));
  if (!nf.ranges.empty() || !nf.sha256.empty() || nf.file_size != kSizeUnknown)
    return Status(code::kInvalidArg,
                  "a torrent saved to a directory takes no ranges, size or hash");
  return ValidateLocalDirectory(nf.local_name);
}

}  // namespace

// The destination is checked with this process's view and rights. The
// system service cannot see users' directories (ProtectHome=yes) and never
// writes there: the SDK checks them with the caller's rights.
Status Engine::Impl::CheckDestination(const std::string& local_name) {
  auto st = deps.fs->Stat(local_name);
  if (local_name.back() != '/' && st.ok() && st->exists && st->is_directory)
    return Status(code::kInvalidArg, fmt::format("the local name '{}' is a directory", local_name));
  std::string dir = local_name.substr(0, local_name.rfind('/'));
  if (dir.empty()) dir = "/";
  auto ds = deps.fs->Stat(dir);
  if (!ds.ok() || !ds->exists || !ds->is_directory)
    return Status(code::kInvalidArg, fmt::format("the directory '{}' does not exist", dir));
  if (Status s = deps.fs->CheckWritableDir(dir); !s.ok())
    return Status(code::kAccessDenied, fmt::format("the directory '{}' is not writable", dir));
  return Status::OK();
}

Status Engine::Impl::ValidateNewFiles(const RuntimeJob& j, std::span<const NewFile> files) {
  if (files.empty()) return Status(code::kInvalidArg, "no files given");
  if (j.rec.files.size() + files.size() > cfg.max_files_per_job)
    return Status(code::kTooManyFilesInJob,
                  fmt::format("the job would have {} files; the limit is {}",
                              j.rec.files.size() + files.size(), cfg.max_files_per_job));
    // A local name may belong to one undelivered file of the live jobs
    // (live_names indexes them, so this check does not scan every job).
#ifndef NDEBUG
  {
    std::unordered_map<std::string, uint32_t> scan;
    for (auto& [g, other] : jobs)
      for (const auto& f : other->rec.files)
        if (!f.delivered) scan[f.local_name]++;
    assert(scan == live_names);
  }
#endif
  std::unordered_set<std::string_view> batch;
  for (const NewFile& nf : files)
    if (!nf.local_name.ends_with('/') &&  // a torrent's directory: its files are checked later
        (!batch.insert(nf.local_name).second || live_names.count(nf.local_name)))
      return Status(
          code::kInvalidArg,
          fmt::format("'{}' is already the local name of a file in a live job", nf.local_name));
  for (const NewFile& nf : files) {
    if (Status s = ValidateRemoteUrl(nf.remote_url); !s.ok()) return s;
    if (Status s = ValidateLocalName(nf); !s.ok()) return s;
    if (Status s = ValidateSha256Hex(nf.sha256); !s.ok()) return s;
    if (Status s = ValidateFileContentId(nf.content_id, nf.remote_url, nf.ranges, nf.file_size);
        !s.ok())
      return s;
    if (!nf.ranges.empty() || nf.file_size != kSizeUnknown) {
      if (Status s = ValidateRanges(nf.ranges, nf.file_size, cfg.max_ranges_per_file); !s.ok())
        return s;
    }
    if (!cfg.check_destination_writable) continue;
    if (Status s = CheckDestination(nf.local_name); !s.ok()) return s;
  }
  return Status::OK();
}

Status Engine::Impl::AddFilesStep(const Guid& id, std::span<const NewFile> files, bool grouped,
                                  size_t* files_before_out) {
  RuntimeJob* j;
  if (Status s = Mutable(id, &j); !s.ok()) return s;
  if (Status s = ValidateNewFiles(*j, files); !s.ok()) return s;
  JobRecord before = j->rec;
  bool was_dirty = j->dirty;
  size_t files_before = j->files_rt.size();
  for (const NewFile& nf : files) {
    FileRecord f = NewFileRecord(static_cast<uint32_t>(j->rec.files.size()), nf);
    j->dirty_files.push_back(f.index);
    j->rec.files.push_back(std::move(f));
    j->files_rt.push_back(FileRuntime{});
  }
  if (j->rec.state == JobState::kTransferred) Move(*j, JobState::kSuspended, "file added");
  Touch(*j);
  *files_before_out = files_before;
  if (grouped) {
    for (const NewFile& nf : files) AddLiveName(nf.local_name);
    return Status::OK();  // the caller commits (AfterFlush), schedules or undoes
  }
  Status s = Flush();
  if (!s.ok()) {
    // Nothing of a failed AddFiles may stay (semantics: bad calls change nothing).
    j->rec = std::move(before);
    j->dirty = was_dirty;
    j->files_rt.resize(files_before);
    return s;
  }
  for (const NewFile& nf : files) AddLiveName(nf.local_name);
  Schedule();
  return s;
}

Result<JobSnapshot> Engine::GetJob(const Guid& id) const {
  const Impl& m = *impl_;
  if (const RuntimeJob* j = m.Find(id)) return m.Snapshot(*j);
  if (auto it = m.finals.find(id); it != m.finals.end()) return it->second;
  return Status(code::kJobNotFound, fmt::format("no job {}", id.ToString()));
}

bool Engine::IsLive(const Guid& id) const { return impl_->Find(id) != nullptr; }

std::vector<Guid> Engine::EnumJobs(std::optional<uint32_t> owner) const {
  std::vector<Guid> out;
  for (const Guid& g : impl_->order) {
    const RuntimeJob* j = impl_->Find(g);
    if (j && (!owner || j->rec.owner_uid == *owner)) out.push_back(g);
  }
  return out;
}

EngineStats Engine::Stats() const {
  EngineStats s;
  for (auto& [g, j] : impl_->jobs) {
    s.jobs_by_state[j->rec.state]++;
    if (j->attempt) s.running_transfers++;
  }
  s.background_limit = impl_->bg_bucket.rate();
  s.foreground_limit = impl_->fg_bucket.rate();
  return s;
}

ServiceStatistics Engine::Statistics() {
  impl_->statistics.Roll(impl_->Now());
  return impl_->statistics.totals();
}

void Engine::SetBandwidthLimits(uint64_t background, uint64_t foreground) {
  auto now = impl_->Now();
  impl_->bg_bucket.SetRate(background, now);
  impl_->fg_bucket.SetRate(foreground, now);
  impl_->base_background_limit = background;
  impl_->ApplySchedule();
  impl_->OnBandwidthRound();
}

EventQueue& Engine::events() { return impl_->events; }

}  // namespace ferry::core
