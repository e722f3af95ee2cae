#include "support/service_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

namespace ferry::test {

using namespace std::chrono_literals;

std::string DefaultConfigJson() { return R"({"min_retry_delay_floor_seconds": 1})"; }

std::string CliPath() {
#ifdef FERRY_CLI_PATH
  return FERRY_CLI_PATH;
#else
  return "";
#endif
}

bool CliAvailable() { return !CliPath().empty() && ::access(CliPath().c_str(), X_OK) == 0; }

ServiceEnv::ServiceEnv() = default;

ServiceEnv::~ServiceEnv() {
  if (ferryd_.running()) ferryd_.Kill9();
  bus_.Stop();
}

bool ServiceEnv::Available() {
  return BusFixture::Available() && FerrydFixture::Available() &&
         ::access("/usr/bin/dbus-send", X_OK) == 0;
}

Status ServiceEnv::Start(const FerrydOptions& opts, bool shared_bus) {
  if (!work_.ok()) return Status(code::kUnexpected, "no temp dir");
  BusOptions bo;
  bo.shared = shared_bus;
  if (Status s = bus_.Start(bo); !s.ok()) return s;
  FerrydOptions o = opts;
  o.bus_address = bus_.address();
  if (o.state_dir.empty()) o.state_dir = work_.Path("state");
  if (o.config_json.empty()) o.config_json = DefaultConfigJson();
  state_dir_ = o.state_dir;
  return ferryd_.Start(o);
}

Status ServiceEnv::RestartFerryd(const std::string* config_json) {
  FerrydOptions o = ferryd_.options();
  if (config_json) o.config_json = *config_json;
  return ferryd_.Start(o);
}

Status ServiceEnv::Connect(std::unique_ptr<Manager>* manager) const {
  Status s;
  *manager = ConnectTo(bus_.address(), &s);
  return s;
}

std::unique_ptr<Manager> ConnectTo(const std::string& address, Status* s) {
  ConnectOptions co;
  co.bus = ConnectOptions::Bus::kAddress;
  co.address = address;
  std::unique_ptr<Manager> m;
  *s = Manager::Connect(co, &m);
  return m;
}

std::string NewDownloadAt(const std::string& address, std::unique_ptr<Manager>* m,
                          std::unique_ptr<Download>* d) {
  Status st;
  *m = ConnectTo(address, &st);
  if (!*m) return "connect " + st.ToString();
  st = (*m)->CreateDownload(d);
  return st.ok() ? "" : "create " + st.ToString();
}

std::string NewJobAt(const std::string& address, const std::string& name,
                     std::unique_ptr<Manager>* m, Guid* id, std::unique_ptr<Job>* job) {
  Status st;
  *m = ConnectTo(address, &st);
  if (!*m) return "connect " + st.ToString();
  st = (*m)->CreateJob(name, JobType::kDownload, id, job);
  return st.ok() ? "" : "create " + st.ToString();
}

std::string GetJobAt(const std::string& address, const std::string& id, std::unique_ptr<Manager>* m,
                     std::unique_ptr<Job>* job) {
  Guid guid;
  if (!Guid::Parse(id, &guid)) return "bad id";
  Status st;
  *m = ConnectTo(address, &st);
  if (!*m) return "connect " + st.ToString();
  st = (*m)->GetJob(guid, job);
  return st.ok() ? "" : "get " + st.ToString();
}

std::string Describe(Job& job) {
  JobState state{};
  JobProgress p;
  uint32_t errors = 0;
  Status s = job.GetState(&state);
  if (!s.ok()) return "GetState: " + s.ToString();
  job.GetProgress(&p);
  job.GetErrorCount(&errors);
  std::string d =
      std::string(JobStateName(state)) + " " + std::to_string(p.bytes_transferred) + "/" +
      (p.bytes_total == kSizeUnknown ? std::string("?") : std::to_string(p.bytes_total)) +
      ", errors " + std::to_string(errors);
  std::unique_ptr<Error> error;
  if (job.GetError(&error).ok()) {
    ErrorContext ctx{};
    int32_t code = 0;
    std::string text;
    error->GetError(&ctx, &code);
    error->GetErrorDescription(&text);
    d += ", error " + Status(code, text).ToString() + " context " +
         std::string(ErrorContextName(ctx));
  }
  return d;
}

::testing::AssertionResult WaitFor(Job& job,
                                   const std::function<bool(JobState, const JobProgress&)>& pred,
                                   bool allow_error, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    JobState state{};
    JobProgress progress;
    Status s = job.GetState(&state);
    if (s.ok()) s = job.GetProgress(&progress);
    if (!s.ok()) return ::testing::AssertionFailure() << "reading the job: " << s.ToString();
    if (pred(state, progress)) return ::testing::AssertionSuccess();
    if (!allow_error && state == JobState::kError)
      return ::testing::AssertionFailure() << "job went to ERROR: " << Describe(job);
    if (std::chrono::steady_clock::now() >= end)
      return ::testing::AssertionFailure()
             << "condition not met within " << deadline.count() << " ms; job is " << Describe(job);
    std::this_thread::sleep_for(20ms);
  }
}

::testing::AssertionResult WaitForState(Job& job, JobState want,
                                        std::chrono::milliseconds deadline) {
  auto r = WaitFor(
      job, [want](JobState s, const JobProgress&) { return s == want; }, want == JobState::kError,
      deadline);
  if (!r) r << " (waiting for " << JobStateName(want) << ")";
  return r;
}

bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(10ms);
  }
}

CommandResult RunCli(const std::string& address, const std::vector<std::string>& args,
                     const RunOptions& options) {
  std::vector<std::string> argv = {CliPath()};
  if (!address.empty()) {
    argv.push_back("--bus-address");
    argv.push_back(address);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, options);
}

// --- RecordingCallback --------------------------------------------------------

Status RecordingCallback::JobTransferred(Job& job) {
  std::function<Status(Job&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = on_transferred;
  }
  Status s = hook ? hook(job) : Status::OK();
  {
    std::lock_guard lock(mu_);
    ++transferred_;
  }
  cv_.notify_all();
  return s;
}

Status RecordingCallback::JobError(Job& job, Error& error) {
  std::function<Status(Job&, Error&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = on_error;
  }
  Status s = hook ? hook(job, error) : Status::OK();
  {
    std::lock_guard lock(mu_);
    ++errors_;
  }
  cv_.notify_all();
  return s;
}

Status RecordingCallback::JobModification(Job&, uint32_t) {
  {
    std::lock_guard lock(mu_);
    ++modifications_;
  }
  cv_.notify_all();
  return Status::OK();
}

Status RecordingCallback::FileTransferred(Job&, File&) {
  {
    std::lock_guard lock(mu_);
    ++files_;
  }
  cv_.notify_all();
  return Status::OK();
}

int RecordingCallback::transferred() const {
  std::lock_guard lock(mu_);
  return transferred_;
}
int RecordingCallback::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}
int RecordingCallback::modifications() const {
  std::lock_guard lock(mu_);
  return modifications_;
}
int RecordingCallback::files_transferred() const {
  std::lock_guard lock(mu_);
  return files_;
}

bool RecordingCallback::WaitUntil(const std::function<bool()>& pred,
                                  std::chrono::milliseconds deadline) {
  // pred() reads the counters through their locking getters: poll without
  // holding the lock.
  return Eventually(pred, deadline);
}

}  // namespace ferry::test
