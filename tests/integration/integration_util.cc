#include "integration/integration_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <span>
#include <thread>

#include "util/status_codes.h"

namespace ferry::test {

using namespace std::chrono_literals;

double Scale() {
  const char* env = std::getenv("FERRY_TEST_SCALE");
  if (!env || !*env) return 1.0;
  char* end = nullptr;
  double v = std::strtod(env, &end);
  if (end == env || !(v > 0)) return 1.0;
  return std::clamp(v, 0.01, 100.0);
}

uint64_t Scaled(uint64_t bytes, uint64_t min) {
  auto v = static_cast<uint64_t>(static_cast<double>(bytes) * Scale());
  v = std::max(v, min);
  return v & ~uint64_t{4095};
}

core::EngineConfig TestConfig() {
  core::EngineConfig c;
  c.min_retry_delay_floor = 1s;
  return c;
}

std::unique_ptr<Host> StartHost(const std::string& state_dir, const core::EngineConfig& config,
                                Status* status) {
  daemon::HostOptions o;
  o.state_dir = state_dir;
  o.config = config;
  auto h = Host::Start(o);
  if (!h.ok()) {
    *status = h.status();
    return nullptr;
  }
  *status = Status::OK();
  return std::move(h.value());
}

Status CreateAndResume(Host& host, const std::string& url, const std::string& local_name, Guid* id,
                       const JobOptions& options) {
  return host.Call([&](core::Engine& e) {
    Status s = e.CreateJob(core::Caller{static_cast<uint32_t>(::getuid()), true}, "integration",
                           JobType::kDownload, id);
    if (!s.ok()) return s;
    core::NewFile f;
    f.remote_url = url;
    f.local_name = local_name;
    s = e.AddFiles(*id, std::span(&f, 1));
    if (s.ok()) s = e.SetPriority(*id, options.priority);
    if (s.ok()) s = e.SetMinimumRetryDelay(*id, options.min_retry_delay_s);
    if (s.ok() && options.no_progress_timeout_s)
      s = e.SetNoProgressTimeout(*id, options.no_progress_timeout_s);
    if (s.ok()) s = e.Resume(*id);
    if (!s.ok()) e.Cancel(*id);
    return s;
  });
}

Result<core::JobSnapshot> Snapshot(Host& host, const Guid& id) {
  return host.Call([&](core::Engine& e) { return e.GetJob(id); });
}

std::string Describe(const Result<core::JobSnapshot>& snap) {
  if (!snap.ok()) return "GetJob: " + snap.status().ToString();
  const auto& j = snap->job;
  std::string d = std::string(JobStateName(j.state)) + " " + std::to_string(snap->progress.bytes_transferred) +
                  "/" +
                  (snap->progress.bytes_total == kSizeUnknown ? std::string("?")
                                                              : std::to_string(snap->progress.bytes_total)) +
                  " bytes, errors " + std::to_string(j.error_count);
  if (j.error) {
    d += ", error " + Status(j.error->code, j.error->message).ToString() + " context " +
         std::string(ErrorContextName(j.error->context));
  }
  return d;
}

::testing::AssertionResult WaitUntil(Host& host, const Guid& id,
                                     const std::function<bool(const core::JobSnapshot&)>& pred,
                                     core::JobSnapshot* last, bool allow_error,
                                     std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto snap = Snapshot(host, id);
    if (!snap.ok()) return ::testing::AssertionFailure() << Describe(snap);
    if (last) *last = *snap;
    if (pred(*snap)) return ::testing::AssertionSuccess();
    if (!allow_error && snap->job.state == JobState::kError)
      return ::testing::AssertionFailure() << "job went to ERROR: " << Describe(snap);
    if (std::chrono::steady_clock::now() >= end)
      return ::testing::AssertionFailure()
             << "condition not met within " << deadline.count() << " ms; job is " << Describe(snap);
    std::this_thread::sleep_for(20ms);
  }
}

::testing::AssertionResult WaitForState(Host& host, const Guid& id, JobState state,
                                        core::JobSnapshot* last, std::chrono::milliseconds deadline) {
  auto r = WaitUntil(
      host, id, [state](const core::JobSnapshot& s) { return s.job.state == state; }, last,
      state == JobState::kError, deadline);
  if (!r) r << " (waiting for " << JobStateName(state) << ")";
  return r;
}

Status CompleteSync(Host& host, const Guid& id, std::chrono::milliseconds deadline) {
  // Shared: the callback may outlive this function when the deadline passes.
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  host.Call([&](core::Engine& e) { e.Complete(id, [done](Status s) { done->set_value(std::move(s)); }); });
  if (fut.wait_for(deadline) != std::future_status::ready)
    return Status(code::kUnexpected, "Complete did not call back within the deadline");
  return fut.get();
}

std::string StagingDir(const Host& host, const Guid& id) {
  return host.state_dir() + "/staging/" + id.ToHex();
}

std::string StagingFile(const Host& host, const Guid& id, uint32_t file) {
  return StagingDir(host, id) + "/" + std::to_string(file) + ".part";
}

std::vector<test::NginxLogEntry> AccessLogAtLeast(const test::NginxFixture& nginx, size_t n,
                                                  std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto log = nginx.AccessLog();
    if (log.size() >= n || std::chrono::steady_clock::now() >= end) return log;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace ferry::test
