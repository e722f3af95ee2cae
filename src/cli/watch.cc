// Verbs that watch jobs over time: `monitor` (a refreshing table) and
// `wait`; and the service-wide `status` and `limits`. `get` is in get.cc.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/job_view.h"
#include "cli/verbs.h"
#include "util/status_codes.h"

namespace ferry::cli {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

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
        if (g.json)
          std::printf("%s\n", ToJson(v).dump(2).c_str());
        else
          std::printf("%s\n", ToLine(v).c_str());
      }
      if (st == JobState::kError) return kJobError;
      if (st == JobState::kCancelled) return kServiceError;
      return kOk;
    }
    if (Interrupted()) return kInterrupted;
    if (Clock::now() >= deadline) {
      std::fprintf(stderr, "ferry: timed out; the job is %s\n",
                   std::string(JobStateName(st)).c_str());
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
    if (Interrupted()) break;
    std::vector<JobView> jobs;
    Status s;
    if (!ref.empty()) {
      std::unique_ptr<Job> job;
      if (!(s = ResolveJob(*m, ref, &job)).ok())
        return Fail(g, s, fmt::format("finding job '{}'", ref));
      JobView v;
      if (ReadJob(*job, g.json, &v).ok()) jobs.push_back(std::move(v));
    } else if (!(s = ListJobs(*m, 0, g.json, &jobs)).ok()) {
      return Fail(g, s, "listing jobs");
    }
    auto now = Clock::now();
    nlohmann::json arr = nlohmann::json::array();
    std::string table = fmt::format("{:<38} {:<15} {:>5} {:>21} {:>12}  {}\n", "JOB", "STATE",
                                    "DONE", "BYTES", "RATE", "NAME");
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
      std::string pct =
          v.progress.bytes_total && v.progress.bytes_total != kSizeUnknown
              ? fmt::format("{}%", v.progress.bytes_transferred * 100 / v.progress.bytes_total)
              : "-";
      table += fmt::format(
          "{:<38} {:<15} {:>5} {:>21} {:>10}/s  {}\n", key, JobStateName(v.state), pct,
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

namespace {

// What the service sees of the machine (policy.md §3), for `status --json`.
nlohmann::json ConditionsJson(const ServiceStatus& st) {
  nlohmann::json j = {{"network_known", st.network_known},
                      {"metered", st.metered},
                      {"cellular", st.cellular},
                      {"connectivity", st.connectivity},
                      {"link_type", st.link_type},
                      {"power_known", st.power_known},
                      {"on_battery", st.on_battery},
                      {"battery_percent", nullptr},
                      {"schedule_limit", st.schedule_limit},
                      {"blocked_jobs", st.blocked_jobs}};
  if (st.battery_percent >= 0) j["battery_percent"] = st.battery_percent;
  return j;
}

void PrintConditions(const ServiceStatus& st) {
  std::string link = st.link_type.empty() ? "link unknown" : "link " + st.link_type;
  if (st.network_known)
    std::printf("network: %s, connectivity %s, %s%s\n", st.metered ? "metered" : "not metered",
                st.connectivity.c_str(), link.c_str(), st.cellular ? " (cellular)" : "");
  else
    std::printf("network: no NetworkManager (assumed connected, not metered)\n");
  if (!st.power_known)
    std::printf("power: no UPower (assumed mains power)\n");
  else if (st.battery_percent >= 0)
    std::printf("power: %s, charge %.0f%%\n", st.on_battery ? "on battery" : "on mains power",
                st.battery_percent);
  else
    std::printf("power: %s\n", st.on_battery ? "on battery" : "on mains power");
  if (st.schedule_limit)
    std::printf("business hours: background limited to %s/s\n", HumanBytes(st.schedule_limit).c_str());
  else
    std::printf("business hours: no limit in force\n");
  for (const auto& [code, ids] : st.blocked_jobs) {
    std::printf("blocked by %s:\n", code.c_str());
    for (const auto& id : ids) std::printf("  %s\n", id.c_str());
  }
}

}  // namespace

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
                        {"foreground_limit", st.foreground_limit},
                        {"conditions", ConditionsJson(st)}};
    std::printf("%s\n", j.dump(2).c_str());
    return kOk;
  }
  std::printf("ferryd %s (%s mode)\n", st.version.c_str(), st.mode.c_str());
  for (const auto& [state, n] : st.jobs_by_state) std::printf("  %-16s %u\n", state.c_str(), n);
  std::printf("running transfers: %u\n", st.running_transfers);
  auto lim = [](uint64_t v) { return v ? HumanBytes(v) + "/s" : std::string("unlimited"); };
  std::printf("limits: background %s, foreground %s\n", lim(st.background_limit).c_str(),
              lim(st.foreground_limit).c_str());
  PrintConditions(st);
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
    std::fprintf(stderr, "ferry: '%s' is not a rate (e.g. 20M, 512k, unlimited)\n",
                 background.c_str());
    return kUsage;
  }
  if (!foreground.empty() && !ParseRate(foreground, &fg)) {
    std::fprintf(stderr, "ferry: '%s' is not a rate (e.g. 20M, 512k, unlimited)\n",
                 foreground.c_str());
    return kUsage;
  }
  if (!background.empty() || !foreground.empty()) {
    if (!(s = m->SetBandwidthLimits(bg, fg)).ok()) return Fail(g, s, "changing the limits");
  }
  if (g.json) {
    std::printf(
        "%s\n",
        nlohmann::json({{"background_limit", bg}, {"foreground_limit", fg}}).dump(2).c_str());
  } else {
    auto lim = [](uint64_t v) { return v ? HumanBytes(v) + "/s" : std::string("unlimited"); };
    std::printf("background %s, foreground %s\n", lim(bg).c_str(), lim(fg).c_str());
  }
  return kOk;
}

void AddWatchVerbs(Verbs& v) {
  struct Args {
    std::string job, background, foreground;
    int iterations = 0;
    double interval = 1.0, timeout = 0;
  };
  auto a = std::make_shared<Args>();
  auto* c_monitor = v.app.add_subcommand("monitor", "live table of jobs (Ctrl-C ends it)");
  c_monitor->add_option("job", a->job, "only this job");
  c_monitor->add_option("-n,--iterations", a->iterations, "stop after N refreshes (0: never)");
  c_monitor->add_option("-i,--interval", a->interval, "seconds between refreshes");
  c_monitor->callback(
      v.Run([&g = v.globals, a] { return CmdMonitor(g, a->job, a->iterations, a->interval); }));

  auto* c_wait = v.app.add_subcommand("wait", "block until TRANSFERRED (exit 0) or ERROR (exit 4)");
  c_wait->add_option("job", a->job, "GUID, unique prefix, or display name")->required();
  c_wait->add_option("--timeout", a->timeout, "give up after this many seconds (exit 1)");
  c_wait->callback(v.Run([&g = v.globals, a] { return CmdWait(g, a->job, a->timeout); }));

  auto* c_status = v.app.add_subcommand("status", "service-wide status");
  c_status->callback(v.Run([&g = v.globals] { return CmdStatus(g); }));

  auto* c_limits = v.app.add_subcommand("limits", "view or change the global bandwidth limits");
  c_limits->add_option("--background", a->background, "e.g. 20M, 512k, unlimited");
  c_limits->add_option("--foreground", a->foreground, "e.g. 100M, unlimited");
  c_limits->callback(
      v.Run([&g = v.globals, a] { return CmdLimits(g, a->background, a->foreground); }));
}

}  // namespace ferry::cli
