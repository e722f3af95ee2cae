// DO downloads into stream sinks (do-download.md §2, StreamInterface;
// docs/download.md "Stream sinks") through the SDK against a real ferryd on
// a private bus, files from a real nginx: every byte in order through a pipe
// that fills (Transferred only once the reader has them all), ranges in the
// order given, a reader that goes away (Paused with ERROR_BROKEN_PIPE, the
// service still answers, the staging goes at Abort), a sink set outside
// Created, and a NonVolatile stream download across a restart. Also: a
// download's job is not reachable through the job interface.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"
#include "support/unix_users.h"

namespace ferry::test {
namespace {

using D = DownloadState;
using P = DownloadProperty;

constexpr uint64_t kStreamSize = 4 * kMiB + 4321;  // far more than a pipe holds
constexpr uint64_t kSlowSize = 16 * kMiB;          // served at 256 KiB/s: stays Transferring
constexpr int32_t kBrokenPipe = static_cast<int32_t>(0x8007006D);

// A pipe whose ends are closed at scope exit.
struct Pipe {
  Pipe() { EXPECT_EQ(::pipe2(fd, O_CLOEXEC), 0); }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (fd[0] >= 0) ::close(fd[0]);
    fd[0] = -1;
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
  int fd[2] = {-1, -1};
};

// Reads until end-of-file, each read bounded by `deadline` (a reader that
// would wait for ever fails instead).
bool ReadToEof(int fd, std::string* out, std::chrono::milliseconds deadline = kDeadline) {
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) != 1) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

class DownloadStreamTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    ASSERT_EQ(::mkdir(docroot_.Path("slow").c_str(), 0755), 0);
    AddDocFile("stream.bin", kStreamSize, 0x7374);
    AddDocFile("slow/large.bin", kSlowSize, 0x6c62);
    if (Stopped()) return;
    auto origin = test::ReadFile(docroot_.Path("stream.bin"));
    ASSERT_TRUE(origin.has_value());
    origin_ = std::move(*origin);
    test::NginxOptions no;
    no.extra_server_config = "location /slow/ { limit_rate 262144; }\n";
    StartNginx(no);
    StartService();
  }

  // A download of `path` into the write end of `pipe` (which the test then
  // closes: the service holds the only copy).
  std::unique_ptr<Download> NewStream(const std::string& path, Pipe& pipe) {
    auto d = NewDownload(nginx_.Url(path), "");
    if (!d) return nullptr;
    Status s = d->SetProperty(P::kStreamInterface, StreamSink{pipe.fd[1]});
    EXPECT_TRUE(s.ok()) << s.ToString();
    pipe.CloseWrite();
    return d;
  }
  std::string StagingOf(Download& d) {
    PropertyValue id;
    EXPECT_TRUE(d.GetProperty(P::kId, &id).ok());
    Guid g;
    EXPECT_TRUE(Guid::Parse(std::get<std::string>(id), &g));
    return env_.state_dir() + "/staging/" + g.ToHex();
  }

  std::string origin_;
};

TEST_F(DownloadStreamTest, APipeGetsEveryByteInOrderAndTransferredWaitsForTheReader) {
  Pipe pipe;
  auto d = NewStream("/stream.bin", pipe);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->Start().ok());
  // Every byte is staged while the pipe is full and nobody reads: the
  // download is still Transferring (the sink does not have them yet).
  ASSERT_TRUE(Eventually([&] {
    DownloadStatus st = StatusOf(*d);
    return st.bytes_total == kStreamSize && st.bytes_transferred == kStreamSize;
  }));
  EXPECT_EQ(DownloadStateName(StatusOf(*d).state), DownloadStateName(D::kTransferring));
  std::string got;
  ASSERT_TRUE(ReadToEof(pipe.fd[0], &got)) << "the service closes the sink after the last byte";
  EXPECT_EQ(got.size(), origin_.size());
  EXPECT_TRUE(got == origin_) << "the stream's bytes differ from the origin's";
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d).state == D::kTransferred; }));
  EXPECT_EQ(StatusOf(*d).error, 0);
  // Finalize: no file to deliver; the staging goes.
  ASSERT_TRUE(d->Finalize().ok());
  EXPECT_EQ(DownloadStateName(StatusOf(*d).state), DownloadStateName(D::kFinalized));
  EXPECT_TRUE(Eventually([&] { return !PathExists(StagingOf(*d)); }));
}

TEST_F(DownloadStreamTest, ARangedStreamGetsTheRangesInTheOrderGiven) {
  Pipe pipe;
  auto d = NewStream("/stream.bin", pipe);
  ASSERT_TRUE(d);
  const std::vector<DownloadRange> ranges = {
      {2 * kMiB + 17, 300000}, {100, 1000}, {4 * kMiB, kLengthToEof}};
  std::string got;
  std::thread reader([&] { ReadToEof(pipe.fd[0], &got); });
  Status s = d->Start(&ranges);
  ASSERT_TRUE(s.ok()) << s.ToString();
  reader.join();
  std::string want =
      origin_.substr(2 * kMiB + 17, 300000) + origin_.substr(100, 1000) + origin_.substr(4 * kMiB);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the stream's bytes are not the ranges in order";
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d).state == D::kTransferred; }));
  EXPECT_EQ(StatusOf(*d).bytes_transferred, want.size());
  EXPECT_TRUE(d->Abort().ok());
}

TEST_F(DownloadStreamTest, AReaderThatGoesAwayFailsTheDownloadCleanly) {
  Pipe pipe;
  auto d = NewStream("/stream.bin", pipe);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->Start().ok());
  char buf[1000];
  pollfd p{pipe.fd[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kDeadline).count())), 1);
  ASSERT_GT(::read(pipe.fd[0], buf, sizeof buf), 0);
  pipe.CloseRead();
  DownloadStatus st;
  ASSERT_TRUE(Eventually([&] { return (st = StatusOf(*d)).error != 0; }));
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kPaused));
  EXPECT_EQ(Hex(st.error), Hex(kBrokenPipe));
  EXPECT_EQ(st.extended_error, 0) << "not transient";
  // Start cannot revive a closed sink; only Abort remains, and it removes the staging.
  EXPECT_EQ(Hex(d->Start().code()), Hex(kBrokenPipe));
  EXPECT_EQ(Hex(StatusOf(*d).error), Hex(kBrokenPipe));
  const std::string staging = StagingOf(*d);
  ASSERT_TRUE(d->Abort().ok());
  EXPECT_EQ(DownloadStateName(StatusOf(*d).state), DownloadStateName(D::kAborted));
  EXPECT_FALSE(PathExists(staging));

  // ferryd is still there: a second download works.
  Pipe again;
  auto d2 = NewStream("/stream.bin", again);
  ASSERT_TRUE(d2);
  ASSERT_TRUE(d2->Start().ok());
  std::string got;
  ASSERT_TRUE(ReadToEof(again.fd[0], &got));
  EXPECT_TRUE(got == origin_);
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d2).state == D::kTransferred; }));
  ASSERT_TRUE(d2->Finalize().ok());
}

TEST_F(DownloadStreamTest, ASinkOutsideCreatedIsInvalidStateAndChangesNothing) {
  std::unique_ptr<Download> d;
  ASSERT_TRUE(manager_->CreateDownload(&d).ok());
  const std::string dest = env_.work().Path("file.bin");
  ASSERT_TRUE(d->SetProperty(P::kUri, nginx_.Url("/slow/large.bin")).ok());
  ASSERT_TRUE(d->SetProperty(P::kLocalPath, dest).ok());
  ASSERT_TRUE(d->Start().ok());
  Pipe pipe;
  Status s = d->SetProperty(P::kStreamInterface, StreamSink{pipe.fd[1]});
  EXPECT_EQ(Hex(s.code()), Hex(code::kInvalidState));
  pipe.CloseWrite();
  std::string got;
  EXPECT_TRUE(ReadToEof(pipe.fd[0], &got)) << "the service kept the refused descriptor";
  EXPECT_TRUE(got.empty());
  PropertyValue v;
  EXPECT_EQ(Hex(d->GetProperty(P::kStreamInterface, &v).code()), Hex(code::kNotSet));
  DownloadStatus st = StatusOf(*d);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferring));
  EXPECT_EQ(st.error, 0);
  ASSERT_TRUE(d->Pause().ok());
  ASSERT_TRUE(d->Abort().ok());
  // After Abort as well.
  Pipe late;
  EXPECT_EQ(Hex(d->SetProperty(P::kStreamInterface, StreamSink{late.fd[1]}).code()),
            Hex(code::kInvalidState));
}

TEST_F(DownloadStreamTest, ANonVolatileStreamFailsAtARestartAndAbortCleansUp) {
  Pipe pipe;
  auto d = NewStream("/slow/large.bin", pipe);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->SetProperty(P::kNonVolatile, true).ok());
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d).bytes_transferred > 0; }));
  const std::string staging = StagingOf(*d);
  d.reset();
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Kill9().ok());
  std::string got;
  EXPECT_TRUE(ReadToEof(pipe.fd[0], &got)) << "the sink closes with the process";
  Status s = env_.RestartFerryd();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(env_.Connect(&manager_).ok());
  std::vector<std::unique_ptr<Download>> list;
  ASSERT_TRUE(manager_->EnumDownloads(nullptr, &list).ok());
  ASSERT_EQ(list.size(), 1u);
  DownloadStatus st = StatusOf(*list[0]);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kPaused));
  EXPECT_EQ(Hex(st.error), Hex(kBrokenPipe));
  EXPECT_EQ(Hex(list[0]->Start().code()), Hex(kBrokenPipe));
  ASSERT_TRUE(list[0]->Abort().ok());
  EXPECT_FALSE(PathExists(staging));
}

// A download's job is the download's business: not listed as a job, not
// found by GetJob, and its job path answers nothing (Resume or Cancel there
// would bypass the download's state table).
TEST_F(DownloadStreamTest, ADownloadsJobIsNotReachableAsAJob) {
  if (::access("/usr/bin/busctl", X_OK) != 0) GTEST_SKIP() << "busctl missing";
  std::unique_ptr<Download> d;
  ASSERT_TRUE(manager_->CreateDownload(&d).ok());
  ASSERT_TRUE(d->SetProperty(P::kUri, nginx_.Url("/slow/large.bin")).ok());
  ASSERT_TRUE(d->SetProperty(P::kLocalPath, env_.work().Path("j.bin")).ok());
  ASSERT_TRUE(d->Start().ok());
  PropertyValue idv;
  ASSERT_TRUE(d->GetProperty(P::kId, &idv).ok());
  Guid id;
  ASSERT_TRUE(Guid::Parse(std::get<std::string>(idv), &id));
  std::vector<std::unique_ptr<Job>> jobs;
  ASSERT_TRUE(manager_->EnumJobs(0, &jobs).ok());
  EXPECT_TRUE(jobs.empty());
  std::unique_ptr<Job> job;
  EXPECT_EQ(Hex(manager_->GetJob(id, &job).code()), Hex(code::kJobNotFound));
  const std::string path = "/org/ferry/Ferry1/job/" + id.ToHex();
  for (const char* method : {"Suspend", "Cancel", "Resume"}) {
    test::CommandResult r =
        test::RunCommand({"busctl", "--address=" + env_.address(), "--timeout=20", "call", "--",
                          "org.ferry.Ferry1", path, "org.ferry.Ferry1.Job", method});
    EXPECT_NE(r.exit_code, 0) << method << ": " << r.Describe();
  }
  DownloadStatus st = StatusOf(*d);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferring)) << "unchanged";
  ASSERT_TRUE(d->Abort().ok());
}

}  // namespace
}  // namespace ferry::test
