// RunFerryCase (swarm_run.h): a ferryd per host with the bench's
// configuration, one job per host fetching the origin's URL (with the content
// id, except in the alone case), started on the case's schedule, polled until
// every job is TRANSFERRED or the deadline; the kill case kills and restarts
// the last host's ferryd mid-file.
//
// ferryd's configuration is its defaults (peers-first delays, LAN mode, local
// service discovery on) except: the build tree's torrent module,
// min_file_size_to_peer 1 MiB (so that a small --size-mib still peers),
// min_retry_delay_floor_seconds 1 (the test beds'), and in the groups case
// download_mode 2, the host's group_id and the tracker.
#include <deque>
#include <thread>

#include "ferry/ferry.h"
#include "lib/torrent/module.h"
#include "support/opentracker_fixture.h"
#include "support/service_env.h"
#include "swarm/swarm_run.h"
#include "util/content_id.h"
#include "util/status_codes.h"

namespace ferry::bench {
namespace {

using test::SwarmHost;

struct FerryHost {
  std::unique_ptr<Manager> manager;
  std::unique_ptr<Job> job;
  Guid id;
  bool started = false, done = false, failed = false;
};

std::string GroupId(int g) { return g == 0 ? "ferry-bench-group-a" : "ferry-bench-group-b"; }

std::string ConfigFor(const Run& run, int i, const std::string& tracker) {
  const BenchOptions& o = *run.options;
  nlohmann::json c = {{"min_retry_delay_floor_seconds", 1},
                      {"torrent_module", o.module},
                      {"min_file_size_to_peer", 1 << 20},
                      {"download_mode", 1},
                      {"peer_local_discovery", true}};
  if (o.kase == "groups") {
    c["download_mode"] = 2;
    c["group_id"] = GroupId(run.GroupOf(i));
    c["trackers"] = {tracker};
  }
  return c.dump();
}

// The tracker's whitelist: each group's derived torrent's v2 info-hash
// truncated to 20 bytes (what a client announces), from a session of the
// module (ContentTorrent is pure: the same bytes every host derives).
Status GroupHashes(const Run& run, std::vector<std::string>* hashes) {
  auto id = ParseContentId(run.options->content_id);
  if (!id.ok()) return id.status();
  torrent::SessionSettings st;
  st.listen_addresses = {"127.0.0.1"};
  st.listen_port = 0;
  st.local_service_discovery = false;
  auto session = torrent::CreateSession(st, run.options->module);
  if (!session.ok()) return session.status();
  for (int g = 0; g < 2; ++g) {
    torrent::ContentSpec spec;
    spec.size = id->size;
    spec.root = id->root;
    spec.group = GroupId(g);
    auto derived = session.value()->ContentTorrent(spec);
    if (!derived.ok()) return derived.status();
    hashes->push_back(derived->info_hash.substr(0, 40));
  }
  return Status::OK();
}

Status StartFerryds(Run* run, const std::string& tracker) {
  for (int i = 0; i < static_cast<int>(run->hosts.size()); ++i) {
    SwarmHost& h = run->swarm->host(i);
    h.env = std::make_unique<test::ServiceEnv>();
    test::FerrydOptions fo;
    fo.netns = h.netns;
    fo.config_json = ConfigFor(*run, i, tracker);
    fo.log_level = run->options->log_level;
    if (Status s = h.env->Start(fo); !s.ok()) return s;
  }
  return Status::OK();
}

Status PrepareJob(Run* run, int i, FerryHost* f) {
  SwarmHost& h = run->swarm->host(i);
  const BenchOptions& o = *run->options;
  if (Status s = h.Connect(&f->manager); !s.ok()) return s;
  Status s = f->manager->CreateJob("swarm bench", JobType::kDownload, &f->id, &f->job);
  if (s.ok()) s = f->job->SetPriority(o.priority);
  const std::string name = o.file.substr(o.file.rfind('/') + 1);
  if (s.ok()) s = f->job->AddFile(run->swarm->OriginUrl(name), h.env->work().Path(name));
  if (!s.ok() || o.kase == "alone") return s;
  std::vector<std::unique_ptr<File>> files;
  s = f->job->EnumFiles(&files);
  if (s.ok() && files.size() != 1) s = Status(code::kUnexpected, "the job has no one file");
  if (s.ok()) s = files[0]->SetContentId(o.content_id);
  return s;
}

std::string Describe(Job& job) {
  JobState st = JobState::kQueued;
  JobProgress p;
  job.GetState(&st);
  job.GetProgress(&p);
  std::string text = "state " + std::to_string(static_cast<int>(st)) + ", " +
                     std::to_string(p.bytes_transferred) + " bytes";
  std::unique_ptr<Error> e;
  std::string d;
  if (st == JobState::kError && job.GetError(&e).ok() && e && e->GetErrorDescription(&d).ok())
    text += ": " + d;
  return text;
}

// One poll of a started host: TRANSFERRED ends it, ERROR fails it.
void Poll(Run* run, int i, FerryHost* f) {
  HostRun& h = run->hosts[i];
  JobState st = JobState::kQueued;
  if (!f->job || !f->job->GetState(&st).ok()) return;  // a restart in progress
  if (st == JobState::kTransferred) {
    h.time_s = run->Now() - h.start_s;
    f->done = true;
  } else if (st == JobState::kError || st == JobState::kCancelled) {
    h.error = "host " + std::to_string(i) + ": " + Describe(*f->job);
    f->failed = true;
  } else if (st == JobState::kSuspended) {
    f->job->Resume();
  }
}

// The kill case's victim (the last host): samples its counters every 0.5 s,
// and once its job has kill_at of the file, kills its ferryd with SIGKILL,
// restarts it on the same state dir and reconnects to the job.
class Killer {
 public:
  explicit Killer(Run* run) : run_(run), victim_(static_cast<int>(run->hosts.size()) - 1) {}

  void Tick(FerryHost* f) {
    KillInfo& k = run_->kill;
    if (k.killed) {
      if (f->job && !f->failed && run_->Now() - k.at_s <= kKeptWindow) ReadKept(f->job.get());
      return;
    }
    if (!f->started || f->done || f->failed || !f->job) return;
    const double now = run_->Now();
    if (samples_.empty() || now - samples_.back().first >= 0.5)
      samples_.push_back({now, ReadCounters(run_->swarm->host(victim_).netns)});
    // The front stays the newest sample at least 1 s old.
    while (samples_.size() > 1 && now - samples_[1].first >= 1.0) samples_.pop_front();
    JobProgress p;
    if (!f->job->GetProgress(&p).ok()) return;
    k.progress = p.bytes_transferred;
    // Mid-file only: a job seen at its end first is not killed.
    if (p.bytes_transferred < run_->options->kill_at * run_->size ||
        p.bytes_transferred >= run_->size)
      return;
    Kill(f);
  }

 private:
  // How long after the kill the restarted host's progress is read.
  static constexpr double kKeptWindow = 4.0;

  void Kill(FerryHost* f) {
    KillInfo& k = run_->kill;
    SwarmHost& h = run_->swarm->host(victim_);
    f->job.reset();
    f->manager.reset();
    if (Status s = h.env->ferryd().Kill9(); !s.ok()) run_->hosts[victim_].error = s.ToString();
    k.killed = true;
    k.at_s = run_->Now();
    k.before = ReadCounters(h.netns);
    // A source that sent at least one 16 KiB block since the front sample
    // (1-1.5 s before the kill) had a transfer running to the victim.
    const Counts& older = samples_.empty() ? Counts{} : samples_.front().second;
    for (const auto& [label, c] : k.before) {
      auto it = older.find(label);
      if (c.Payload() >= (it == older.end() ? 0 : it->second.Payload()) + (16u << 10))
        k.active_sources.push_back(label);
    }
    Status s = h.env->RestartFerryd();
    k.restart_s = run_->Now() - k.at_s;
    if (s.ok()) s = h.Connect(&f->manager);
    if (s.ok()) s = f->manager->GetJob(f->id, &f->job);
    if (s.ok()) ReadKept(f->job.get());
    if (!s.ok()) {
      run_->hosts[victim_].error = "restart: " + s.ToString();
      f->failed = true;
    }
  }

  // One progress read after the restart, between two counter reads; keeps
  // the one where received less counted is least.
  void ReadKept(Job* job) {
    KillInfo& k = run_->kill;
    const std::string& netns = run_->swarm->host(victim_).netns;
    const uint64_t before = TotalPayload(ReadCounters(netns));
    JobProgress p;
    if (!job->GetProgress(&p).ok()) return;
    const uint64_t after = TotalPayload(ReadCounters(netns));
    const double lost = double(before + after) / 2 - double(p.bytes_transferred);
    const double best =
        double(k.received_before_read + k.received_after_read) / 2 - double(k.progress_after);
    ++k.reads_after;
    if (k.progress_after >= 0 && lost >= best) return;
    k.received_before_read = before;
    k.received_after_read = after;
    k.progress_after = static_cast<int64_t>(p.bytes_transferred);
  }

  Run* run_;
  int victim_;
  std::deque<std::pair<double, Counts>> samples_;  // (s, the victim's counters)
};

// Starts each host at its time and polls every 100 ms until all are done or
// failed, the deadline passes, or g_stop.
void Drive(Run* run, std::vector<FerryHost>& fh) {
  Killer killer(run);
  const int n = static_cast<int>(fh.size());
  run->MarkStart();
  while (!g_stop) {
    bool all_over = true;
    for (int i = 0; i < n; ++i) {
      FerryHost& f = fh[i];
      HostRun& h = run->hosts[i];
      if (!f.started) {
        all_over = false;
        if (run->Now() < run->StartAt(i)) continue;
        h.start_s = run->Now();
        f.started = true;
        if (Status s = f.job->Resume(); !s.ok()) {
          h.error = "resume: " + s.ToString();
          f.failed = true;
        }
        continue;
      }
      if (f.done || f.failed) continue;
      all_over = false;
      Poll(run, i, &f);
    }
    run->SampleOrigin();
    if (all_over) return;
    if (run->Now() > run->deadline_s) {
      for (int i = 0; i < n; ++i)
        if (!fh[i].done && !fh[i].failed && run->hosts[i].error.empty())
          run->hosts[i].error = "host " + std::to_string(i) + " not done at the deadline" +
                                (fh[i].job ? " (" + Describe(*fh[i].job) + ")" : "");
      return;
    }
    if (run->options->kase == "kill") killer.Tick(&fh.back());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

nlohmann::json StatsJson(const FileStats& s) {
  return {{"total_bytes_downloaded", s.total_bytes_downloaded},
          {"bytes_from_http", s.bytes_from_http},
          {"bytes_from_lan_peers", s.bytes_from_lan_peers},
          {"bytes_from_group_peers", s.bytes_from_group_peers},
          {"bytes_to_peers", s.bytes_to_peers},
          {"http_connections", s.http_connections},
          {"lan_connections", s.lan_connections},
          {"group_connections", s.group_connections},
          {"download_mode", static_cast<int>(s.download_mode)}};
}

// Every host's FileStats and ferryd CPU, then the counters.
void Collect(Run* run, std::vector<FerryHost>& fh) {
  for (int i = 0; i < static_cast<int>(fh.size()); ++i) {
    SwarmHost& h = run->swarm->host(i);
    if (h.env && h.env->ferryd().running()) run->hosts[i].cpu_s = ProcessCpu(h.env->ferryd().pid());
    std::vector<std::unique_ptr<File>> files;
    FileStats st;
    if (fh[i].job && fh[i].job->EnumFiles(&files).ok() && files.size() == 1 &&
        files[0]->GetStats(&st).ok())
      run->hosts[i].report = StatsJson(st);
  }
  ReadAllCounters(run);
}

}  // namespace

void RunFerryCase(Run* run) {
  run->piece_length = ContentPieceLength(run->size);
  test::OpentrackerFixture tracker;
  std::string announce;
  if (run->options->kase == "groups") {
    std::vector<std::string> hashes;
    Status s = GroupHashes(*run, &hashes);
    test::OpentrackerOptions to;
    to.netns = run->swarm->origin_netns();
    to.address = run->swarm->origin_address();
    to.whitelist = hashes;
    if (s.ok()) s = tracker.Start(to);
    if (!s.ok()) {
      run->error = "tracker: " + s.ToString();
      return;
    }
    announce = tracker.AnnounceUrl();
    run->extra["tracker_hashes"] = hashes;
  }
  if (Status s = StartFerryds(run, announce); !s.ok()) {
    run->error = "ferryd: " + s.ToString();
    return;
  }
  std::vector<FerryHost> fh(run->hosts.size());
  for (int i = 0; i < static_cast<int>(fh.size()); ++i) {
    if (Status s = PrepareJob(run, i, &fh[i]); !s.ok()) {
      run->error = "job on host " + std::to_string(i) + ": " + s.ToString();
      return;
    }
  }
  Drive(run, fh);
  run->EndCase();
  Collect(run, fh);
}

}  // namespace ferry::bench
