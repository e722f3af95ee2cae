// Content ids on files (docs/content-id.md), in the engine on the fake
// clock: the rules of SetFileContentId and AddFiles, verification at the
// end (beside the SHA-256, across a resume), a wrong root taking the SHA-256
// mismatch path (one refetch, then BG_E_VALIDATION_FAILED, nothing kept),
// and an origin that announces another size failing at once.
#include "util/content_id.h"

#include <gtest/gtest.h>

#include "lib/crypto/pieces_root.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

using S = JobState;

std::string IdOf(std::string_view body) {
  return FormatContentId(
      {body.size(), crypto::PiecesRootHex(std::as_bytes(std::span(body.data(), body.size())))});
}

class ContentIdTest : public EngineTest {
 protected:
  void SetUp() override { Open(); }
  // A started job of one HTTP file with `content_id` (and `sha256`).
  Guid IdJob(const std::string& name, const std::string& content_id, std::string sha256 = "") {
    Guid id = NewJob(name);
    NewFile f = HttpFile(name);
    f.content_id = content_id;
    f.sha256 = std::move(sha256);
    EXPECT_TRUE(engine_->AddFiles(id, std::span(&f, 1)).ok());
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    return id;
  }
  void ExpectFailedWithNothingKept(const Guid& id) {
    auto snap = Snap(id);
    EXPECT_EQ(snap.job.state, S::kError);
    ASSERT_TRUE(snap.job.error.has_value());
    EXPECT_CODE(code::kValidationFailed, Status(snap.job.error->code, ""));
    EXPECT_FALSE(snap.job.files[0].transferred);
    EXPECT_EQ(payload_.Staged(id, 0).value_or(""), "") << "bad bytes are never kept";
  }
};

TEST_F(ContentIdTest, RightIdCompletesForEverySize) {
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{16383}, size_t{16384}, size_t{16385}, size_t{5 * 16384 + 3}}) {
    SCOPED_TRACE(size);
    std::string body = Body(size);
    Guid id = IdJob("ok" + std::to_string(size), IdOf(body));
    EXPECT_EQ(Snap(id).job.files[0].content_id, IdOf(body));
    TransferOf(id)->Serve(body);
    ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
    EXPECT_EQ(State(id), S::kTransferred);
  }
}

TEST_F(ContentIdTest, RightIdAndSha256Complete) {
  std::string body = Body(20000);
  Guid id = IdJob("both", IdOf(body), FakeDigestHex(body));
  TransferOf(id)->Serve(body);
  ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
  EXPECT_EQ(State(id), S::kTransferred);
}

TEST_F(ContentIdTest, RightIdAcrossAResume) {
  std::string body = Body(40000);
  Guid id = IdJob("resume", IdOf(body));
  auto t = TransferOf(id);
  t->Respond(Ok200(body.size()));
  t->Data(body.substr(0, 17000));
  t->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  t = TransferOf(id);
  ASSERT_EQ(t->request.offset, 17000u);
  t->Respond(Partial206(17000, body.size() - 17000, body.size()));
  t->Data(body.substr(17000));
  t->Done();
  ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
  EXPECT_EQ(State(id), S::kTransferred) << "the staged bytes are read back into the root";
}

// A crash after a checkpoint: the reopened engine resumes from staging and
// reads the staged prefix back into the root (same for a wrong prefix: the
// bytes staged before the crash are part of what is verified).
TEST_F(ContentIdTest, IdVerifiesAcrossACrash) {
  cfg_.checkpoint_bytes = 1024;
  Reopen();
  for (bool corrupt : {false, true}) {
    SCOPED_TRACE(corrupt);
    std::string body = Body(40000);
    Guid id = IdJob(corrupt ? "crash-bad" : "crash", IdOf(body));
    auto t = TransferOf(id);
    t->Respond(Ok200(body.size()));
    t->Data(body.substr(0, 20000));
    Pump();
    Crash();
    std::string staged = body.substr(0, 20000);
    if (corrupt) staged[100] ^= 1;  // what a torn page would leave
    payload_.SetStaged(id, 0, staged);
    Open();
    t = TransferOf(id);
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->request.offset, 20000u);
    t->Respond(Partial206(20000, body.size() - 20000, body.size()));
    t->Data(body.substr(20000));
    t->Done();
    if (!corrupt) {
      ASSERT_TRUE(
          PumpUntil([&] { return State(id) != S::kConnecting && State(id) != S::kTransferring; }));
      EXPECT_EQ(State(id), S::kTransferred);
      continue;
    }
    ASSERT_TRUE(PumpUntil([&] {
      return backend_.started.size() >= 1 && TransferOf(id) && TransferOf(id)->request.offset == 0;
    }));
    TransferOf(id)->Serve(body);
    ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kTransferred; }))
        << "the corrupt prefix failed the id; the refetch from 0 is right";
    EXPECT_EQ(payload_.Staged(id, 0), body);
  }
}

TEST_F(ContentIdTest, WrongRootRefetchesOnceThenValidationFailed) {
  std::string good = Body(20000, 'a'), bad = Body(20000, 'b');
  Guid id = IdJob("bad", IdOf(good));
  TransferOf(id)->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return backend_.started.size() == 2; }));
  auto t2 = backend_.started.back();
  EXPECT_EQ(t2->request.offset, 0u) << "the bad bytes are discarded";
  EXPECT_TRUE(t2->request.if_range.empty());
  t2->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kError; }));
  EXPECT_EQ(backend_.started.size(), 2u) << "only one refetch";
  ExpectFailedWithNothingKept(id);
  EXPECT_NE(Snap(id).job.error->message.find("content id"), std::string::npos)
      << Snap(id).job.error->message;
}

TEST_F(ContentIdTest, WrongRootThenRightRefetchCompletes) {
  std::string good = Body(300, 'a'), bad = Body(300, 'b');
  Guid id = IdJob("bad-then-good", IdOf(good));
  TransferOf(id)->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return backend_.started.size() == 2; }));
  backend_.started.back()->Serve(good);
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kTransferred; }));
  EXPECT_EQ(payload_.Staged(id, 0), good);
}

TEST_F(ContentIdTest, OriginAnnouncingAnotherSizeFailsAtOnce) {
  std::string body = Body(300);
  Guid id = IdJob("size", IdOf(body));
  auto t = TransferOf(id);
  EXPECT_FALSE(t->Respond(Ok200(301))) << "refused before any byte";
  t->Done(Aborted());
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kError; }, 1s));
  EXPECT_EQ(backend_.started.size(), 1u) << "no refetch: the origin's file is another one";
  ExpectFailedWithNothingKept(id);
  std::string msg = Snap(id).job.error->message;
  EXPECT_NE(msg.find("301 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("names 300"), std::string::npos) << msg;
}

TEST_F(ContentIdTest, UnannouncedSizeIsCheckedAtTheEnd) {
  std::string good = Body(300), longer = Body(310);
  Guid id = IdJob("chunked", IdOf(good));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(PumpUntil([&] { return backend_.started.size() == size_t(i + 1); }));
    auto t = backend_.started.back();
    t->Respond(Ok200(kSizeUnknown));
    t->Data(longer);
    t->Done();
  }
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kError; }));
  ExpectFailedWithNothingKept(id);
}

TEST_F(ContentIdTest, SetFileContentIdRules) {
  std::string body = Body(10);
  Guid id = MakeJobWithFile("rules");
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileContentId(id, 0, "cid1-nonsense"));
  std::string wrong_check = IdOf(body);
  wrong_check.back() = wrong_check.back() == '0' ? '1' : '0';
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileContentId(id, 0, wrong_check));
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileContentId(id, 7, IdOf(body)));
  EXPECT_EQ(Snap(id).job.files[0].content_id, "") << "a refused id changes nothing";
  EXPECT_TRUE(engine_->SetFileContentId(id, 0, IdOf(body)).ok());
  EXPECT_EQ(Snap(id).job.files[0].content_id, IdOf(body));
  EXPECT_TRUE(engine_->SetFileContentId(id, 0, "").ok()) << "empty removes it";
  EXPECT_EQ(Snap(id).job.files[0].content_id, "");
  EXPECT_TRUE(engine_->SetFileContentId(id, 0, IdOf(body)).ok());
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Respond(Ok200(10));
  TransferOf(id)->Data("0123");
  EXPECT_CODE(code::kInvalidState, engine_->SetFileContentId(id, 0, IdOf(body)));
}

TEST_F(ContentIdTest, WholeFilesOfTheGivenSizeOnlyAndNoTorrents) {
  std::string body = Body(10);
  Guid id = NewJob("add");
  NewFile ranged = HttpFile("ranged");
  ranged.ranges = {FileRange{0, 5}};
  ranged.file_size = 10;
  ranged.content_id = IdOf(body);
  EXPECT_CODE(code::kInvalidArg, engine_->AddFiles(id, std::span(&ranged, 1)));
  NewFile sized = HttpFile("sized");
  sized.file_size = 11;
  sized.content_id = IdOf(body);
  EXPECT_CODE(code::kInvalidArg, engine_->AddFiles(id, std::span(&sized, 1)));
  NewFile torrent = HttpFile("t");
  torrent.remote_url = "http://origin.test/a.torrent";
  torrent.content_id = IdOf(body);
  EXPECT_CODE(code::kInvalidArg, engine_->AddFiles(id, std::span(&torrent, 1)));
  EXPECT_TRUE(Snap(id).job.files.empty()) << "a refused AddFiles adds nothing";

  // Set later: the same rules against what the file already has.
  ranged.content_id.clear();
  ASSERT_TRUE(engine_->AddFiles(id, std::span(&ranged, 1)).ok());
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileContentId(id, 0, IdOf(body)));
  sized.content_id.clear();
  ASSERT_TRUE(engine_->AddFiles(id, std::span(&sized, 1)).ok());
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileContentId(id, 1, IdOf(body)));
  sized.file_size = 10;
  sized.local_name = Local("sized10");
  sized.content_id = IdOf(body);
  ASSERT_TRUE(engine_->AddFiles(id, std::span(&sized, 1)).ok());
  EXPECT_CODE(code::kInvalidArg,
              engine_->SetFileRemoteName(id, 2, "http://origin.test/now-a.torrent"))
      << "a file with a content id does not become a torrent";
}

TEST_F(ContentIdTest, IdIsKeptAcrossARestart) {
  std::string body = Body(50);
  Guid id = IdJob("kept", IdOf(body));
  Reopen();
  EXPECT_EQ(Snap(id).job.files[0].content_id, IdOf(body));
}

}  // namespace
}  // namespace ferry::test
