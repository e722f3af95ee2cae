// Many clients at once against one ferryd: FERRY_CLIENTS SDK connections,
// one thread each, every one creating a small job, watching it with a
// Callback and completing it when JobTransferred arrives. Every call must be
// answered, every JobTransferred delivered at least once, and once the
// clients are gone ferryd must hold no more descriptors than before and its
// resident memory must be back near where it was (a leak check with a
// generous bound, not a speed test: nothing here is timed).
//
// 1000 clients by default (FERRY_CLIENTS overrides). Each job's signals go
// only to the connections that use it (docs/dbus-api.md, "Who receives
// signals", which also has the measured times), so N clients cost N signal
// deliveries, not N^2.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/faults/faults_util.h"
#include "support/service_test.h"
#include "support/scripted_origin.h"

namespace ferry::test {
namespace {


constexpr uint64_t kFileSize = 4096;
constexpr std::chrono::seconds kClientDeadline{240};

int Clients() {
  const char* env = std::getenv("FERRY_CLIENTS");
  int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : 1000;
}

// What the client threads found; first failure messages kept for the report.
struct Tally {
  std::atomic<int> done{0};
  std::atomic<int> call_failures{0};
  std::atomic<int> missed_callbacks{0};
  std::mutex mu;
  std::vector<std::string> messages;

  void Fail(std::atomic<int>* counter, const std::string& what) {
    ++*counter;
    std::lock_guard lock(mu);
    if (messages.size() < 10) messages.push_back(what);
  }
};

// Counts JobTransferred and wakes the client's thread (a thousand threads
// polling would starve the two cores the test runs on).
class TransferredCallback : public Callback {
 public:
  Status JobTransferred(Job&) override {
    {
      std::lock_guard lock(mu_);
      ++transferred_;
    }
    cv_.notify_all();
    return Status::OK();
  }
  Status JobError(Job&, Error&) override { return Status::OK(); }
  Status JobModification(Job&, uint32_t) override { return Status::OK(); }

  bool Wait(std::chrono::seconds deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return transferred_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int transferred_ = 0;
};

class ManyClientsTest : public ServiceTest {
 protected:
  ManyClientsTest() { log_tail_ = 20000; }
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    // Each SDK connection holds a few descriptors; the bus (our child) holds
    // one per client.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < static_cast<rlim_t>(Clients()) * 8 + 256)
      GTEST_SKIP() << "RLIMIT_NOFILE " << lim.rlim_cur << " is too low for " << Clients()
                   << " clients";
    content_ = test::RandomBytes(kFileSize, 0x6d616e79);  // "many"
    origin_ = std::make_unique<ScriptedOrigin>(
        [this](const OriginRequest& req) { return test::ServeBytes(req, content_, "\"many\""); });
    ASSERT_TRUE(origin_->ok());
    test::FerrydOptions o;
    o.config_json = R"({"min_retry_delay_floor_seconds": 1, "max_jobs_per_user": 100000})";
    o.log_level = "info";
    Status s = env_.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // One client: connect, create, watch, resume, complete on JobTransferred.
  void RunClient(int i, Tally* tally) {
    auto fail = [&](const std::string& step, const Status& s) {
      tally->Fail(&tally->call_failures,
                  "client " + std::to_string(i) + " " + step + ": " + s.ToString());
    };
    std::unique_ptr<Manager> manager;
    Status s = env_.Connect(&manager);
    if (!s.ok()) return fail("Connect", s);
    Guid id;
    std::unique_ptr<Job> job;
    s = manager->CreateJob("client-" + std::to_string(i), JobType::kDownload, &id, &job);
    if (!s.ok()) return fail("CreateJob", s);
    const std::string dest = out_.Path("out-" + std::to_string(i));
    if (s = job->AddFile(origin_->Url("/f" + std::to_string(i)), dest); !s.ok())
      return fail("AddFile", s);
    auto cb = std::make_shared<TransferredCallback>();
    if (s = job->SetNotifyInterface(cb); !s.ok()) return fail("SetNotifyInterface", s);
    if (s = job->Resume(); !s.ok()) return fail("Resume", s);
    if (!cb->Wait(kClientDeadline)) {
      tally->Fail(&tally->missed_callbacks, "client " + std::to_string(i) +
                                                ": no JobTransferred; job is " +
                                                Describe(*job));
      return;
    }
    if (s = job->Complete(); !s.ok()) return fail("Complete", s);
    if (test::Sha256File(dest) != sha_) {
      tally->Fail(&tally->call_failures, "client " + std::to_string(i) + ": wrong bytes delivered");
      return;
    }
    ++tally->done;
  }

  // One job run to the end on `origin`. Run first, so that what a first
  // transfer loads for good (libcurl, libcrypto, their caches) is in the
  // baseline; and last, on a new origin once the first is stopped, so that
  // libcurl prunes its idle connections to the stopped one (which it checks
  // when it opens a connection, at most once a second).
  void RunOneJob(const ScriptedOrigin& origin, const std::string& name) {
    std::unique_ptr<Manager> manager;
    ASSERT_TRUE(env_.Connect(&manager).ok());
    Guid id;
    std::unique_ptr<Job> job;
    ASSERT_TRUE(manager->CreateJob(name, JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->AddFile(origin.Url("/" + name), out_.Path(name)).ok());
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
    ASSERT_TRUE(job->Complete().ok());
  }

  std::string content_;
  std::string sha_;
  std::unique_ptr<ScriptedOrigin> origin_;
  test::TempDir out_{"ferry-many-out"};
};

TEST_F(ManyClientsTest, EveryCallIsAnsweredEveryCallbackArrivesAndNothingLeaks) {
  ASSERT_TRUE(out_.ok());
  sha_ = test::Sha256Hex(content_);
  ASSERT_NO_FATAL_FAILURE(RunOneJob(*origin_, "warm-up"));
  const pid_t pid = env_.ferryd().pid();
  const int fds_before = CountFds(pid);
  const std::string fds_before_text = DescribeFds(pid);
  const int64_t rss_before = RssKiB(pid);
  ASSERT_GT(fds_before, 0);
  ASSERT_GT(rss_before, 0);

  const int n = Clients();
  Tally tally;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) threads.emplace_back([this, i, &tally] { RunClient(i, &tally); });
  for (auto& t : threads) t.join();
  const int64_t rss_peak = RssKiB(pid);

  for (const auto& m : tally.messages) ADD_FAILURE() << m;
  EXPECT_EQ(tally.call_failures.load(), 0);
  EXPECT_EQ(tally.missed_callbacks.load(), 0);
  EXPECT_EQ(tally.done.load(), n);

  // The clients are gone; ferryd sees their disconnections and lets go.
  origin_->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // libcurl's prune interval
  ScriptedOrigin last(
      [this](const OriginRequest& req) { return test::ServeBytes(req, content_, "\"many\""); });
  ASSERT_TRUE(last.ok());
  ASSERT_NO_FATAL_FAILURE(RunOneJob(last, "cool-down"));
  Eventually([&] { return CountFds(pid) <= fds_before; }, std::chrono::seconds(30));
  const int fds_after = CountFds(pid);
  const int64_t rss_after = RssKiB(pid);
  std::printf(
      "%d clients: %d done, %d failed calls, %d missed callbacks; ferryd fds %d -> %d, "
      "RSS %lld KiB -> peak %lld KiB -> %lld KiB\n",
      n, tally.done.load(), tally.call_failures.load(), tally.missed_callbacks.load(), fds_before,
      fds_after, static_cast<long long>(rss_before), static_cast<long long>(rss_peak),
      static_cast<long long>(rss_after));
  EXPECT_LE(fds_after, fds_before) << "before:\n"
                                   << fds_before_text << "after:\n"
                                   << DescribeFds(pid);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // The sanitizers' allocators keep freed memory (quarantine, shadow): RSS
  // says nothing of ferryd's own there.
  EXPECT_LE(rss_after, 2 * rss_before + 16 * 1024);
#endif
  EXPECT_FALSE(env_.ferryd().Exited());
}

}  // namespace
}  // namespace ferry::test
