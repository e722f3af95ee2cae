// Verbs that watch jobs over time: `get` (one-shot download with a progress
// bar), `monitor` (a refreshing table), `wait`; and the service-wide
// `status` and `limits`.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <map>
#include <thread>

#include "cli/commands.h"
#include "cli/job_view.h"
#include "util/status_codes.h"

namespace ferry::cli {

namespace {

std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted = true; }

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

using Clock = std::chrono::steady_clock;

std::string Eta(double seconds) {
  if (seconds < 0 || seconds > 359999) return "--:--";
  int s = static_cast<int>(seconds);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

// "[#########.........]  45%  120.0 MiB / 256.0 MiB  85.2 MiB/s  ETA 00:02"
std::string Bar(const JobProgress& p, double rate, bool tty) {
  bool known = p.bytes_total != kSizeUnknown && p.bytes_total > 0;
  double frac = known ? static_cast<double>(p.bytes_transferred) / static_cast<double>(p.bytes_total) : 0;
  std::string eta = known && rate > 0 ? Eta(static_cast<double>(p.bytes_total - p.bytes_transferred) / rate)
                                      : "--:--";
  std::string sizes = fmt::format("{} / {}", HumanBytes(p.bytes_transferred),
                                  known ? HumanBytes(p.bytes_total) : std::string("?"));
  if (!tty)
    return fmt::format("{:5.1f}%  {}  {}/s  ETA {}", frac * 100, sizes,
                       HumanBytes(static_cast<uint64_t>(rate)), eta);
  const int width = 30;
  int filled = static_cast<int>(frac * width);
  return fmt::format("[{}{}] {:5.1f}%  {}  {}/s  ETA {}", std::string(filled, '#'),
                     std::string(width - filled, '.'), frac * 100, sizes,
                     HumanBytes(static_cast<uint64_t>(rate)), eta);
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

std::string BaseName(const std::string& url) {
  std::string u = url.substr(0, url.find_first_of("?#"));
  auto slash = u.rfind('/');
  std::string b = slash == std::string::npos ? u : u.substr(slash + 1);
  return b.empty() ? "index.html" : b;
}

}  // namespace

int CmdGet(const Globals& g, const GetArgs& a) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  std::string out = Absolute(a.output.empty() ? BaseName(a.url) : a.output);
  Guid id;
  std::unique_ptr<Job> job;
  Status s = m->CreateJob("ferry get " + BaseName(a.url), JobType::kDownload, &id, &job);
  if (!s.ok()) return Fail(g, s, "creating the job");
  auto abandon = [&](const Status& st, std::string_view doing) {
    int rc = Fail(g, st, doing);
    job->Cancel();
    return rc;
  };
  if (!(s = job->AddFile(a.url, out)).ok()) return abandon(s, "adding the file");
  if (!a.sha256.empty()) {
    std::vector<std::unique_ptr<File>> files;
    if (!(s = job->EnumFiles(&files)).ok() || files.empty()) return abandon(s, "reading the file");
    if (!(s = files[0]->SetIntegrity(a.sha256)).ok()) return abandon(s, "setting the SHA-256");
  }
  if (a.foreground && !(s = job->SetPriority(JobPriority::kForeground)).ok())
    return abandon(s, "setting the priority");
  if (!(s = job->Resume()).ok()) return abandon(s, "starting the download");

  CatchInterrupts();
  bool tty = !g.json && isatty(STDERR_FILENO);
  auto start = Clock::now();
  auto last_line = start - std::chrono::seconds(10);
  for (;;) {
    if (g_interrupted) {
      if (tty) std::fprintf(stderr, "\n");
      job->Cancel();
      std::fprintf(stderr, "ferry: interrupted; the job was cancelled\n");
      return 130;
    }
    JobState st;
    JobProgress p;
    if (!(s = job->GetState(&st)).ok() || !(s = job->GetProgress(&p)).ok())
      return Fail(g, s, "watching the job");
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    double rate = secs > 0.2 ? static_cast<double>(p.bytes_transferred) / secs : 0;
    if (!g.json && (tty || Clock::now() - last_line >= std::chrono::seconds(1))) {
      std::fprintf(stderr, tty ? "\r%s  %-12s" : "%s  %s\n", Bar(p, rate, tty).c_str(),
                   std::string(JobStateName(st)).c_str());
      last_line = Clock::now();
    }
    if (st == JobState::kTransferred) {
      if (tty) std::fprintf(stderr, "\n");
      if (!(s = job->Complete()).ok()) return Fail(g, s, "completing the job");
      if (access(out.c_str(), F_OK) != 0) {
        std::fprintf(stderr, "ferry: the job completed but %s is not there\n", out.c_str());
        return kServiceError;
      }
      if (g.json) {
        JobView v;
        if (Status rs = ReadJob(*job, /*error_file=*/true, &v); !rs.ok())
          return Fail(g, rs, "reading the finished job");
        nlohmann::json j = ToJson(v);
        j["path"] = out;
        std::printf("%s\n", j.dump(2).c_str());
      } else {
        std::fprintf(stderr, "saved %s (%s in %.1f s)\n", out.c_str(), HumanBytes(p.bytes_total).c_str(), secs);
      }
      return kOk;
    }
    if (st == JobState::kError) {
      if (tty) std::fprintf(stderr, "\n");
      std::unique_ptr<Error> err;
      Status e = Status(code::kUnexpected, "the download failed");
      if (job->GetError(&err).ok() && err) {
        ErrorContext ctx;
        int32_t c;
        std::string msg;
        err->GetError(&ctx, &c);
        err->GetErrorDescription(&msg);
        e = Status(c, msg);
      }
      return abandon(e, "downloading " + a.url);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 200 : 100));
  }
}

int CmdWait(const Globals& g, const std::string& ref, double timeout_s) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  std::unique_ptr<Job> job;
  Status s = ResolveJob(*m, ref, &job);
  if (!s.ok()) return Fail(g, s, fmt::format("finding job '{}'", ref));
  CatchInterrupts();
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s > 0 ? timeout_s : 1e9);
  for (;;) {
    JobState st;
    if (!(s = job->GetState(&st)).ok()) return Fail(g, s, "watching the job");
    bool done = st == JobState::kTransferred || st == JobState::kError ||
                st == JobState::kAcknowledged || st == JobState::kCancelled;
    if (done) {
      JobView v;
      if (ReadJob(*job, g.json, &v).ok()) {
        if (g.json) std::printf("%s\n", ToJson(v).dump(2).c_str());
        else std::printf("%s\n", ToLine(v).c_str());
      }
      if (st == JobState::kError) return kJobError;
      if (st == JobState::kCancelled) return kServiceError;
      return kOk;
    }
    if (g_interrupted) return 130;
    if (Clock::now() >= deadline) {
      std::fprintf(stderr, "ferry: timed out; the job is %s\n", std::string(JobStateName(st)).c_str());
      return kServiceError;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int CmdMonitor(const Globals& g, const std::string& ref, int iterations, double interval_s) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  CatchInterrupts();
  bool tty = !g.json && isatty(STDOUT_FILENO);
  std::map<std::string, std::pair<uint64_t, Clock::time_point>> last;  // id -> (bytes, when)
  for (int i = 0; iterations <= 0 || i < iterations; ++i) {
    if (g_interrupted) break;
    std::vector<JobView> jobs;
    Status s;
    if (!ref.empty()) {
      std::unique_ptr<Job> job;
      if (!(s = ResolveJob(*m, ref, &job)).ok()) return Fail(g, s, fmt::format("finding job '{}'", ref));
      JobView v;
      if (ReadJob(*job, g.json, &v).ok()) jobs.push_back(std::move(v));
    } else if (!(s = ListJobs(*m, 0, g.json, &jobs)).ok()) {
      return Fail(g, s, "listing jobs");
    }
    auto now = Clock::now();
    nlohmann::json arr = nlohmann::json::array();
    std::string table = fmt::format("{:<38} {:<15} {:>5} {:>21} {:>12}  {}\n", "JOB", "STATE", "DONE",
                                    "BYTES", "RATE", "NAME");
    for (const JobView& view : jobs) {
      const JobSummary& v = view.job;
      std::string key = v.id.ToString();
      double rate = 0;
      if (auto it = last.find(key); it != last.end()) {
        double dt = std::chrono::duration<double>(now - it->second.second).count();
        if (dt > 0 && v.progress.bytes_transferred >= it->second.first)
          rate = static_cast<double>(v.progress.bytes_transferred - it->second.first) / dt;
      }
      last[key] = {v.progress.bytes_transferred, now};
      if (g.json) {
        auto j = ToJson(view);
        j["rate"] = static_cast<uint64_t>(rate);
        arr.push_back(j);
        continue;
      }
      std::string pct = v.progress.bytes_total && v.progress.bytes_total != kSizeUnknown
                            ? fmt::format("{}%", v.progress.bytes_transferred * 100 / v.progress.bytes_total)
                            : "-";
      table += fmt::format("{:<38} {:<15} {:>5} {:>21} {:>10}/s  {}\n", key, JobStateName(v.state), pct,
                           HumanBytes(v.progress.bytes_transferred) + "/" +
                               (v.progress.bytes_total == kSizeUnknown ? std::string("?")
                                                                       : HumanBytes(v.progress.bytes_total)),
                           HumanBytes(static_cast<uint64_t>(rate)), v.display_name);
    }
    if (g.json) {
      std::printf("%s\n", arr.dump().c_str());  // one document per refresh (JSON lines)
    } else {
      if (tty) std::printf("\x1b[H\x1b[2J");
      std::printf("%s", table.c_str());
      if (!tty) std::printf("\n");
    }
    std::fflush(stdout);
    if (iterations > 0 && i + 1 >= iterations) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(interval_s));
  }
  return kOk;
}

int CmdStatus(const Globals& g) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  ServiceStatus st;
  Status s = m->GetServiceStatus(&st);
  if (!s.ok()) return Fail(g, s, "reading the service status");
  if (g.json) {
    nlohmann::json j = {{"version", st.version},
                        {"mode", st.mode},
                        {"jobs_by_state", st.jobs_by_state},
                        {"running_transfers", st.running_transfers},
                        {"background_limit", st.background_limit},
                        {"foreground_limit", st.foreground_limit}};
    std::printf("%s\n", j.dump(2).c_str());
    return kOk;
  }
  std::printf("ferryd %s (%s mode)\n", st.version.c_str(), st.mode.c_str());
  for (const auto& [state, n] : st.jobs_by_state) std::printf("  %-16s %u\n", state.c_str(), n);
  std::printf("running transfers: %u\n", st.running_transfers);
  auto lim = [](uint64_t v) { return v ? HumanBytes(v) + "/s" : std::string("unlimited"); };
  std::printf("limits: background %s, foreground %s\n", lim(st.background_limit).c_str(),
              lim(st.foreground_limit).c_str());
  return kOk;
}

int CmdLimits(const Globals& g, const std::string& background, const std::string& foreground) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  ServiceStatus st;
  Status s = m->GetServiceStatus(&st);
  if (!s.ok()) return Fail(g, s, "reading the limits");
  uint64_t bg = st.background_limit, fg = st.foreground_limit;
  if (!background.empty() && !ParseRate(background, &bg)) {
    std::fprintf(stderr, "ferry: '%s' is not a rate (e.g. 20M, 512k, unlimited)\n", background.c_str());
    return kUsage;
  }
  if (!foreground.empty() && !ParseRate(foreground, &fg)) {
    std::fprintf(stderr, "ferry: '%s' is not a rate (e.g. 20M, 512k, unlimited)\n", foreground.c_str());
    return kUsage;
  }
  if (!background.empty() || !foreground.empty()) {
    if (!(s = m->SetBandwidthLimits(bg, fg)).ok()) return Fail(g, s, "changing the limits");
  }
  if (g.json) {
    std::printf("%s\n", nlohmann::json({{"background_limit", bg}, {"foreground_limit", fg}}).dump(2).c_str());
  } else {
    auto lim = [](uint64_t v) { return v ? HumanBytes(v) + "/s" : std::string("unlimited"); };
    std::printf("background %s, foreground %s\n", lim(bg).c_str(), lim(fg).c_str());
  }
  return kOk;
}

}  // namespace ferry::cli
