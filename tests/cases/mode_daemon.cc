// Daemon mode: a real ferryd on a private bus, driven through the SDK; the
// kill_after_bytes action is a kill -9 of ferryd and a restart on its state.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cases/case_modes.h"
#include "ferry/ferry.h"
#include "support/bus_fixture.h"
#include "support/ferryd_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

std::string ConfigJson(const Case& c) {
  json conf = c.doc.value("config", json::object());
  conf["min_retry_delay_floor_seconds"] = 0;
  return conf.dump();
}

Status ConnectTo(const test::BusFixture& bus, std::unique_ptr<Manager>* m) {
  ConnectOptions co;
  co.bus = ConnectOptions::Bus::kAddress;
  co.address = bus.address();
  return Manager::Connect(co, m);
}

Status AddCaseFile(const Case& c, const CaseFile& f, const std::string& local, Job& job) {
  Status s =
      f.ranges.empty() && !f.file_size
          ? job.AddFile(f.url, local)
          : job.AddFileWithRanges("f", f.url, local, f.ranges, f.file_size.value_or(kSizeUnknown));
  if (!s.ok() || (!f.sha256 && !f.content_id)) return s;
  std::vector<std::unique_ptr<File>> files;
  if (s = job.EnumFiles(&files); !s.ok()) return s;
  if (files.empty()) return Status(code::kUnexpected, "no file");
  if (f.sha256 && !(s = files[0]->SetIntegrity(*f.sha256)).ok()) return s;
  return f.content_id ? files[0]->SetContentId(*f.content_id) : s;
}

// Polls (every 10 ms, bounded) until pred or a terminal state.
bool Poll(Job& job, const std::function<bool(JobState, const JobProgress&)>& pred, JobState* st,
          JobProgress* p, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (!job.GetState(st).ok() || !job.GetProgress(p).ok()) return false;
    if (pred(*st, *p) || *st == JobState::kError || *st == JobState::kTransferred) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

void RunDaemon(const Case& c) {
  if (!test::BusFixture::Available() || !test::FerrydFixture::Available())
    GTEST_SKIP() << "dbus-daemon or ferryd missing";
  auto origin = StartOrigin(c);
  ASSERT_TRUE(origin->ok());
  test::TempDir dir("ferry-case-daemon");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() + "/out");
  const std::string local = dir.path() + "/out/file";
  test::BusFixture bus;
  Status s = bus.Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  test::FerrydFixture ferryd;
  test::FerrydOptions fo;
  fo.bus_address = bus.address();
  fo.state_dir = dir.path() + "/state";
  fo.config_json = ConfigJson(c);
  fo.log_level = "info";
  s = ferryd.Start(fo);
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::unique_ptr<Manager> manager;
  ASSERT_TRUE((s = ConnectTo(bus, &manager)).ok()) << s.ToString();
  const json job_opts = c.doc.value("job", json::object());
  Guid id;
  std::unique_ptr<Job> job;
  ASSERT_TRUE((s = manager->CreateJob("case", JobType::kDownload, &id, &job)).ok()) << s.ToString();
  ASSERT_TRUE((s = job->SetMinimumRetryDelay(job_opts.value("min_retry_delay", 0u))).ok())
      << s.ToString();
  if (job_opts.contains("no_progress_timeout")) {
    ASSERT_TRUE(job->SetNoProgressTimeout(job_opts["no_progress_timeout"].get<uint32_t>()).ok());
  }
  ASSERT_TRUE((s = AddCaseFile(c, FileOf(c, *origin), local, *job)).ok()) << s.ToString();
  ASSERT_TRUE((s = job->Resume()).ok()) << s.ToString();

  JobState st{};
  JobProgress p;
  if (auto kill = KillAfterBytes(c)) {
    ASSERT_TRUE(Poll(
        *job, [&](JobState, const JobProgress& q) { return q.bytes_transferred >= *kill; }, &st,
        &p));
    ASSERT_TRUE((s = ferryd.Kill9()).ok()) << s.ToString();
    EXPECT_FALSE(job->GetState(&st).ok()) << "a call answered by a killed ferryd";
    job.reset();
    manager.reset();
    ASSERT_TRUE((s = ferryd.Start(fo)).ok()) << s.ToString();
    ASSERT_TRUE((s = ConnectTo(bus, &manager)).ok()) << s.ToString();
    ASSERT_TRUE((s = manager->GetJob(id, &job)).ok()) << s.ToString();
    ASSERT_TRUE((s = job->Resume()).ok()) << s.ToString();
  }
  ASSERT_TRUE(Poll(
      *job, [&](JobState x, const JobProgress&) { return x == c.want; }, &st, &p))
      << "still " << JobStateName(st);

  Outcome o;
  o.state = st;
  o.bytes_transferred = p.bytes_transferred;
  EXPECT_TRUE(job->GetErrorCount(&o.error_count).ok());
  std::unique_ptr<Error> err;
  if (job->GetError(&err).ok() && err) {
    ErrorContext ctx{};
    int32_t code = 0;
    if (err->GetError(&ctx, &code).ok()) {
      o.code = code;
      o.context = ctx;
    }
  }
  if (st == JobState::kTransferred) {
    o.delivered_before_complete = fs::exists(local);
    ASSERT_TRUE((s = job->Complete()).ok()) << s.ToString();
    o.delivered = test::ReadFile(local);
  }
  CheckOutcome(c, o, origin->requests());
  int exit_code = -1;
  EXPECT_TRUE(ferryd.Terminate(&exit_code).ok());
}

}  // namespace ferry::test
