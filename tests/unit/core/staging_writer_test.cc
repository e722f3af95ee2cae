// core::StagingWriter on its own: the write buffer and the direct path,
// hashing in order (resumed prefix included; SHA-256 and a content id's
// pieces root side by side), checkpoints and their guards, restart, and a
// failed write.
#include "core/staging_writer.h"

#include <gtest/gtest.h>

#include "lib/crypto/pieces_root.h"
#include "store/digest.h"
#include "unit/core/fakes.h"

namespace ferry::test {
namespace {

using core::StagingWriter;

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

class StagingWriterTest : public testing::Test {
 protected:
  StagingWriterTest() {
    cfg_.write_buffer_bytes = 64 * 1024;
    cfg_.checkpoint_bytes = 100 * 1024;
    cfg_.checkpoint_interval = std::chrono::hours(1);
    job_.bytes[0] = 7;
  }

  std::unique_ptr<StagingWriter> Make() {
    return std::make_unique<StagingWriter>(
        StagingWriter::Deps{&payload_, &loop_, &workers_, &hasher_, FakeDigestFactory(),
                            store::MakePiecesRootDigestFactory()},
        cfg_, job_, 0);
  }
  std::string Staged() { return payload_.Staged(job_, 0).value_or("<none>"); }
  void RunAll() {
    while (workers_.RunAll() + hasher_.RunAll() + loop_.RunAll() > 0) {
    }
  }

  core::EngineConfig cfg_;
  Guid job_;
  FakePayloadStore payload_;
  ManualExecutor loop_, workers_, hasher_;
  sys::WallTime t0_{};
};

TEST_F(StagingWriterTest, SmallChunksWaitInTheBufferUntilItFills) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  std::string chunk(1000, 'a');
  ASSERT_TRUE(w->Append(Bytes(chunk), true).ok());
  EXPECT_EQ(w->written(), 1000u);
  EXPECT_EQ(w->flushed(), 0u);
  EXPECT_EQ(Staged(), "");
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(w->flushed(), 1000u);
  EXPECT_EQ(Staged(), chunk);
  std::string big(70 * 1024, 'b');  // fills the buffer: written in one go
  ASSERT_TRUE(w->Append(Bytes(std::string(10, 'c')), true).ok());
  ASSERT_TRUE(w->Append(Bytes(big), true).ok());
  EXPECT_EQ(w->flushed(), 1000u + 64 * 1024);
  EXPECT_EQ(w->written(), 1010u + big.size());
}

TEST_F(StagingWriterTest, LargeChunkGoesDirectOnlyWhenAllowed) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  std::string big(64 * 1024, 'x');
  ASSERT_TRUE(w->Append(Bytes(big), false).ok());
  EXPECT_EQ(w->flushed(), big.size()) << "a full buffer is written";
  std::string half(32 * 1024, 'y');
  ASSERT_TRUE(w->Append(Bytes(half), false).ok());
  EXPECT_EQ(w->flushed(), big.size()) << "not direct: buffered";
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_TRUE(w->Append(Bytes(big), true).ok());
  EXPECT_EQ(w->flushed(), 2 * big.size() + half.size()) << "direct";
  EXPECT_EQ(Staged(), big + half + big);
}

TEST_F(StagingWriterTest, BeforeWriteRunsBeforeBufferedBytesAreWritten) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  int calls = 0;
  w->SetBeforeWrite([&] {
    ++calls;
    EXPECT_EQ(Staged(), "") << "called before the write";
  });
  ASSERT_TRUE(w->Append(Bytes("abc"), true).ok());
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(calls, 1) << "nothing buffered, nothing to guard";
}

TEST_F(StagingWriterTest, HashCoversResumedPrefixAndNewBytesInOrder) {
  payload_.SetStaged(job_, 0, "hello ");
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 6, {.sha256 = true}, t0_).ok());
  ASSERT_TRUE(w->hashing());
  std::string big(64 * 1024, 'z');
  ASSERT_TRUE(w->Append(Bytes("world "), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_TRUE(w->Append(Bytes(big), true).ok());  // direct: hashed from staging
  ASSERT_TRUE(w->Flush().ok());
  std::string hex;
  w->FinishHash([&](StagingWriter::Hashes h) { hex = std::move(h.sha256); });
  RunAll();
  EXPECT_EQ(hex, FakeDigestHex("hello world " + big));
}

// The pieces root rides beside the SHA-256 over the same bytes: a resumed
// prefix read back from staging, buffered chunks and direct ones.
TEST_F(StagingWriterTest, PiecesRootCoversResumedPrefixBesideTheSha256) {
  std::string prefix(20000, 'p');  // more than one 16 KiB block
  payload_.SetStaged(job_, 0, prefix);
  auto w = Make();
  ASSERT_TRUE(
      w->Open(kSizeUnknown, prefix.size(), {.sha256 = true, .pieces_root = true}, t0_).ok());
  std::string small(100, 's'), big(64 * 1024 + 1, 'b');
  ASSERT_TRUE(w->Append(Bytes(small), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_TRUE(w->Append(Bytes(big), true).ok());  // direct
  ASSERT_TRUE(w->Flush().ok());
  StagingWriter::Hashes got;
  w->FinishHash([&](StagingWriter::Hashes h) { got = std::move(h); });
  RunAll();
  std::string all = prefix + small + big;
  EXPECT_EQ(got.sha256, FakeDigestHex(all));
  EXPECT_EQ(got.pieces_root, crypto::PiecesRootHex(Bytes(all)));
}

TEST_F(StagingWriterTest, OnlyTheAskedDigestsRun) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {.pieces_root = true}, t0_).ok());
  EXPECT_TRUE(w->hashing());
  ASSERT_TRUE(w->Append(Bytes("abc"), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  StagingWriter::Hashes got{"x", "x"};
  w->FinishHash([&](StagingWriter::Hashes h) { got = std::move(h); });
  RunAll();
  EXPECT_EQ(got.sha256, "");
  EXPECT_EQ(got.pieces_root, crypto::PiecesRootHex(Bytes("abc")));

  auto none = Make();
  ASSERT_TRUE(none->Open(kSizeUnknown, 0, {}, t0_).ok());
  EXPECT_FALSE(none->hashing());
  got = {"x", "x"};
  none->FinishHash([&](StagingWriter::Hashes h) { got = std::move(h); });
  RunAll();
  EXPECT_EQ(got.sha256, "");
  EXPECT_EQ(got.pieces_root, "") << "no digest ran: nothing to compare, never a root";
}

TEST_F(StagingWriterTest, RestartStartsThePiecesRootOver) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {.pieces_root = true}, t0_).ok());
  ASSERT_TRUE(w->Append(Bytes("old version"), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  w->Restart();
  ASSERT_TRUE(w->Append(Bytes("new"), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  std::string root;
  w->FinishHash([&](StagingWriter::Hashes h) { root = std::move(h.pieces_root); });
  RunAll();
  EXPECT_EQ(root, crypto::PiecesRootHex(Bytes("new")));
}

TEST_F(StagingWriterTest, CheckpointRecordsSyncedBytesEvenAfterTheWriterIsGone) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  std::string chunk(100 * 1024, 'q');
  ASSERT_TRUE(w->Append(Bytes(chunk), true).ok());
  ASSERT_TRUE(w->CheckpointDue(t0_));
  std::vector<uint64_t> recorded;
  int failures = 0;
  w->Checkpoint(
      t0_, [&](uint64_t b) { recorded.push_back(b); }, [&](Status) { ++failures; });
  EXPECT_FALSE(w->CheckpointDue(t0_ + std::chrono::hours(2))) << "one at a time";
  w.reset();
  RunAll();
  EXPECT_EQ(recorded, std::vector<uint64_t>{chunk.size()});
  EXPECT_EQ(failures, 0);
}

TEST_F(StagingWriterTest, FailedSyncReportsOnlyWhileTheWriterLives) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  ASSERT_TRUE(w->Append(Bytes("abc"), true).ok());
  EXPECT_FALSE(w->CheckpointDue(t0_)) << "neither enough bytes nor time";
  ASSERT_TRUE(w->CheckpointDue(t0_ + std::chrono::hours(1)));
  payload_.fail_next_syncs = 2;
  std::vector<uint64_t> recorded;
  int failures = 0;
  w->Checkpoint(
      t0_, [&](uint64_t b) { recorded.push_back(b); }, [&](Status) { ++failures; });
  RunAll();
  EXPECT_TRUE(recorded.empty());
  EXPECT_EQ(failures, 1);
  ASSERT_TRUE(w->Append(Bytes("d"), true).ok());
  w->Checkpoint(
      t0_, [&](uint64_t b) { recorded.push_back(b); }, [&](Status) { ++failures; });
  w.reset();
  RunAll();
  EXPECT_EQ(failures, 1) << "the writer is gone";
}

TEST_F(StagingWriterTest, RestartForgetsEverything) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {.sha256 = true}, t0_).ok());
  ASSERT_TRUE(w->Append(Bytes("old version"), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_TRUE(w->Append(Bytes(" more"), true).ok());
  w->Restart();
  EXPECT_EQ(w->written(), 0u);
  EXPECT_EQ(w->flushed(), 0u);
  EXPECT_EQ(Staged(), "");
  ASSERT_TRUE(w->Append(Bytes("new"), true).ok());
  ASSERT_TRUE(w->Flush().ok());
  std::string hex;
  w->FinishHash([&](StagingWriter::Hashes h) { hex = std::move(h.sha256); });
  RunAll();
  EXPECT_EQ(Staged(), "new");
  EXPECT_EQ(hex, FakeDigestHex("new"));
}

TEST_F(StagingWriterTest, FailedWriteCountsNothing) {
  auto w = Make();
  ASSERT_TRUE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  payload_.fail_next_writes = 1;
  std::string big(64 * 1024, 'x');
  EXPECT_FALSE(w->Append(Bytes(big), true).ok());
  EXPECT_EQ(w->written(), 0u);
  EXPECT_EQ(w->flushed(), 0u);
  ASSERT_TRUE(w->Append(Bytes(big), true).ok());
  EXPECT_EQ(w->flushed(), big.size());
}

TEST_F(StagingWriterTest, OpenFailureIsReported) {
  payload_.fail_next_opens = 1;
  auto w = Make();
  EXPECT_FALSE(w->Open(kSizeUnknown, 0, {}, t0_).ok());
  EXPECT_FALSE(w->is_open());
}

}  // namespace
}  // namespace ferry::test
