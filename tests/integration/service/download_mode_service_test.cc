// A job's own download mode (docs/peering.md "Per-job download mode")
// against a real ferryd in LAN mode with its peer module and nginx: a file
// with a content id waits for peers first (the delay is set far beyond the
// test's waits), while the same file of a job set to HTTP only is fetched
// from the origin at once and says so in its FileStats; the mode survives a
// restart, bad values change nothing; DownloadProperty::kDownloadMode; the
// CLI's `set JOB download-mode`, `get --download-mode` and `info`. ferryd
// runs as the test's user, in user mode: that user may set the mode
// (SystemModeTest checks that other users may not).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "ferry/content_id.h"
#include "ferry/download.h"
#include "support/free_port.h"
#include "support/service_test.h"

namespace ferry::test {
namespace {

using json = nlohmann::json;
using M = DownloadMode;

constexpr uint64_t kSize = 6 * kMiB + 7;
// How long a file with a content id would wait for peers before its origin:
// far beyond every wait below, so that only the override can fetch it.
constexpr int kPeersFirstSeconds = 300;
constexpr auto kQuick = std::chrono::seconds(45);

class DownloadModeServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
#ifndef FERRY_TORRENT_MODULE_BUILT
    GTEST_SKIP() << "built without the torrent module: nothing is peered";
#else
    sha_ = AddDocFile("big.bin", kSize, 0x6d6f6465);
    StartNginx(nginx_options_);
    json config = {{"min_retry_delay_floor_seconds", 1},
                   {"download_mode", 1},
                   {"min_file_size_to_peer", kMiB},
                   {"delay_background_http", kPeersFirstSeconds},
                   {"delay_foreground_http", foreground_delay_},
                   {"peer_listen_port", PickFreePort()},
                   {"peer_listen_addresses", {"127.0.0.1"}},
                   {"peer_local_discovery", false},
                   {"torrent_module", FERRY_TORRENT_MODULE_BUILT}};
    FerrydOptions o;
    o.config_json = config.dump();
    StartService(o);
    if (Stopped()) return;
    ASSERT_TRUE(ContentIdOfFile(docroot_.Path("big.bin"), &id_).ok());
#endif
  }

  // A job of big.bin -> `dest` with its content id, not resumed.
  std::unique_ptr<Job> ContentJob(const std::string& dest) {
    auto job = NewJob(nginx_.Url("/big.bin"), dest);
    if (!job) return nullptr;
    std::vector<std::unique_ptr<File>> files;
    EXPECT_TRUE(job->EnumFiles(&files).ok());
    if (files.size() != 1) return nullptr;
    Status s = files[0]->SetContentId(id_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return job;
  }
  FileStats StatsOfJob(Job& job) { return StatsOf(GuidOf(job)); }
  static std::optional<M> ModeOf(Job& job) {
    std::optional<M> m = M::kBypass;
    Status s = job.GetDownloadMode(&m);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return m;
  }
  static Guid GuidOf(Job& job) {
    Guid id;
    EXPECT_TRUE(job.GetId(&id).ok());
    return id;
  }
  // The CLI with --bus-address after the verb's own arguments.
  CommandResult Cli(std::vector<std::string> args) {
    args.push_back("--bus-address");
    args.push_back(env_.address());
    RunOptions o;
    o.cwd = env_.work().path();
    o.timeout = std::chrono::seconds(120);
    return RunCli("", args, o);
  }
  json CliJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.Describe();
    return j;
  }

  std::string sha_;
  std::string id_;
  int foreground_delay_ = kPeersFirstSeconds;  // delay_foreground_http
  NginxOptions nginx_options_;
};

// docs/peering.md "From the host's own cache": content the host's seeding
// cache holds is copied from there, not fetched again. A foreground job
// (peers-first delay 1 s) gets the file from the origin and the cache keeps
// it; then a background job of the same id (whose delay is 300 s, so the
// origin is out of reach in this test) has it within seconds, with no byte
// from the origin or a peer, while the cache still lists the one entry,
// used again. Without the copy the second job waits for peers that never
// come.
class OwnCacheTest : public DownloadModeServiceTest {
 protected:
  OwnCacheTest() { foreground_delay_ = 1; }
};

TEST_F(OwnCacheTest, ContentTheCacheHoldsIsCopiedFromItNotFetchedAgain) {
  auto first = ContentJob(env_.work().Path("first.bin"));
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->SetPriority(JobPriority::kForeground).ok());
  ASSERT_TRUE(first->Resume().ok());
  ASSERT_TRUE(WaitForState(*first, JobState::kTransferred, kQuick)) << Describe(*first);
  EXPECT_EQ(StatsOfJob(*first).bytes_from_http, kSize);
  ASSERT_TRUE(first->Complete().ok());
  std::vector<CacheEntry> entries;
  ASSERT_TRUE(Eventually([&] { return manager_->ListCache(&entries).ok() && entries.size() == 1; },
                         kQuick));
  const auto used_before = entries[0].last_used;

  const std::string dest = env_.work().Path("second.bin");
  auto second = ContentJob(dest);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->Resume().ok());
  ASSERT_TRUE(WaitForState(*second, JobState::kTransferred, kQuick)) << Describe(*second);
  FileStats st = StatsOfJob(*second);
  EXPECT_EQ(st.bytes_from_http + st.bytes_from_lan_peers + st.bytes_from_group_peers +
                st.bytes_from_internet_peers,
            0u);
  ASSERT_TRUE(second->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
  ASSERT_TRUE(Eventually([&] { return manager_->ListCache(&entries).ok() && entries.size() == 1; },
                         kQuick));
  EXPECT_GT(entries[0].last_used, used_before);
  EXPECT_NE(env_.ferryd().Log().find("copying the content from the seeding cache"),
            std::string::npos);
}

// docs/peering.md "Two jobs of one content": three foreground jobs of one
// content id started together on one host (the origin sends 2 MiB/s, so
// the first takes about 3 s): one fetches it, the others wait for it and
// then copy it from the seeding cache, one after the other. The origin
// sends the file once. Without the wait the others' torrents cannot join
// the first's (one torrent per info-hash in a session) and they go to the
// origin as well.
class SameContentTest : public OwnCacheTest {
 protected:
  SameContentTest() { nginx_options_.limit_rate = 2 * kMiB; }
};

TEST_F(SameContentTest, JobsOfOneContentOnAHostFetchItOnce) {
  constexpr int kJobs = 3;
  std::unique_ptr<Job> jobs[kJobs];
  std::string dests[kJobs];
  for (int i = 0; i < kJobs; ++i) {
    dests[i] = env_.work().Path("same" + std::to_string(i) + ".bin");
    jobs[i] = ContentJob(dests[i]);
    ASSERT_TRUE(jobs[i]);
    ASSERT_TRUE(jobs[i]->SetPriority(JobPriority::kForeground).ok());
  }
  for (auto& job : jobs) ASSERT_TRUE(job->Resume().ok());
  uint64_t from_origin = 0;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(WaitForState(*jobs[i], JobState::kTransferred, kQuick)) << Describe(*jobs[i]);
    FileStats st = StatsOfJob(*jobs[i]);
    from_origin += st.bytes_from_http;
    EXPECT_EQ(st.bytes_from_lan_peers + st.bytes_from_group_peers + st.bytes_from_internet_peers,
              0u);
    ASSERT_TRUE(jobs[i]->Complete().ok());
    EXPECT_EQ(Sha256File(dests[i]), sha_);
  }
  EXPECT_EQ(from_origin, kSize) << "the origin sent the file " << from_origin / double(kSize)
                                << " times";
  const std::string log = env_.ferryd().Log();
  EXPECT_NE(log.find("fetches the same content on this host; waiting for it"), std::string::npos);
  EXPECT_NE(log.find("copying the content from the seeding cache"), std::string::npos);
}

// The wait is bounded: a background job that holds the content but makes
// no progress (it waits 300 s for peers) keeps a foreground job of the same
// id waiting for its own delay (1 s) plus kHandoverGrace (10 s) only; then
// the foreground job fetches the file from the origin.
TEST_F(SameContentTest, AJobWaitsOnAnotherThatMakesNoProgressOnlyForItsDelay) {
  auto slow = ContentJob(env_.work().Path("slow.bin"));
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->Resume().ok());
  ASSERT_TRUE(Eventually([&] { return StatsOfJob(*slow).download_mode == M::kLan; }, kQuick))
      << Describe(*slow);
  const std::string dest = env_.work().Path("quick.bin");
  auto quick = ContentJob(dest);
  ASSERT_TRUE(quick);
  ASSERT_TRUE(quick->SetPriority(JobPriority::kForeground).ok());
  ASSERT_TRUE(quick->Resume().ok());
  ASSERT_TRUE(WaitForState(*quick, JobState::kTransferred, kQuick)) << Describe(*quick);
  EXPECT_EQ(StatsOfJob(*quick).bytes_from_http, kSize);
  ASSERT_TRUE(quick->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
  const std::string log = env_.ferryd().Log();
  EXPECT_NE(log.find("fetches the same content on this host; waiting for it"), std::string::npos);
  EXPECT_NE(log.find("the other job made no progress in 11 s"), std::string::npos);
  EXPECT_EQ(StatsOfJob(*slow).bytes_from_http, 0u) << Describe(*slow);
  EXPECT_TRUE(slow->Cancel().ok());
}

TEST_F(DownloadModeServiceTest, HttpOnlyOnAJobFetchesItsContentFileFromTheOriginAtOnce) {
  const std::string dest = env_.work().Path("direct.bin");
  auto direct = ContentJob(dest);
  ASSERT_TRUE(direct);
  ASSERT_TRUE(direct->SetDownloadMode(M::kHttpOnly).ok());
  EXPECT_EQ(ModeOf(*direct), M::kHttpOnly);
  ASSERT_TRUE(direct->Resume().ok());
  ASSERT_TRUE(WaitForState(*direct, JobState::kTransferred, kQuick))
      << "not fetched from the origin at once: " << Describe(*direct);
  FileStats st = StatsOfJob(*direct);
  EXPECT_EQ(st.download_mode, M::kHttpOnly);
  EXPECT_EQ(st.bytes_from_http, kSize);
  EXPECT_EQ(st.bytes_from_lan_peers, 0u);
  JobSummary summary;
  ASSERT_TRUE(direct->GetSummary(&summary).ok());
  EXPECT_EQ(summary.download_mode, M::kHttpOnly);
  EXPECT_EQ(summary.effective_download_mode, M::kHttpOnly);
  ASSERT_TRUE(direct->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);

  // The same file in ferryd's mode waits for peers (none come): nothing
  // from the origin, which the override spared the other job.
  auto peered = ContentJob(env_.work().Path("peered.bin"));
  ASSERT_TRUE(peered);
  ASSERT_TRUE(peered->Resume().ok());
  ASSERT_TRUE(Eventually([&] { return StatsOfJob(*peered).download_mode == M::kLan; }, kQuick))
      << Describe(*peered);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  JobState state{};
  ASSERT_TRUE(peered->GetState(&state).ok());
  EXPECT_NE(state, JobState::kTransferred);
  st = StatsOfJob(*peered);
  EXPECT_EQ(st.bytes_from_http, 0u) << Describe(*peered);
  ASSERT_TRUE(peered->GetSummary(&summary).ok());
  EXPECT_EQ(summary.download_mode, std::nullopt);
  EXPECT_EQ(summary.effective_download_mode, M::kLan);
  EXPECT_TRUE(peered->Cancel().ok());
}

TEST_F(DownloadModeServiceTest, TheModeSurvivesARestartAndBadValuesChangeNothing) {
  auto job = ContentJob(env_.work().Path("kept.bin"));
  ASSERT_TRUE(job);
  EXPECT_EQ(ModeOf(*job), std::nullopt);
  ASSERT_TRUE(job->SetDownloadMode(M::kGroup).ok());
  for (uint32_t bad : {4u, 98u, 101u, 0xFFFFFFFEu}) {
    EXPECT_EQ(Hex(job->SetDownloadMode(static_cast<M>(bad)).code()), Hex(code::kInvalidArg)) << bad;
  }
  EXPECT_EQ(ModeOf(*job), M::kGroup) << "refused values changed it";
  const std::string id = GuidOf(*job).ToString();
  job.reset();
  RestartService(/*kill9=*/true);
  Guid g;
  ASSERT_TRUE(Guid::Parse(id, &g));
  ASSERT_TRUE(manager_->GetJob(g, &job).ok());
  EXPECT_EQ(ModeOf(*job), M::kGroup);
  ASSERT_TRUE(job->ClearDownloadMode().ok());
  EXPECT_EQ(ModeOf(*job), std::nullopt);
  ASSERT_TRUE(job->Cancel().ok());
  EXPECT_EQ(Hex(job->SetDownloadMode(M::kLan).code()), Hex(code::kInvalidState))
      << "a final job refuses it";
}

TEST_F(DownloadModeServiceTest, DownloadPropertyDownloadMode) {
  const std::string dest = env_.work().Path("dl.bin");
  auto d = NewDownload(nginx_.Url("/big.bin"), dest);
  ASSERT_TRUE(d);
  using P = DownloadProperty;
  PropertyValue v;
  EXPECT_EQ(Hex(d->GetProperty(P::kDownloadMode, &v).code()), Hex(code::kNotSet));
  EXPECT_EQ(Hex(d->SetProperty(P::kDownloadMode, uint32_t{4}).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kDownloadMode, true).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kDownloadMode, uint64_t{0}).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->GetProperty(P::kDownloadMode, &v).code()), Hex(code::kNotSet))
      << "refused sets changed it";
  EXPECT_EQ(Hex(d->GetProperty(static_cast<P>(999), &v).code()), Hex(code::kUnknownPropertyId));
  ASSERT_TRUE(d->SetProperty(P::kContentId, id_).ok());
  ASSERT_TRUE(d->SetProperty(P::kDownloadMode, uint32_t{0}).ok());
  ASSERT_TRUE(d->GetProperty(P::kDownloadMode, &v).ok());
  EXPECT_EQ(std::get<uint32_t>(v), 0u);
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d).state == DownloadState::kTransferred; }, kQuick))
      << "fetched from the origin at once";
  FileStats st;
  ASSERT_TRUE(d->GetStats(&st).ok());
  EXPECT_EQ(st.download_mode, M::kHttpOnly);
  EXPECT_EQ(st.bytes_from_http, kSize);
  ASSERT_TRUE(d->Finalize().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
}

TEST_F(DownloadModeServiceTest, TheCliSetsShowsAndClearsTheMode) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  auto job = ContentJob(env_.work().Path("cli.bin"));
  ASSERT_TRUE(job);
  const std::string id = GuidOf(*job).ToString();

  CommandResult r = Cli({"set", id, "download-mode", "http-only"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ModeOf(*job), M::kHttpOnly);
  r = Cli({"info", id});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("mode:        http-only (the job's own)"), std::string::npos) << r.out;
  json j = CliJson({"info", id});
  EXPECT_EQ(j["download_mode"], "http-only") << j.dump();
  EXPECT_EQ(j["effective_download_mode"], "http-only") << j.dump();

  j = CliJson({"set", id, "download-mode", "2"});  // numbers too; options after the verb
  EXPECT_EQ(j["download_mode"], "group") << j.dump();
  for (const char* bad : {"4", "fast", "LAN", "-1"}) {
    r = Cli({"set", id, "download-mode", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.Describe();
  }
  EXPECT_EQ(ModeOf(*job), M::kGroup) << "refused values changed it";

  r = Cli({"set", id, "download-mode", "default"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ModeOf(*job), std::nullopt);
  j = CliJson({"info", id});
  EXPECT_TRUE(j["download_mode"].is_null()) << j.dump();
  EXPECT_EQ(j["effective_download_mode"], "lan") << j.dump();
  r = Cli({"info", id});
  EXPECT_NE(r.out.find("mode:        lan (ferryd's)"), std::string::npos) << r.out;
  ASSERT_TRUE(job->Cancel().ok());

  // get --download-mode http-only: fetched at once (in ferryd's mode it would
  // wait for peers past its --timeout and exit 4).
  const std::string dest = env_.work().Path("got.bin");
  r = Cli({"get", nginx_.Url("/big.bin"), "-o", dest, "--content-id", id_, "--download-mode",
           "http-only", "--timeout", "30", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(dest), sha_);
  r = Cli(
      {"get", nginx_.Url("/big.bin"), "-o", env_.work().Path("no.bin"), "--download-mode", "fast"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_FALSE(PathExists(env_.work().Path("no.bin")));
}

}  // namespace
}  // namespace ferry::test
