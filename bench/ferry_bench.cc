// ferry_bench: the SDK client of `make bench` (bench/run.py drives it).
//
//   ferry_bench --bus ADDR run    --list FILE [--jobs N] [--sample-ms MS] [--addfile] [--timeout S]
//   ferry_bench --bus ADDR start  --list FILE [--jobs N] [--until-fraction F] [--timeout S]
//   ferry_bench --bus ADDR finish --ids ID[,ID...] [--timeout S]
//   ferry_bench --bus ADDR create --count N --url URL --dir DIR [--deadline S] [--threads T]
//
// FILE has one file a line: "URL<TAB>ABSOLUTE_PATH[<TAB>SHA256]". The files
// are spread over N jobs in contiguous blocks (job k gets files
// [k*n/N, (k+1)*n/N)).
//
// run:    creates the jobs, adds their files (AddFileSet, or one AddFile per
//         file with --addfile), sets the SHA-256 where given, registers a
//         callback, resumes them all, completes each job as soon as its
//         JobTransferred callback arrives (a 1 s GetState poll backs the
//         callbacks up), and prints one JSON object with the timings. With
//         --sample-ms it also records every job's bytes_transferred
//         (GetProgress) every MS milliseconds.
// start:  creates and resumes like run, then returns (printing the job ids)
//         as soon as every job has at least F of its bytes (the driver then
//         kills ferryd with SIGKILL).
// finish: after a restart of ferryd: waits (polling GetState every 50 ms)
//         until each job is TRANSFERRED, completes it, prints the timings.
// create: creates N jobs of one file each (CreateJob + AddFile) and leaves
//         them SUSPENDED; prints the rate. --deadline stops early; with
//         --threads T, T callers on T bus connections create them at once.
//
// Every time in the output is in seconds since the program started; every
// wait is bounded (--timeout, default 300 s). Exit 0 on success, 1 on a
// failure (the JSON says which), 2 on usage errors.
#include <ferry/ferry.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point g_start = Clock::now();
double Now() { return std::chrono::duration<double>(Clock::now() - g_start).count(); }

struct Args {
  std::string bus;
  std::string mode;
  std::string list;
  std::string ids;
  std::string url;
  std::string dir;
  int jobs = 1;
  int sample_ms = 0;
  bool addfile = false;
  double timeout = 300;
  double until_fraction = 0.5;
  long count = 0;
  double deadline = 0;
  int threads = 1;
};

struct Entry {
  std::string url, path, sha256;
};

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o;
}

[[noreturn]] void Die(const std::string& what, const ferry::Status& s) {
  std::printf("{\"ok\": false, \"error\": \"%s: %s\", \"t\": %.6f}\n", JsonEscape(what).c_str(),
              JsonEscape(s.ToString()).c_str(), Now());
  std::fflush(stdout);
  std::_Exit(1);
}

[[noreturn]] void DieMsg(const std::string& what) {
  std::printf("{\"ok\": false, \"error\": \"%s\", \"t\": %.6f}\n", JsonEscape(what).c_str(), Now());
  std::fflush(stdout);
  std::_Exit(1);
}

std::vector<Entry> ReadList(const std::string& path) {
  std::ifstream in(path);
  if (!in) DieMsg("cannot read " + path);
  std::vector<Entry> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Entry e;
    std::istringstream ls(line);
    std::getline(ls, e.url, '\t');
    std::getline(ls, e.path, '\t');
    std::getline(ls, e.sha256, '\t');
    out.push_back(std::move(e));
  }
  return out;
}

// Collects JobTransferred / JobError callbacks for the main thread.
class Events : public ferry::Callback {
 public:
  explicit Events(std::vector<ferry::Guid> ids) : ids_(std::move(ids)) {}

  ferry::Status JobTransferred(ferry::Job& job) override {
    Push(job, false);
    return ferry::Status::OK();
  }
  ferry::Status JobError(ferry::Job& job, ferry::Error& error) override {
    ferry::ErrorContext ctx;
    int32_t code = 0;
    std::string text;
    error.GetError(&ctx, &code);
    error.GetErrorDescription(&text);
    {
      std::lock_guard lock(mu_);
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%08X ", static_cast<unsigned>(code));
      error_text_ = buf + text;
    }
    Push(job, true);
    return ferry::Status::OK();
  }
  ferry::Status JobModification(ferry::Job&, uint32_t) override { return ferry::Status::OK(); }

  // Waits up to `timeout` for events; returns (index, is_error, time) pairs.
  struct Ev {
    size_t index;
    bool error;
    double t;
  };
  std::vector<Ev> Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
    std::vector<Ev> out(queue_.begin(), queue_.end());
    queue_.clear();
    return out;
  }
  std::string error_text() {
    std::lock_guard lock(mu_);
    return error_text_;
  }

 private:
  void Push(ferry::Job& job, bool error) {
    double t = Now();
    ferry::Guid id;
    if (!job.GetId(&id).ok()) return;
    auto it = std::find(ids_.begin(), ids_.end(), id);
    if (it == ids_.end()) return;
    std::lock_guard lock(mu_);
    queue_.push_back({static_cast<size_t>(it - ids_.begin()), error, t});
    cv_.notify_all();
  }

  const std::vector<ferry::Guid> ids_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Ev> queue_;
  std::string error_text_;
};

struct Created {
  std::vector<ferry::Guid> ids;
  std::vector<std::unique_ptr<ferry::Job>> jobs;
  std::vector<size_t> files_per_job;
  double t_first_create = 0, t_added = 0;
};

Created CreateJobs(ferry::Manager& m, const std::vector<Entry>& entries, int njobs, bool addfile) {
  Created c;
  size_t n = entries.size();
  if (njobs < 1 || static_cast<size_t>(njobs) > n) DieMsg("--jobs must be between 1 and the number of files");
  c.t_first_create = Now();
  for (int k = 0; k < njobs; ++k) {
    size_t lo = n * k / njobs, hi = n * (k + 1) / njobs;
    ferry::Guid id;
    std::unique_ptr<ferry::Job> job;
    ferry::Status s = m.CreateJob("ferry_bench " + std::to_string(k), ferry::JobType::kDownload, &id, &job);
    if (!s.ok()) Die("CreateJob", s);
    if (addfile) {
      for (size_t i = lo; i < hi; ++i)
        if (!(s = job->AddFile(entries[i].url, entries[i].path)).ok()) Die("AddFile " + entries[i].url, s);
    } else {
      std::vector<ferry::FileInfo> set;
      for (size_t i = lo; i < hi; ++i) set.push_back({entries[i].url, entries[i].path});
      if (!(s = job->AddFileSet(set)).ok()) Die("AddFileSet", s);
    }
    bool any_sha = false;
    for (size_t i = lo; i < hi; ++i) any_sha |= !entries[i].sha256.empty();
    if (any_sha) {
      std::vector<std::unique_ptr<ferry::File>> files;
      if (!(s = job->EnumFiles(&files)).ok()) Die("EnumFiles", s);
      if (files.size() != hi - lo) DieMsg("EnumFiles returned a different number of files");
      for (size_t i = lo; i < hi; ++i)
        if (!entries[i].sha256.empty() && !(s = files[i - lo]->SetIntegrity(entries[i].sha256)).ok())
          Die("SetIntegrity", s);
    }
    c.ids.push_back(id);
    c.jobs.push_back(std::move(job));
    c.files_per_job.push_back(hi - lo);
  }
  c.t_added = Now();
  return c;
}

std::string IdsJson(const std::vector<ferry::Guid>& ids) {
  std::string o = "[";
  for (size_t i = 0; i < ids.size(); ++i) o += (i ? ", \"" : "\"") + ids[i].ToString() + "\"";
  return o + "]";
}

std::string DoublesJson(const std::vector<double>& v) {
  std::string o = "[";
  char buf[40];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.6f", i ? ", " : "", v[i]);
    o += buf;
  }
  return o + "]";
}

int Run(ferry::Manager& m, const Args& a) {
  std::vector<Entry> entries = ReadList(a.list);
  Created c = CreateJobs(m, entries, a.jobs, a.addfile);
  size_t nj = c.jobs.size();
  auto events = std::make_shared<Events>(c.ids);
  ferry::Status s;
  for (auto& job : c.jobs)
    if (!(s = job->SetNotifyInterface(events)).ok()) Die("SetNotifyInterface", s);
  double t_resume = Now();
  for (auto& job : c.jobs)
    if (!(s = job->Resume()).ok()) Die("Resume", s);
  double t_resumed = Now();

  std::vector<double> t_transferred(nj, -1), t_completed(nj, -1);
  size_t done = 0;
  std::string samples;  // JSON rows [t, b0, b1, ...]
  double deadline = Now() + a.timeout;
  double next_sample = t_resume, next_poll = Now() + 1.0;
  auto take_sample = [&] {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6f", Now());
    std::string row = std::string(samples.empty() ? "[" : ", [") + buf;
    for (auto& job : c.jobs) {
      ferry::JobProgress p;
      if (!job->GetProgress(&p).ok()) p.bytes_transferred = 0;
      row += ", " + std::to_string(p.bytes_transferred);
    }
    samples += row + "]";
  };
  auto complete = [&](size_t i, double t) {
    if (t_transferred[i] >= 0) return;
    t_transferred[i] = t;
    ferry::Status cs = c.jobs[i]->Complete();
    if (!cs.ok()) Die("Complete", cs);
    t_completed[i] = Now();
    ++done;
  };
  if (a.sample_ms > 0) take_sample();
  while (done < nj) {
    double now = Now();
    if (now > deadline) DieMsg("timed out waiting for the jobs (" + std::to_string(done) + " of " +
                               std::to_string(nj) + " done)");
    double wait_s = next_poll - now;
    if (a.sample_ms > 0) wait_s = std::min(wait_s, next_sample + a.sample_ms / 1000.0 - now);
    wait_s = std::max(0.0, wait_s);
    for (const auto& ev : events->Wait(std::chrono::milliseconds(static_cast<int>(wait_s * 1000) + 1))) {
      if (ev.error) DieMsg("job " + c.ids[ev.index].ToString() + " failed: " + events->error_text());
      complete(ev.index, ev.t);
    }
    now = Now();
    if (a.sample_ms > 0 && now >= next_sample + a.sample_ms / 1000.0) {
      next_sample = now;
      take_sample();
    }
    if (now >= next_poll) {  // backs up the callbacks
      next_poll = now + 1.0;
      for (size_t i = 0; i < nj; ++i) {
        if (t_transferred[i] >= 0) continue;
        ferry::JobState st;
        if (!(s = c.jobs[i]->GetState(&st)).ok()) Die("GetState", s);
        if (st == ferry::JobState::kTransferred) complete(i, Now());
        if (st == ferry::JobState::kError) DieMsg("job " + c.ids[i].ToString() + " is in ERROR");
      }
    }
  }
  if (a.sample_ms > 0) take_sample();
  double t_end = Now();
  size_t files = entries.size();
  double secs = t_end - c.t_first_create;
  std::printf(
      "{\"ok\": true, \"mode\": \"run\", \"jobs\": %zu, \"files\": %zu, \"t_first_create\": %.6f, "
      "\"t_added\": %.6f, \"t_resume\": %.6f, \"t_resumed\": %.6f, \"t_last_transferred\": %.6f, "
      "\"t_last_complete\": %.6f, \"seconds\": %.6f, \"files_per_s\": %.3f, \"t_transferred\": %s, "
      "\"t_completed\": %s, \"ids\": %s, \"samples\": [%s]}\n",
      nj, files, c.t_first_create, c.t_added, t_resume, t_resumed,
      *std::max_element(t_transferred.begin(), t_transferred.end()), t_end, secs, files / secs,
      DoublesJson(t_transferred).c_str(), DoublesJson(t_completed).c_str(), IdsJson(c.ids).c_str(),
      samples.c_str());
  return 0;
}

int Start(ferry::Manager& m, const Args& a) {
  std::vector<Entry> entries = ReadList(a.list);
  Created c = CreateJobs(m, entries, a.jobs, a.addfile);
  ferry::Status s;
  double t_resume = Now();
  for (auto& job : c.jobs)
    if (!(s = job->Resume()).ok()) Die("Resume", s);
  double deadline = Now() + a.timeout;
  for (;;) {
    bool all = true;
    std::string fractions;
    for (auto& job : c.jobs) {
      ferry::JobProgress p;
      if (!(s = job->GetProgress(&p)).ok()) Die("GetProgress", s);
      bool known = p.bytes_total != ferry::kSizeUnknown && p.bytes_total > 0;
      double f = known ? static_cast<double>(p.bytes_transferred) / static_cast<double>(p.bytes_total) : 0;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.4f", fractions.empty() ? "" : ", ", f);
      fractions += buf;
      if (f < a.until_fraction) all = false;
    }
    if (all) {
      std::printf("{\"ok\": true, \"mode\": \"start\", \"t_resume\": %.6f, \"t_reached\": %.6f, "
                  "\"fractions\": [%s], \"ids\": %s}\n",
                  t_resume, Now(), fractions.c_str(), IdsJson(c.ids).c_str());
      std::fflush(stdout);
      return 0;
    }
    if (Now() > deadline) DieMsg("timed out before every job reached the fraction: " + fractions);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int Finish(ferry::Manager& m, const Args& a) {
  std::vector<ferry::Guid> ids;
  std::vector<std::unique_ptr<ferry::Job>> jobs;
  std::istringstream is(a.ids);
  std::string tok;
  ferry::Status s;
  while (std::getline(is, tok, ',')) {
    ferry::Guid id;
    if (!ferry::Guid::Parse(tok, &id)) DieMsg("not a job id: " + tok);
    std::unique_ptr<ferry::Job> job;
    if (!(s = m.GetJob(id, &job)).ok()) Die("GetJob " + tok, s);
    ids.push_back(id);
    jobs.push_back(std::move(job));
  }
  std::vector<double> t_transferred(jobs.size(), -1);
  std::vector<uint32_t> errors(jobs.size(), 0);
  size_t done = 0;
  double deadline = Now() + a.timeout;
  while (done < jobs.size()) {
    if (Now() > deadline) DieMsg("timed out waiting for the jobs after the restart");
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (t_transferred[i] >= 0) continue;
      ferry::JobState st;
      if (!(s = jobs[i]->GetState(&st)).ok()) Die("GetState", s);
      if (st == ferry::JobState::kError) DieMsg("job " + ids[i].ToString() + " is in ERROR");
      if (st == ferry::JobState::kTransferred) {
        t_transferred[i] = Now();
        jobs[i]->GetErrorCount(&errors[i]);
        if (!(s = jobs[i]->Complete()).ok()) Die("Complete", s);
        ++done;
      }
    }
    if (done < jobs.size()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string errs = "[";
  for (size_t i = 0; i < errors.size(); ++i) errs += (i ? ", " : "") + std::to_string(errors[i]);
  errs += "]";
  std::printf("{\"ok\": true, \"mode\": \"finish\", \"t_transferred\": %s, \"error_counts\": %s, "
              "\"t_end\": %.6f}\n",
              DoublesJson(t_transferred).c_str(), errs.c_str(), Now());
  return 0;
}

int CreateMany(ferry::Manager& m, const Args& a) {
  if (a.count < 1 || a.url.empty() || a.dir.empty()) DieMsg("create needs --count, --url and --dir");
  // --threads T: T callers at once, each on its own bus connection (as T
  // applications would be), so that ferryd can group their commits.
  int threads = std::max(1, a.threads);
  std::vector<std::unique_ptr<ferry::Manager>> extra;
  for (int t = 1; t < threads; ++t) {
    ferry::ConnectOptions o;
    if (!a.bus.empty()) {
      o.bus = ferry::ConnectOptions::Bus::kAddress;
      o.address = a.bus;
    }
    std::unique_ptr<ferry::Manager> mt;
    if (ferry::Status s = ferry::Manager::Connect(o, &mt); !s.ok()) Die("Connect", s);
    extra.push_back(std::move(mt));
  }
  double t0 = Now();
  std::atomic<long> next{0}, created{0};
  std::atomic<bool> stopped{false};
  auto work = [&](ferry::Manager& mm) {
    for (;;) {
      long i = next.fetch_add(1);
      if (i >= a.count) return;
      if (a.deadline > 0 && Now() - t0 > a.deadline) {
        stopped = true;
        return;
      }
      ferry::Guid id;
      std::unique_ptr<ferry::Job> job;
      ferry::Status s = mm.CreateJob("bench idle " + std::to_string(i), ferry::JobType::kDownload, &id, &job);
      if (!s.ok()) Die("CreateJob #" + std::to_string(i), s);
      char name[64];
      std::snprintf(name, sizeof name, "/j%06ld.bin", i);
      if (!(s = job->AddFile(a.url, a.dir + name)).ok()) Die("AddFile #" + std::to_string(i), s);
      ++created;
    }
  };
  std::vector<std::thread> pool;
  for (auto& mt : extra) pool.emplace_back([&work, &mt] { work(*mt); });
  work(m);
  for (auto& t : pool) t.join();
  double secs = Now() - t0;
  std::printf("{\"ok\": true, \"mode\": \"create\", \"created\": %ld, \"threads\": %d, "
              "\"stopped_at_deadline\": %s, \"seconds\": %.6f, \"jobs_per_s\": %.3f}\n",
              created.load(), threads, stopped ? "true" : "false", secs, created.load() / secs);
  return 0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: ferry_bench --bus ADDR (run|start|finish|create) [--list FILE] [--jobs N]\n"
               "         [--sample-ms MS] [--addfile] [--timeout S] [--until-fraction F] [--ids IDS]\n"
               "         [--count N --url URL --dir DIR [--deadline S] [--threads T]]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--bus") a.bus = val();
    else if (k == "--list") a.list = val();
    else if (k == "--ids") a.ids = val();
    else if (k == "--url") a.url = val();
    else if (k == "--dir") a.dir = val();
    else if (k == "--jobs") a.jobs = std::atoi(val().c_str());
    else if (k == "--sample-ms") a.sample_ms = std::atoi(val().c_str());
    else if (k == "--addfile") a.addfile = true;
    else if (k == "--timeout") a.timeout = std::atof(val().c_str());
    else if (k == "--until-fraction") a.until_fraction = std::atof(val().c_str());
    else if (k == "--count") a.count = std::atol(val().c_str());
    else if (k == "--deadline") a.deadline = std::atof(val().c_str());
    else if (k == "--threads") a.threads = std::atoi(val().c_str());
    else if (k == "-h" || k == "--help") {
      Usage();
      return 0;
    } else if (a.mode.empty() && k[0] != '-') a.mode = k;
    else {
      Usage();
      return 2;
    }
  }
  if (a.mode.empty()) {
    Usage();
    return 2;
  }
  ferry::ConnectOptions o;
  if (!a.bus.empty()) {
    o.bus = ferry::ConnectOptions::Bus::kAddress;
    o.address = a.bus;
  }
  std::unique_ptr<ferry::Manager> m;
  ferry::Status s = ferry::Manager::Connect(o, &m);
  if (!s.ok()) Die("Connect", s);
  int rc = 2;
  if (a.mode == "run") rc = Run(*m, a);
  else if (a.mode == "start") rc = Start(*m, a);
  else if (a.mode == "finish") rc = Finish(*m, a);
  else if (a.mode == "create") rc = CreateMany(*m, a);
  else Usage();
  std::fflush(stdout);
  return rc;
}
