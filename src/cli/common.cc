#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "util/status_codes.h"

namespace ferry::cli {

std::unique_ptr<Manager> Connect(const Globals& g, int* exit_code) {
  ConnectOptions o;
  if (!g.bus_address.empty()) {
    o.bus = ConnectOptions::Bus::kAddress;
    o.address = g.bus_address;
  } else if (g.user) {
    o.bus = ConnectOptions::Bus::kSession;
  } else if (g.system) {
    o.bus = ConnectOptions::Bus::kSystem;
  }
  std::unique_ptr<Manager> m;
  Status s = Manager::Connect(o, &m);
  if (!s.ok()) {
    *exit_code = Fail(g, s, "connecting to ferryd");
    if (*exit_code == kServiceError) *exit_code = kUnreachable;
    return nullptr;
  }
  return m;
}

namespace {
// What a person can do about the common codes.
std::string_view Hint(int32_t c) {
  switch (c) {
    case code::kJobNotFound:
      return "List your jobs with `ferry list`.";
    case code::kInvalidState:
      return "Check the job's state with `ferry info JOB`.";
    case code::kJobEmpty:
      return "Add a file with `ferry add JOB URL PATH` first.";
    case code::kAccessDenied:
      return "Only the job's owner or an administrator may do this.";
    case code::kInvalidArg:
      return "Check the arguments (`ferry --help`).";
    case code::kErrorInformationUnavailable:
      return "The job has no error.";
    default:
      return "";
  }
}
}  // namespace

int Fail(const Globals& g, const Status& s, std::string_view doing) {
  constexpr int32_t kServiceNotActive = code::FromWin32(1062);
  int exit = s.code() == kServiceNotActive ? kUnreachable : kServiceError;
  if (g.json) {
    nlohmann::json j = {
        {"error",
         {{"code", fmt::format("0x{:08X}", static_cast<uint32_t>(s.code()))},
          {"code_value", s.code()},
          {"name", StatusCodeName(s.code())},
          {"message", s.message().empty() ? StatusCodeMessage(s.code()) : s.message()},
          {"while", std::string(doing)}}}};
    std::printf("%s\n", j.dump(2).c_str());
  }
  std::string hint(Hint(s.code()));
  // The SDK's own message may already say how to start ferryd.
  if (exit == kUnreachable)
    hint = s.message().find("ferryd --user") != std::string::npos
               ? ""
               : "Is ferryd running? Start it with `ferryd --user` (or the ferryd system service).";
  std::fprintf(stderr, "ferry: %.*s failed: %s\n", static_cast<int>(doing.size()), doing.data(),
               s.ToString().c_str());
  if (!hint.empty()) std::fprintf(stderr, "ferry: %s\n", hint.c_str());
  return exit;
}

Status ResolveJob(Manager& m, const std::string& ref, std::unique_ptr<Job>* job) {
  Guid g;
  if (Guid::Parse(ref, &g)) return m.GetJob(g, job);
  std::vector<JobSummary> jobs;
  Status s = m.ListJobs(0, &jobs);
  if (!s.ok()) return s;
  std::string lower;
  for (char c : ref)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string want_prefix;
  for (char c : lower)
    if (c != '{' && c != '-' && c != '}') want_prefix.push_back(c);
  std::vector<size_t> by_prefix, by_name;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!want_prefix.empty() && jobs[i].id.ToHex().rfind(want_prefix, 0) == 0)
      by_prefix.push_back(i);
    if (jobs[i].display_name == ref) by_name.push_back(i);
  }
  const std::vector<size_t>& hits = by_prefix.size() == 1 ? by_prefix
                                    : by_name.size() == 1 ? by_name
                                    : by_prefix.empty()   ? by_name
                                                          : by_prefix;
  if (hits.size() == 1) return m.GetJob(jobs[hits[0]].id, job);
  if (hits.empty()) return Status(code::kJobNotFound, fmt::format("no job matches '{}'", ref));
  return Status(code::kInvalidArg,
                fmt::format("'{}' matches {} jobs; give more of the id", ref, hits.size()));
}

namespace {
std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted = true; }
}  // namespace

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted; }

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace ferry::cli
