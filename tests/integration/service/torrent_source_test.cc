// Torrents and magnets as sources (issue 12 §3, docs/p2p.md): a real ferryd
// downloads from a libtorrent seeder on loopback (support/lt_seed.py, Debian
// python3-libtorrent) a v1 .torrent (a local file and over HTTP from nginx)
// and a magnet, through the SDK; resumes after kill -9 without fetching the
// verified pieces again; fills the peer fields of FileStats; refuses bad
// magnets and torrents with E_INVALIDARG.
//
// ferryd listens on 127.0.0.1 on a free port with local service discovery
// off; the seeder, on 127.0.0.2, connects to it every second (ferryd accepts
// a peer only for a torrent it has).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/service_test.h"
#include "support/torrent_tools.h"
#include "support/torrent_service_test.h"

namespace ferry::test {
namespace {

class TorrentSourceTest : public TorrentServiceTest {
 protected:
  // Resumes `job`, waits for ERROR and returns its code (and description).
  int32_t ErrorCodeOf(Job& job, std::string* description) {
    EXPECT_TRUE(job.Resume().ok());
    EXPECT_TRUE(WaitFor(
        job, [](JobState s, const JobProgress&) { return s == JobState::kError; },
        /*allow_error=*/true));
    std::unique_ptr<Error> error;
    EXPECT_TRUE(job.GetError(&error).ok());
    if (!error) return 0;
    ErrorContext context{};
    int32_t c = 0;
    EXPECT_TRUE(error->GetError(&context, &c).ok());
    EXPECT_TRUE(error->GetErrorDescription(description).ok());
    return c;
  }
};

TEST_F(TorrentSourceTest, DownloadsALocalTorrentFile) {
  StartSeeder();
  DownloadAndCheck("file://" + torrent_path_);
}

TEST_F(TorrentSourceTest, DownloadsAMagnet) {
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
}

TEST_F(TorrentSourceTest, DownloadsATorrentOverHttp) {
  StartNginx();
  StartSeeder();
  DownloadAndCheck(nginx_.Url("/content.bin.torrent"));
}

// BEP 19: a torrent whose only source is its web seed (nginx, no peer) is
// downloaded, and the web seed's bytes are HTTP bytes in the statistics, not
// a LAN peer's (ferry's HTTP engine fetches them and hands libtorrent whole
// pieces, whose blocks libtorrent reports with no peer address).
TEST_F(TorrentSourceTest, AWebSeedIsUsedAndCountedAsHttp) {
  StartNginx();
  const std::string torrent = docroot_.Path("seeded.torrent");
  Torrent t;
  Status s = MakeTorrent(TorrentKind::kV1, docroot_.Path("content.bin"), "", torrent, &t,
                         nginx_.Url("/content.bin"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string dest = env_.work().Path("web.bin");
  std::unique_ptr<Job> job = NewJob("file://" + torrent, dest);
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
      << Describe(*job);
  FileStats st = StatsOf(*job);
  EXPECT_GE(st.bytes_from_http, kSize);
  EXPECT_EQ(st.bytes_from_lan_peers + st.bytes_from_internet_peers, 0u);
  EXPECT_EQ(st.lan_connections, 0u);
  EXPECT_EQ(st.total_bytes_downloaded, st.bytes_from_http);
  ServiceStatistics totals;
  ASSERT_TRUE(manager_->GetStatistics(&totals).ok());
  EXPECT_GE(totals.all_time.bytes_from_http, kSize);
  EXPECT_EQ(totals.all_time.bytes_from_lan_peers, 0u);
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
  uint64_t served = 0;
  for (const NginxLogEntry& e : nginx_.AccessLog())
    if (e.request.find("/content.bin ") != std::string::npos) served += e.bytes_sent;
  EXPECT_GE(served, kSize) << "the bytes came from nginx";
}

TEST_F(TorrentSourceTest, ChoosesTheFileWithAFragment) {
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet() + "#file=content.bin");
}

TEST_F(TorrentSourceTest, BadMagnetsAreRefusedWithInvalidArg) {
  Guid id;
  std::unique_ptr<Job> job;
  ASSERT_TRUE(manager_->CreateJob("bad", JobType::kDownload, &id, &job).ok());
  const std::string dest = env_.work().Path("bad.bin");
  for (const std::string& bad :
       {std::string("magnet:?dn=nothing"), std::string("magnet:?xt=urn:btih:1234"),
        std::string("magnet:xt=urn:btih:") + std::string(40, 'a'),
        std::string("magnet:?xt=urn:sha1:") + std::string(40, 'a'),
        torrent_.Magnet() + "#file=../etc/passwd", torrent_.Magnet() + "#file="}) {
    EXPECT_EQ(job->AddFile(bad, dest).code(), code::kInvalidArg) << bad;
  }
  std::vector<std::unique_ptr<File>> files;
  ASSERT_TRUE(job->EnumFiles(&files).ok());
  EXPECT_TRUE(files.empty()) << "a refused file was added";
}

TEST_F(TorrentSourceTest, ABadTorrentFileFailsTheJobWithInvalidArg) {
  const std::string bad = env_.work().Path("bad.torrent");
  std::ofstream(bad) << "d4:infod6:lengthi-1eee";
  std::unique_ptr<Job> job = NewJob("file://" + bad, env_.work().Path("bad.bin"));
  ASSERT_TRUE(job);
  std::string description;
  EXPECT_EQ(ErrorCodeOf(*job, &description), code::kInvalidArg) << description;
}

// A missing .torrent (file://) fails the job as a missing file:// source of
// any file does: ERROR_FILE_NOT_FOUND, not a bad argument.
TEST_F(TorrentSourceTest, AMissingTorrentFileFailsTheJobWithFileNotFound) {
  std::unique_ptr<Job> job =
      NewJob("file://" + env_.work().Path("missing.torrent"), env_.work().Path("m.bin"));
  ASSERT_TRUE(job);
  std::string description;
  EXPECT_EQ(ErrorCodeOf(*job, &description), code::FromWin32(2)) << description;
}

TEST_F(TorrentSourceTest, ResumesAfterKill9WithoutFetchingVerifiedPiecesAgain) {
  StartSeeder(/*limit=*/1 * kMiB);
  std::unique_ptr<Job> job = NewJob(torrent_.Magnet(), env_.work().Path("out.bin"));
  ASSERT_TRUE(job);
  Guid id;
  ASSERT_TRUE(job->GetId(&id).ok());
  ASSERT_TRUE(job->Resume().ok());
  uint64_t before = 0;
  ASSERT_TRUE(WaitFor(*job, [&](JobState, const JobProgress& p) {
    before = p.bytes_transferred;
    return p.bytes_transferred >= kSize / 2;
  }));
  // Past a checkpoint (500 ms) of those bytes: their resume data is stored.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  job.reset();
  RestartService(/*kill9=*/true);
  int64_t uploaded_at_kill = Uploaded();
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
      << Describe(*job);
  // The seeder's status lags by up to 0.2 s (at 1 MiB/s) and blocks in
  // flight at the kill are sent again: 1 MiB of slack.
  int64_t after_restart = Uploaded() - uploaded_at_kill;
  EXPECT_LE(after_restart, static_cast<int64_t>(kSize - before + 1 * kMiB))
      << "the seeder sent " << after_restart << " bytes after the restart; " << before
      << " were verified before it";
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(env_.work().Path("out.bin")), sha_);
}

TEST_F(TorrentSourceTest, SuspendResumeAndCancelWorkAsForHttp) {
  StartSeeder(/*limit=*/1 * kMiB);
  const std::string dest = env_.work().Path("out.bin");
  std::unique_ptr<Job> job = NewJob("file://" + torrent_path_, dest);
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(
      WaitFor(*job, [](JobState, const JobProgress& p) { return p.bytes_transferred > 0; }));
  ASSERT_TRUE(job->Suspend().ok());
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
      << Describe(*job);
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);

  const std::string dest2 = env_.work().Path("cancelled.bin");
  std::unique_ptr<Job> other = NewJob(torrent_.Magnet(), dest2);
  ASSERT_TRUE(other);
  Guid id;
  ASSERT_TRUE(other->GetId(&id).ok());
  ASSERT_TRUE(other->Resume().ok());
  ASSERT_TRUE(
      WaitFor(*other, [](JobState, const JobProgress& p) { return p.bytes_transferred > 0; }));
  ASSERT_TRUE(other->Cancel().ok());
  EXPECT_FALSE(PathExists(dest2));
  EXPECT_TRUE(Eventually([&] { return !PathExists(env_.state_dir() + "/staging/" + id.ToHex()); }))
      << "the cancelled job's staging (and libtorrent's part file) stayed";
}

// `ferry get MAGNET -o DIR/`: the file is named as in the torrent.
TEST_F(TorrentSourceTest, CliGetsAMagnetIntoADirectory) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  StartSeeder();
  const std::string dir = env_.work().Path("into") + "/";
  RunOptions o;
  o.cwd = env_.work().path();
  o.timeout = std::chrono::seconds(60);
  CommandResult r = RunCli(env_.address(), {"get", torrent_.Magnet(), "-o", dir}, o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(dir + "content.bin"), sha_);
}

// `ferry get FILE.torrent#file=NAME --json`: the job as usual.
TEST_F(TorrentSourceTest, CliGetsALocalTorrentWithJson) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  StartSeeder();
  RunOptions o;
  o.cwd = env_.work().path();
  o.timeout = std::chrono::seconds(60);
  CommandResult r = RunCli(env_.address(),
                           {"get", "--json", "file://" + torrent_path_ + "#file=content.bin", "-o",
                            env_.work().Path("got.bin")},
                           o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(env_.work().Path("got.bin")), sha_);
  EXPECT_NE(r.out.find("content.bin"), std::string::npos) << r.out;
}

// `ferry get URL.torrent -o NAME.torrent` wants the .torrent file itself, as
// curl -O would fetch it (util/torrent_source.h ParseTorrentSourceFor): the
// file is the .torrent's bytes, over HTTP and from a file:// path, with no
// peer running (a torrent fetch could not finish, and would write the
// content). Saved under another name, the same URL is the content (above).
TEST_F(TorrentSourceTest, CliGetsTheTorrentFileItselfWhenSavedAsATorrent) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  StartNginx();
  const std::string want = Sha256File(docroot_.Path("content.bin.torrent"));
  ASSERT_FALSE(want.empty());
  RunOptions o;
  o.cwd = env_.work().path();
  o.timeout = std::chrono::seconds(60);
  CommandResult r = RunCli(
      env_.address(),
      {"get", nginx_.Url("/content.bin.torrent"), "-o", env_.work().Path("got.torrent"), "--json"},
      o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(env_.work().Path("got.torrent")), want);
  r = RunCli(env_.address(),
             {"get", "file://" + docroot_.Path("content.bin.torrent"), "-o",
              env_.work().Path("copy.TORRENT")},
             o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(env_.work().Path("copy.TORRENT")), want);
}

// A torrent of several files saved to a directory (docs/p2p.md "Torrents of
// several files"): the job file becomes one file per torrent file, named as
// in the torrent below the directory, subdirectories made at Complete.
class TorrentDirectoryTest : public TorrentSourceTest {
 protected:
  void SetUp() override {
    TorrentSourceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const auto& [name, size] : kFiles) {
      std::filesystem::create_directories(
          std::filesystem::path(docroot_.Path("pack/" + name)).parent_path());
      shas_[name] = WriteRandomFile(docroot_.Path("pack/" + name), size, size);
    }
    torrent_path_ = env_.work().Path("pack.torrent");
    Status s = MakeTorrent(TorrentKind::kV1, docroot_.Path("pack"), "", torrent_path_, &torrent_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Every file of the torrent is at dir/pack/NAME with its bytes.
  void ExpectDelivered(const std::string& dir) {
    for (const auto& [name, size] : kFiles)
      EXPECT_EQ(Sha256File(dir + "pack/" + name), shas_[name]) << name;
  }

  const std::map<std::string, uint64_t> kFiles = {
      {"a.bin", 300000}, {"sub/b.bin", 1 << 20}, {"sub/deeper/c d.bin", 77777}};
  std::map<std::string, std::string> shas_;
};

TEST_F(TorrentDirectoryTest, AMagnetSavedToADirectoryBecomesOneJobFilePerTorrentFile) {
  StartSeeder();
  const std::string dir = env_.work().Path("dl") + "/";
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  std::unique_ptr<Job> job = NewJob(torrent_.Magnet(), dir);
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(90)))
      << Describe(*job);
  std::vector<std::unique_ptr<File>> files;
  ASSERT_TRUE(job->EnumFiles(&files).ok());
  ASSERT_EQ(files.size(), kFiles.size());
  uint64_t from_peers = 0, total = 0;
  for (auto& f : files) {
    std::string local;
    ASSERT_TRUE(f->GetLocalName(&local).ok());
    EXPECT_EQ(local.rfind(dir + "pack/", 0), 0u) << local;
    FileStats st;
    ASSERT_TRUE(f->GetStats(&st).ok());
    from_peers += st.bytes_from_lan_peers;
    total += kFiles.at(local.substr(dir.size() + 5));
  }
  EXPECT_GE(from_peers, total) << "every byte came from the seeder";
  ASSERT_TRUE(job->Complete().ok());
  ExpectDelivered(dir);
}

TEST_F(TorrentDirectoryTest, CliGetsATorrentOfSeveralFilesIntoADirectory) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  StartSeeder();
  const std::string dir = env_.work().Path("cli-dl") + "/";
  RunOptions o;
  o.cwd = env_.work().path();
  o.timeout = std::chrono::seconds(90);
  CommandResult r = RunCli(env_.address(), {"get", "file://" + torrent_path_, "-o", dir}, o);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ExpectDelivered(dir);
  EXPECT_NE(r.err.find("saved " + dir + "pack/sub/b.bin"), std::string::npos) << r.Describe();
}

TEST_F(TorrentDirectoryTest, ADirectoryIsRefusedForAnythingButATorrent) {
  Guid id;
  std::unique_ptr<Job> other;
  ASSERT_TRUE(manager_->CreateJob("dir", JobType::kDownload, &id, &other).ok());
  EXPECT_EQ(other->AddFile("http://127.0.0.1:9/a.bin", env_.work().path() + "/").code(),
            code::kInvalidArg);
}

}  // namespace
}  // namespace ferry::test
