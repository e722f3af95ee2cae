// TorrentServiceTest: a real ferryd that fetches torrents from a libtorrent
// seeder on loopback (support/lt_seed.py, Debian python3-libtorrent): the
// fixture of TorrentSourceTest, SeedCacheTest and FerrySeedsTest. Header
// only: it uses the build tree's module path, FERRY_TORRENT_MODULE_BUILT,
// which the test binaries that include it define (tests/CMakeLists.txt).
//
// ferryd listens on 127.0.0.1 on a free port with local service discovery
// off; the seeder, on 127.0.0.2, connects to it every second (ferryd accepts
// a peer only for a torrent it has).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/service_test.h"
#include "support/torrent_tools.h"

namespace ferry::test {

constexpr uint64_t kSize = 6 * kMiB + 12345;

class TorrentServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    if (!PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
    sha_ = AddDocFile("content.bin", kSize, 0x746f7272);
    torrent_path_ = docroot_.Path("content.bin.torrent");
    Status s =
        MakeTorrent(TorrentKind::kV1, docroot_.Path("content.bin"), "", torrent_path_, &torrent_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = PickFreePort();
    FerrydOptions o;
    o.config_json = Config();
    StartService(o);
  }
  void TearDown() override {
    if (seeder_.running()) seeder_.Kill();
    ServiceTest::TearDown();
  }

  // ferryd's settings: peers on 127.0.0.1:port_ only, the build's module,
  // and `extra` (an object) on top.
  std::string Config(const nlohmann::json& extra = nlohmann::json::object()) const {
    nlohmann::json c = {{"peer_listen_port", port_},
                        {"peer_listen_addresses", {"127.0.0.1"}},
                        {"peer_local_discovery", false},
                        {"checkpoint_interval_ms", 500},
                        {"torrent_module", FERRY_TORRENT_MODULE_BUILT}};
    c.update(extra);
    return c.dump();
  }

  // The seeder on 127.0.0.2, uploading at most `limit` bytes/s (0: no limit),
  // of `torrent` (default: torrent_path_) from the docroot.
  void StartSeeder(uint64_t limit = 0, const std::string& torrent = "") {
    status_path_ = env_.work().Path("seeder.json");
    std::remove(status_path_.c_str());
    std::vector<std::string> argv = {
        "/usr/bin/python3",    std::string(FERRY_SOURCE_DIR) + "/tests/support/lt_seed.py",
        torrent.empty() ? torrent_path_ : torrent, docroot_.path(),
        "127.0.0.2",           status_path_,
        std::to_string(limit), "127.0.0.1:" + std::to_string(port_)};
    seeder_log_ = env_.work().Path("seeder.log");
    SpawnOptions o;
    o.output_path = seeder_log_;
    Status s = seeder_.Spawn(argv, o);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(Eventually([&] { return Uploaded() >= 0; })) << "the seeder did not start";
  }
  // For failure messages: the seeder's status and the last lines of its log
  // (peer connections, disconnections with their reasons, restarts).
  std::string SeederReport() const {
    std::ifstream status(status_path_);
    std::string report = "seeder status: ";
    report.append(std::istreambuf_iterator<char>(status), std::istreambuf_iterator<char>());
    std::ifstream log(seeder_log_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(log, line);) lines.push_back(line);
    const size_t from = lines.size() > 30 ? lines.size() - 30 : 0;
    report += "\nseeder log (tail):\n";
    for (size_t i = from; i < lines.size(); ++i) report += lines[i] + "\n";
    return report;
  }
  // Payload bytes the seeder sent; -1 before its first report.
  int64_t Uploaded() const {
    std::ifstream in(status_path_);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    return j.is_object() ? j["uploaded"].get<int64_t>() : -1;
  }

  FileStats StatsOf(Job& job) {
    std::vector<std::unique_ptr<File>> files;
    FileStats st;
    EXPECT_TRUE(job.EnumFiles(&files).ok());
    if (files.size() == 1) {
      EXPECT_TRUE(files[0]->GetStats(&st).ok());
    }
    return st;
  }

  // Adds `remote`, resumes, waits for TRANSFERRED and completes; checks the
  // bytes and that they all came from the (LAN) seeder.
  void DownloadAndCheck(const std::string& remote, uint64_t size = kSize,
                        const std::string& sha = "") {
    const std::string dest = env_.work().Path("out.bin");
    std::remove(dest.c_str());
    std::unique_ptr<Job> job = NewJob(remote, dest);
    ASSERT_TRUE(job);
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
        << Describe(*job) << "\n"
        << SeederReport();
    FileStats st = StatsOf(*job);
    EXPECT_EQ(st.bytes_from_lan_peers, size);
    EXPECT_EQ(st.bytes_from_internet_peers, 0u);
    EXPECT_EQ(st.bytes_from_http, 0u);
    EXPECT_EQ(st.total_bytes_downloaded, size);
    EXPECT_EQ(st.lan_connections, 1u);
    ServiceStatistics totals;
    ASSERT_TRUE(manager_->GetStatistics(&totals).ok());
    EXPECT_GE(totals.all_time.bytes_from_lan_peers, size);
    ASSERT_TRUE(job->Complete().ok());
    EXPECT_EQ(Sha256File(dest), sha.empty() ? sha_ : sha);
  }

  std::string sha_;
  std::string torrent_path_;
  Torrent torrent_;
  uint16_t port_ = 0;
  ChildProcess seeder_;
  std::string status_path_;
  std::string seeder_log_;
};

}  // namespace ferry::test
