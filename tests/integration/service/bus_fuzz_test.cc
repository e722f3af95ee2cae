// The bus-level fuzzer (issue 11, docs/fuzzing.md): clients send ferryd random
// but well-typed calls of every method of the Manager and Job interfaces,
// with random arguments in random order, over several connections at once;
// some clients are killed (SIGKILL) mid-call, dropping their connection.
// Afterwards ferryd is alive, answers, and — after a clean stop — its store
// passes PRAGMA integrity_check.
//
// Each client is a forked child process with its own SDK connection, forked
// before this process opens any, so that killing it is a real disconnect.
// The run is bounded (kRunFor); the seed is printed so a failure can be
// replayed (FERRY_BUS_FUZZ_SEED=N).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/service_test.h"
#include "lib/sqlite/database.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr auto kRunFor = std::chrono::seconds(12);
constexpr int kClients = 4;

// One client's random calls; every status is acceptable, only a crash or a
// hang of ferryd is not.
class RandomCaller {
 public:
  RandomCaller(Manager& manager, const std::string& work, uint64_t seed)
      : m_(manager), work_(work), rng_(seed) {}

  void Step() {
    switch (Pick(9)) {
      case 0:
        CreateJob();
        break;
      case 1:
        ManagerCall();
        break;
      case 2:
      case 3:
        AddFiles();
        break;
      case 4:
      case 5:
        SetProperty();
        break;
      case 6:
      case 7:
        StateChange();
        break;
      default:
        Read();
        break;
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  uint32_t AnyU32() {
    static const uint32_t kEdges[] = {0, 1, 2, 3, 4, 5, 31, 32, 0x7FFFFFFF, 0x80000000, UINT32_MAX};
    return Pick(2) ? kEdges[Pick(std::size(kEdges))] : static_cast<uint32_t>(rng_());
  }
  std::string AnyString() {
    static const char* const kPieces[] = {
        "a",    "é", "\xED\xA0\x80", "\xFF",    "%JOBID%",  " ", "\"", ":",
        "\r\n", "/", "..",           "http://", "file:///", "@", "\t", "x-h: v"};
    std::string s;
    size_t n = Pick(4) == 0 ? 300 + Pick(5000) : Pick(12);
    while (s.size() < n) s += kPieces[Pick(std::size(kPieces))];
    return s;
  }
  std::string Url() {
    switch (Pick(4)) {
      case 0:
        return "file://" + work_ + "/source.bin";
      case 1:
        return "http://127.0.0.1:9/x" + std::to_string(Pick(100));  // refused: transient errors
      case 2:
        return "file:///nonexistent/" + std::to_string(Pick(100));
      default:
        return AnyString();
    }
  }
  std::string LocalName() {
    return Pick(5) == 0 ? AnyString() : work_ + "/dl/f" + std::to_string(rng_() % 1000000);
  }
  Job* AnyJob() { return jobs_.empty() ? nullptr : jobs_[Pick(jobs_.size())].get(); }

  void CreateJob() {
    Guid id;
    std::unique_ptr<Job> job;
    JobType type = Pick(4) ? JobType::kDownload : static_cast<JobType>(Pick(3));
    if (m_.CreateJob(Pick(6) ? "fuzz" : AnyString(), type, &id, &job).ok())
      jobs_.push_back(std::move(job));
    if (jobs_.size() > 8) jobs_.erase(jobs_.begin());
  }
  void ManagerCall() {
    std::vector<std::unique_ptr<Job>> jobs;
    std::vector<JobSummary> summaries;
    std::string text;
    ServiceStatus status;
    std::unique_ptr<Job> job;
    Guid id;
    switch (Pick(6)) {
      case 0:
        m_.EnumJobs(AnyU32(), &jobs);
        break;
      case 1:
        m_.ListJobs(AnyU32(), &summaries);
        break;
      case 2:
        m_.GetErrorDescription(static_cast<int32_t>(AnyU32()), &text);
        break;
      case 3:
        m_.GetServiceStatus(&status);
        break;
      case 4:
        m_.SetBandwidthLimits(Pick(2) ? 0 : rng_(), Pick(2) ? 0 : rng_());
        break;
      default:
        if (Job* j = AnyJob(); j && Pick(2) && j->GetId(&id).ok())
          m_.GetJob(id, &job);
        else
          m_.GetJob(Guid::Random(), &job);
    }
  }
  void AddFiles() {
    Job* j = AnyJob();
    if (!j) return;
    switch (Pick(3)) {
      case 0:
        j->AddFile(Url(), LocalName());
        break;
      case 1: {
        std::vector<FileRange> ranges(Pick(4));
        for (auto& r : ranges)
          r = {Pick(2) ? Pick(100) : rng_(), Pick(3) ? Pick(100) : kLengthToEof};
        j->AddFileWithRanges(Pick(2) ? "" : AnyString(), Url(), LocalName(), ranges);
        break;
      }
      default: {
        std::vector<FileInfo> files(Pick(4));
        for (auto& f : files) f = {Url(), LocalName()};
        j->AddFileSet(files);
      }
    }
  }
  void SetProperty() {
    Job* j = AnyJob();
    if (!j) return;
    switch (Pick(10)) {
      case 0:
        j->SetDisplayName(AnyString());
        break;
      case 1:
        j->SetDescription(AnyString());
        break;
      case 2:
        j->SetPriority(static_cast<JobPriority>(Pick(2) ? Pick(4) : AnyU32()));
        break;
      case 3:
        j->SetNotifyFlags(AnyU32());
        break;
      case 4:
        j->SetNotifyCmdLine(Pick(2) ? "/bin/true" : AnyString(), AnyString());
        break;
      case 5:
        j->SetMinimumRetryDelay(AnyU32());
        break;
      case 6:
        j->SetNoProgressTimeout(AnyU32());
        break;
      case 7:
        j->SetProxySettings(static_cast<ProxyUsage>(Pick(5)), AnyString(), AnyString());
        break;
      case 8:
        j->SetCustomHeaders(AnyString());
        break;
      default:
        j->SetCostPolicy(AnyU32());
        break;
    }
  }
  void StateChange() {
    Job* j = AnyJob();
    if (!j) return;
    std::vector<std::unique_ptr<File>> files;
    switch (Pick(7)) {
      case 0:
      case 1:
        j->Resume();
        break;
      case 2:
        j->Suspend();
        break;
      case 3:
        j->Cancel();
        break;
      case 4:
        j->Complete();
        break;
      case 5:
        j->TakeOwnership();
        break;
      default:
        if (j->EnumFiles(&files).ok() && !files.empty()) {
          File& f = *files[Pick(files.size())];
          switch (Pick(3)) {
            case 0:
              f.SetRemoteName(Url());
              break;
            case 1:
              f.SetIntegrity(Pick(2) ? std::string(64, 'a') : AnyString());
              break;
            default:
              f.SetContentId(Pick(2) ? "cid1-0-" + std::string(64, '0') + "-00000000"
                                     : AnyString());
          }
        }
    }
  }
  void Read() {
    Job* j = AnyJob();
    if (!j) return;
    JobProgress progress;
    JobState state;
    std::unique_ptr<Error> error;
    std::vector<std::unique_ptr<File>> files;
    std::string a, b;
    ProxyUsage usage;
    j->GetProgress(&progress);
    j->GetState(&state);
    j->GetError(&error);
    j->GetCustomHeaders(&a);
    j->GetNotifyCmdLine(&a, &b);
    j->GetProxySettings(&usage, &a, &b);
    if (j->EnumFiles(&files).ok())
      for (auto& f : files) {
        std::vector<FileRange> ranges;
        FileStats stats;
        f->GetFileRanges(&ranges);
        f->GetStats(&stats);
      }
  }

  Manager& m_;
  std::string work_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Job>> jobs_;
};

// The child: connects and calls until killed (or the deadline, as a guard).
// `calls` counts the calls every client made (shared memory).
[[noreturn]] void RunClient(const std::string& address, const std::string& work, uint64_t seed,
                            std::atomic<uint64_t>* calls) {
  ConnectOptions o;
  o.bus = ConnectOptions::Bus::kAddress;
  o.address = address;
  std::unique_ptr<Manager> m;
  if (!Manager::Connect(o, &m).ok()) _exit(3);
  RandomCaller caller(*m, work, seed);
  auto end = std::chrono::steady_clock::now() + kRunFor + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    caller.Step();
    calls->fetch_add(1, std::memory_order_relaxed);
  }
  _exit(0);
}

uint64_t Seed() {
  if (const char* s = std::getenv("FERRY_BUS_FUZZ_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

TEST(BusFuzzTest, RandomWellTypedCallsLeaveFerrydServingWithAnIntactStore) {
  if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon, dbus-send or ferryd missing";
  ServiceEnv env;
  ASSERT_TRUE(env.Start().ok());
  const std::string work = env.work().path();
  ASSERT_FALSE(test::WriteRandomFile(work + "/source.bin", 256 * 1024, 1).empty());
  ASSERT_EQ(::mkdir((work + "/dl").c_str(), 0755), 0);
  const uint64_t seed = Seed();
  std::printf("bus fuzz seed %llu (FERRY_BUS_FUZZ_SEED replays it)\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  void* shared = ::mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* calls = new (shared) std::atomic<uint64_t>(0);

  // Clients run for random spans and are killed mid-call; new ones take
  // their place until kRunFor is over.
  auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<pid_t, std::chrono::steady_clock::time_point>> clients;
  int started = 0;
  while (std::chrono::steady_clock::now() - start < kRunFor) {
    while (clients.size() < kClients) {
      uint64_t client_seed = rng();
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) RunClient(env.address(), work, client_seed, calls);
      auto lifetime = std::chrono::milliseconds(200 + rng() % 3000);
      clients.emplace_back(pid, std::chrono::steady_clock::now() + lifetime);
      ++started;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto it = clients.begin(); it != clients.end();) {
      int status = 0;
      bool ended = ::waitpid(it->first, &status, WNOHANG) == it->first;
      if (!ended && std::chrono::steady_clock::now() >= it->second) {
        ::kill(it->first, SIGKILL);
        ::waitpid(it->first, &status, 0);
        ended = true;
      }
      it = ended ? clients.erase(it) : it + 1;
    }
    ASSERT_FALSE(env.ferryd().Exited()) << "ferryd died; log:\n" << env.ferryd().Log();
  }
  for (auto& [pid, deadline] : clients) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  EXPECT_GE(started, kClients);
  std::printf("%d clients made %llu calls\n", started,
              static_cast<unsigned long long>(calls->load()));
  EXPECT_GT(calls->load(), 100u);
  ::munmap(shared, sizeof(std::atomic<uint64_t>));

  // Alive and answering.
  std::unique_ptr<Manager> m;
  ASSERT_TRUE(env.Connect(&m).ok());
  Guid id;
  std::unique_ptr<Job> job;
  ASSERT_TRUE(m->CreateJob("after the fuzz", JobType::kDownload, &id, &job).ok());
  std::vector<JobSummary> jobs;
  EXPECT_TRUE(m->ListJobs(0, &jobs).ok());
  EXPECT_TRUE(job->Cancel().ok());
  m.reset();

  // A clean stop, then the store's own check.
  int exit_code = -1;
  ASSERT_TRUE(env.ferryd().Terminate(&exit_code).ok());
  EXPECT_EQ(exit_code, 0) << env.ferryd().Log();
  auto db = sqlite::Database::Open(env.state_dir() + "/ferry.db", sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto check = (*db)->QueryText("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(*check, "ok");
}

}  // namespace
}  // namespace ferry::test
