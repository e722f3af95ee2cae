// The swarm test bed (support/swarm_fixture.h) with HTTP only: hosts in their
// own network namespaces download one file from a rate-limited origin
// through their own ferryd. The origin's $bytes_sent is the baseline that
// peering will cut (p2p.md §5): today every host costs the origin the whole
// file. And the fixture leaves nothing behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "support/netns.h"
#include "support/service_env.h"
#include "support/swarm_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr uint64_t kFileSize = 2 * kMiB + 12345;
constexpr uint64_t kSeed = 0x7377726d;  // "swrm"
// nginx sends the first second's worth at once, then paces: ~2 s a host.
constexpr uint64_t kOriginRate = 1 * kMiB;

#define SKIP_UNLESS_SWARM()                                                  \
  do {                                                                       \
    std::string why;                                                         \
    if (!SwarmFixture::Supported(&why)) GTEST_SKIP() << "no swarm: " << why; \
  } while (0)

class SwarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_SWARM();
    sha_ = WriteRandomFile(docroot_.Path("file.bin"), kFileSize, kSeed);
    ASSERT_FALSE(sha_.empty());
  }
  void TearDown() override {
    if (!HasFailure()) return;
    ADD_FAILURE() << swarm_.FerrydLogTails();
    ADD_FAILURE() << "origin error log:\n" << swarm_.origin().ErrorLog();
  }

  TempDir docroot_{"ferry-swarm-docroot"};
  TempDir out_{"ferry-swarm-out"};
  // `hosts` hosts, nginx serving docroot_.
  SwarmOptions Options(int hosts) const {
    SwarmOptions o;
    o.hosts = hosts;
    o.docroot = docroot_.path();
    return o;
  }

  std::string sha_;
  SwarmFixture swarm_;
};

TEST_F(SwarmTest, FourHostsOverHttpOnlyCostTheOriginFourFiles) {
  SwarmOptions o = Options(4);
  o.origin_limit_rate = kOriginRate;
  Status s = swarm_.Start(o);
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::vector<std::unique_ptr<Manager>> managers(4);
  std::vector<std::unique_ptr<Job>> jobs(4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(swarm_.host(i).Connect(&managers[i]).ok());
    Guid id;
    s = managers[i]->CreateJob("swarm", JobType::kDownload, &id, &jobs[i]);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = jobs[i]->AddFile(swarm_.OriginUrl("file.bin"), out_.Path("h" + std::to_string(i)));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (auto& job : jobs) ASSERT_TRUE(job->Resume().ok());  // all at once
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(WaitForState(*jobs[i], JobState::kTransferred)) << "host " << i;
    s = jobs[i]->Complete();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Sha256File(out_.Path("h" + std::to_string(i))), sha_) << "host " << i;
  }

  // Every request came from a host namespace, and together they cost the
  // origin the file four times (plus response heads).
  const uint64_t sent = swarm_.OriginBytesSent();
  EXPECT_GE(sent, 4 * kFileSize);
  EXPECT_LE(sent, 4 * kFileSize + 4 * 64 * 1024) << "more than 4 files' worth: re-sent bytes?";
  EXPECT_GE(swarm_.origin().AccessLog().size(), 4u);
}

TEST_F(SwarmTest, TheCliInsideAHostNamespaceDownloadsFromTheOrigin) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  SwarmOptions o = Options(1);
  o.host_link_rate = 4 * kMiB;  // tbf on the link: shaping works
  Status s = swarm_.Start(o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string dest = out_.Path("cli.bin");
  RunOptions ro;
  ro.timeout = std::chrono::seconds(60);
  CommandResult r = swarm_.host(0).RunCli({"get", swarm_.OriginUrl("file.bin"), "-o", dest}, ro);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(dest), sha_);
}

TEST_F(SwarmTest, HostsReachTheOriginAndEachOtherWithAddressesOnlyInTheirNamespaces) {
  SwarmOptions o = Options(2);
  o.start_ferryd = false;
  Status s = swarm_.Start(o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(CanConnectIn(swarm_.host(1).netns, swarm_.origin_address(), 80));
  // Host 0 listens (a throwaway nginx); host 1 reaches it over the bridge.
  NginxFixture listener;
  NginxOptions no;
  no.netns = swarm_.host(0).netns;
  no.address = swarm_.host(0).address;
  no.port = 8080;
  s = listener.Start(docroot_.path(), no);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(CanConnectIn(swarm_.host(1).netns, swarm_.host(0).address, 8080));
  // The machine's own namespace has no address of the swarm's subnet.
  const std::string subnet = swarm_.origin_address().substr(0, swarm_.origin_address().rfind('.'));
  CommandResult r = RunCommand({std::string(kIpPath), "-o", "addr"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out.find(" " + subnet + "."), std::string::npos) << r.out;
}

// Everything the fixture made is gone after it is destroyed: its namespaces,
// every interface (none ever appears in the machine's namespace), and every
// process it started.
TEST(SwarmTeardownTest, NothingSurvivesTheFixture) {
  SKIP_UNLESS_SWARM();
  TempDir docroot("ferry-swarm-docroot");
  ASSERT_FALSE(WriteRandomFile(docroot.Path("f"), 1000, 1).empty());
  const std::vector<std::string> links_before = RootLinkNames();
  std::string prefix;
  std::vector<std::string> namespaces;
  std::vector<pid_t> pids;
  {
    SwarmFixture swarm;
    SwarmOptions o;
    o.hosts = 2;
    o.docroot = docroot.path();
    o.host_link_rate = 8 * kMiB;
    Status s = swarm.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
    prefix = swarm.prefix();
    namespaces = swarm.namespaces();
    pids = swarm.started_pids();
    EXPECT_EQ(namespaces.size(), 4u);  // switch, origin, 2 hosts
    EXPECT_EQ(pids.size(), 5u);        // nginx, 2 ferryd, 2 dbus-daemon
    EXPECT_FALSE(RootLinksMention(prefix));
  }
  for (const std::string& name : ListNetns())
    EXPECT_NE(name.rfind(prefix, 0), 0u) << "namespace left: " << name;
  EXPECT_FALSE(RootLinksMention(prefix));
  for (const std::string& link : RootLinkNames()) {
    EXPECT_NE(std::find(links_before.begin(), links_before.end(), link), links_before.end())
        << "new interface in the machine's namespace: " << link;
  }
  for (pid_t pid : pids) {
    errno = 0;
    EXPECT_TRUE(::kill(pid, 0) != 0 && errno == ESRCH) << "pid " << pid << " survived";
  }
}

// A Start that fails half-way (ferryd refuses its config) tears down what it
// had made: the network and the origin.
TEST(SwarmTeardownTest, AFailedStartLeavesNothing) {
  SKIP_UNLESS_SWARM();
  TempDir docroot("ferry-swarm-docroot");
  std::string prefix;
  std::vector<pid_t> pids;
  {
    SwarmFixture swarm;
    SwarmOptions o;
    o.hosts = 2;
    o.docroot = docroot.path();
    o.ferryd_config_json = "{ not json";
    Status s = swarm.Start(o);
    EXPECT_FALSE(s.ok());
    prefix = swarm.prefix();
    EXPECT_TRUE(swarm.namespaces().empty());
    pids = swarm.started_pids();
    EXPECT_GE(pids.size(), 2u);  // nginx, the first bus
    EXPECT_FALSE(swarm.origin().running());
  }
  for (pid_t pid : pids) {
    errno = 0;
    EXPECT_TRUE(::kill(pid, 0) != 0 && errno == ESRCH) << "pid " << pid << " survived";
  }
  for (const std::string& name : ListNetns())
    EXPECT_NE(name.rfind(prefix, 0), 0u) << "namespace left: " << name;
}

}  // namespace
}  // namespace ferry::test
