#include "transfer/file/file_backend.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "recording_sink.h"
#include "support/temp_dir.h"
#include "sys/thread_pool.h"

namespace ferry::transfer {
namespace {

using namespace std::chrono_literals;
using test::RecordingSink;
using test::RunFor;
using test::RunUntil;
using Calls = std::vector<std::string>;

class FileBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
    content_.resize(3 * (1 << 20) + 123);
    for (size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<char>((i * 31) ^ (i >> 12));
    path_ = dir_ + "/source file.bin";
    std::ofstream(path_, std::ios::binary).write(content_.data(), static_cast<std::streamsize>(content_.size()));
  }
  void TearDown() override {
    transfer_.reset();
    workers_.Drain();
  }
  core::ByteRequest Request(const std::string& path) {
    core::ByteRequest r;
    std::string url = "file://";
    for (char c : path) url += c == ' ' ? std::string("%20") : std::string(1, c);
    r.url = url;
    return r;
  }
  void Start(const core::ByteRequest& r) { transfer_ = backend_.Start(r, &sink_); }
  void RunToDone() {
    ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.done(); }));
  }
  // The first chunk arrives, then nothing more for a while and no end.
  void ExpectOneChunkThenQuiet() {
    ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.data_calls > 0; }));
    RunFor(loop_, 200ms);
    EXPECT_EQ(sink_.data_calls, 1);
    EXPECT_FALSE(sink_.done());
  }

  test::TempDir tmp_{"ferry-file-backend"};
  std::string dir_, path_, content_;
  sys::EventLoop loop_;
  sys::ThreadPool workers_{2};
  FileBackend backend_{loop_, workers_};
  RecordingSink sink_;
  std::unique_ptr<core::ByteStream> transfer_;
};

TEST_F(FileBackendTest, WholeFile) {
  EXPECT_TRUE(backend_.Supports("file"));
  EXPECT_FALSE(backend_.Supports("http"));
  Start(Request(path_));
  EXPECT_TRUE(sink_.calls.empty());
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "data", "done"}));
  EXPECT_EQ(sink_.response.status, 200);
  EXPECT_FALSE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, 0u);
  EXPECT_EQ(sink_.response.body_length, content_.size());
  EXPECT_EQ(sink_.response.total_size, content_.size());
  EXPECT_FALSE(sink_.response.etag.empty());
  EXPECT_FALSE(sink_.response.last_modified.empty());
  EXPECT_EQ(sink_.data_calls, 4);  // 1 MiB chunks
  EXPECT_TRUE(sink_.body == content_);
  EXPECT_TRUE(sink_.outcome->status.ok());
  EXPECT_EQ(sink_.outcome->protocol, "file");
}

TEST_F(FileBackendTest, Ranged) {
  auto r = Request(path_);
  r.offset = (1 << 20) + 7;
  r.length = (1 << 20) + 10;
  Start(r);
  RunToDone();
  EXPECT_EQ(sink_.response.status, 200);
  EXPECT_TRUE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, r.offset);
  EXPECT_EQ(sink_.response.body_length, *r.length);
  EXPECT_EQ(sink_.response.total_size, content_.size());
  EXPECT_TRUE(sink_.body == content_.substr(r.offset, *r.length));
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(FileBackendTest, OpenEndedAndOverlongRanges) {
  auto r = Request(path_);
  r.offset = content_.size() - 100;
  r.length = 1000;  // cut at the end, like a 206
  Start(r);
  RunToDone();
  EXPECT_TRUE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_length, 100u);
  EXPECT_TRUE(sink_.body == content_.substr(content_.size() - 100));
}

TEST_F(FileBackendTest, RangePastEndIs416) {
  auto r = Request(path_);
  r.offset = content_.size();
  Start(r);
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "done"}));
  EXPECT_EQ(sink_.response.status, 416);
  EXPECT_EQ(sink_.response.total_size, content_.size());
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(FileBackendTest, IfRangeMismatchSendsWholeFile) {
  auto r = Request(path_);
  r.offset = 10;
  r.if_range = "\"stale\"";
  Start(r);
  RunToDone();
  EXPECT_FALSE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, 0u);
  EXPECT_EQ(sink_.body.size(), content_.size());

  // With the current validator the range is honoured.
  std::string etag = sink_.response.etag;
  RecordingSink second;
  r.if_range = etag;
  auto t = backend_.Start(r, &second);
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.done(); }));
  EXPECT_TRUE(second.response.partial);
  EXPECT_EQ(second.response.body_offset, 10u);
  EXPECT_TRUE(second.body == content_.substr(10));
}

TEST_F(FileBackendTest, EmptyFile) {
  std::string empty = dir_ + "/empty";
  std::ofstream(empty).close();
  Start(Request(empty));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "done"}));
  EXPECT_EQ(sink_.response.total_size, 0u);
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(FileBackendTest, MissingIsFatalFileNotFound) {
  Start(Request(dir_ + "/nope"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"done"}));
  EXPECT_EQ(sink_.outcome->status.code(), code::FromWin32(2));
  EXPECT_EQ(sink_.outcome->status.code(), static_cast<int32_t>(0x80070002));
  EXPECT_FALSE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->context, ErrorContext::kRemoteFile);
  EXPECT_EQ(sink_.outcome->protocol, "file");
}

TEST_F(FileBackendTest, DirectoryIsFatal) {
  Start(Request(dir_));
  RunToDone();
  EXPECT_FALSE(sink_.outcome->status.ok());
  EXPECT_FALSE(sink_.outcome->transient);
}

TEST_F(FileBackendTest, NonFileUrlFailsFromTheLoop) {
  core::ByteRequest r;
  r.url = "http://example.com/x";
  Start(r);
  EXPECT_TRUE(sink_.calls.empty());
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::kInvalidArg);
}

TEST_F(FileBackendTest, PauseAndResume) {
  sink_.on_data = [&] {
    if (sink_.data_calls == 1) transfer_->SetPaused(true);
    return true;
  };
  Start(Request(path_));
  ASSERT_NO_FATAL_FAILURE(ExpectOneChunkThenQuiet());
  transfer_->SetPaused(false);
  EXPECT_EQ(sink_.data_calls, 1);  // not from inside SetPaused
  RunToDone();
  EXPECT_TRUE(sink_.body == content_);
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(FileBackendTest, SinkAbort) {
  sink_.on_data = [] { return false; };
  Start(Request(path_));
  RunToDone();
  EXPECT_EQ(sink_.data_calls, 1);
  EXPECT_EQ(sink_.outcome->status.code(), code::kUnexpected);
}

TEST_F(FileBackendTest, DestroyMidFlight) {
  sink_.on_data = [&] {
    transfer_.reset();
    return true;
  };
  Start(Request(path_));
  ASSERT_NO_FATAL_FAILURE(ExpectOneChunkThenQuiet());
}

TEST_F(FileBackendTest, DestroyBeforeOpenCompletes) {
  Start(Request(path_));
  transfer_.reset();
  workers_.Drain();
  RunFor(loop_, 100ms);
  EXPECT_TRUE(sink_.calls.empty());
}

}  // namespace
}  // namespace ferry::transfer
