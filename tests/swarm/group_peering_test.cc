// Group mode (issue 13; docs/peering.md): four hosts on one LAN, two in group
// "lab" and two in group "office", download_mode 2, local service discovery
// off, opentracker (whitelist mode, in the origin's namespace) as the groups'
// tracker. All four fetch the same URL by the same content id at once. Each
// group's torrent is its own (the group id is in its info-hash), so each group
// asks the origin once and shares within itself only: the origin sends the
// file twice, and the host of each group that waited gets it from its group
// peer (counted as bytes from group peers).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ferry/content_id.h"
#include "support/opentracker_fixture.h"
#include "support/service_env.h"
#include "support/swarm_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr uint64_t kSize = 6 * kMiB + 555;
const char* const kGroups[] = {"lab", "lab", "office", "office"};

class GroupPeeringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!SwarmFixture::Supported(&why)) GTEST_SKIP() << "no swarm: " << why;
    if (!OpentrackerFixture::Available()) GTEST_SKIP() << "opentracker is not installed";
    sha_ = WriteRandomFile(docroot_.Path("g.bin"), kSize, 0x67727570);
    ASSERT_FALSE(sha_.empty());
    ASSERT_TRUE(ContentIdOfFile(docroot_.Path("g.bin"), &cid_).ok());
    SwarmOptions o;
    o.hosts = 4;
    o.docroot = docroot_.path();
    o.origin_link_rate = 2 * kMiB;  // ~3 s for the file
    o.ferryd_config_for = [this](int i) { return Config(kGroups[i]); };
    Status s = swarm_.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
    OpentrackerOptions t;
    t.netns = swarm_.origin_netns();
    t.address = swarm_.origin_address();
    t.port = 6969;
    t.whitelist = {TrackerHash("lab"), TrackerHash("office")};
    ASSERT_TRUE((s = tracker_.Start(t)).ok()) << s.ToString();
  }
  void TearDown() override {
    if (!HasFailure()) return;
    ADD_FAILURE() << swarm_.FerrydLogTails();
    ADD_FAILURE() << "tracker:\n" << tracker_.Log();
  }

  std::string Tracker() const { return "http://" + swarm_.origin_address() + ":6969/announce"; }
  std::string Config(const std::string& group) const {
    return nlohmann::json{{"min_retry_delay_floor_seconds", 1},
                          {"peer_local_discovery", false},
                          {"download_mode", 2},
                          {"group_id", group},
                          {"trackers", {Tracker()}},
                          {"min_file_size_to_peer", kMiB},
                          {"delay_foreground_http", 3},
                          {"torrent_module", FERRY_TORRENT_MODULE_BUILT}}
        .dump();
  }
  // What the group's hosts announce (opentracker's whitelist), as an
  // administrator gets it: `ferry hash FILE --info-hash --group G`.
  std::string TrackerHash(const std::string& group) {
    CommandResult r =
        RunCli("", {"hash", docroot_.Path("g.bin"), "--info-hash", "--group", group});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    std::string hash = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(hash.size(), 40u) << r.out;
    return hash;
  }

  std::string Out(int i) const { return out_.Path("h" + std::to_string(i) + ".bin"); }

  TempDir docroot_{"ferry-grp-docroot"};
  TempDir out_{"ferry-grp-out"};
  std::string sha_, cid_;
  SwarmFixture swarm_;
  OpentrackerFixture tracker_;
};

TEST_F(GroupPeeringTest, EachGroupAsksTheOriginOnceAndSharesOnlyWithinItself) {
  std::vector<std::unique_ptr<Manager>> managers(4);
  std::vector<std::unique_ptr<Job>> jobs(4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(swarm_.host(i).Connect(&managers[i]).ok());
    Guid id;
    ASSERT_TRUE(managers[i]->CreateJob("grp", JobType::kDownload, &id, &jobs[i]).ok());
    ASSERT_TRUE(jobs[i]->SetPriority(JobPriority::kForeground).ok());
    ASSERT_TRUE(jobs[i]->AddFile(swarm_.OriginUrl("g.bin"), Out(i)).ok());
    std::vector<std::unique_ptr<File>> files;
    ASSERT_TRUE(jobs[i]->EnumFiles(&files).ok() && files.size() == 1);
    ASSERT_TRUE(files[0]->SetContentId(cid_).ok());
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(jobs[i]->Resume().ok());
  uint64_t from_http[2] = {0, 0}, from_group[2] = {0, 0};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(WaitForState(*jobs[i], JobState::kTransferred, std::chrono::seconds(120)))
        << "host " << i << ": " << Describe(*jobs[i]);
    std::vector<std::unique_ptr<File>> files;
    FileStats st;
    ASSERT_TRUE(jobs[i]->EnumFiles(&files).ok() && files[0]->GetStats(&st).ok());
    ASSERT_TRUE(jobs[i]->Complete().ok());
    EXPECT_EQ(Sha256File(Out(i)), sha_) << "host " << i;
    EXPECT_EQ(st.download_mode, DownloadMode::kGroup);
    EXPECT_EQ(st.bytes_from_lan_peers, 0u) << "host " << i << ": peers of a group are group peers";
    from_http[i / 2] += st.bytes_from_http;
    from_group[i / 2] += st.bytes_from_group_peers;
  }
  for (int g = 0; g < 2; ++g) {
    EXPECT_GE(from_http[g], kSize) << "group " << g << " got the file from the origin";
    EXPECT_LT(from_http[g], kSize + kSize / 2) << "group " << g << ": one host asked the origin";
    EXPECT_GE(from_group[g], kSize) << "group " << g << ": the other got it from its group peer";
  }
  // Twice, once per group: had the groups shared, the origin would have sent
  // the file once.
  EXPECT_GT(swarm_.OriginBytesSent(), 2 * kSize);
  EXPECT_LT(swarm_.OriginBytesSent(), 2 * kSize + kSize / 2);
  // What a group's hosts sent each other counts as sent to group peers (the
  // host that asked the origin serves from its cache, as the derived
  // torrent's group key tells).
  for (int g = 0; g < 2; ++g) {
    uint64_t to_group = 0;
    EXPECT_TRUE(Eventually(
        [&] {
          to_group = 0;
          for (int i = 2 * g; i < 2 * g + 2; ++i) {
            ServiceStatistics t;
            if (!managers[i]->GetStatistics(&t).ok()) return false;
            EXPECT_EQ(t.this_month.bytes_to_lan_peers, 0u) << "host " << i;
            to_group += t.this_month.bytes_to_group_peers;
          }
          return to_group >= from_group[g];
        },
        std::chrono::seconds(10)))
        << "group " << g << " sent " << to_group << ", received " << from_group[g];
  }
}

}  // namespace
}  // namespace ferry::test
