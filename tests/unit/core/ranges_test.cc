// semantics.md §6 at the sink level, with the scripted backend: resume with
// Range/If-Range, restart rules (200 to a ranged request, validator change,
// 416), Content-Range checks, AddFileWithRanges, and SHA-256 integrity.
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class ResumeRulesTest : public OpenEngineTest {
 protected:
  // After the events are pumped the job is TRANSFERRED with `body` staged.
  void ExpectTransferredWith(const Guid& id, const std::string& body) {
    Pump();
    EXPECT_EQ(State(id), S::kTransferred);
    EXPECT_EQ(payload_.Staged(id, 0), body);
  }
  // A job that received `got` bytes of `body` (ETag `etag`, size known unless
  // !announce_size) and then lost the connection; Resume()d, with the resume
  // request started. Returns the new transfer.
  std::shared_ptr<TransferHandle> Interrupted(const Guid& id, const std::string& body, size_t got,
                                              core::ByteResponse first) {
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    EXPECT_NE(t, nullptr);
    if (!t) return nullptr;
    t->Respond(first);
    t->Data(body.substr(0, got));
    t->Fail(code::kConnectionReset, true);
    Pump();
    EXPECT_EQ(State(id), S::kTransientError);
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    return TransferOf(id);
  }
};

TEST_F(ResumeRulesTest, ResumeCarriesOffsetAndStrongEtag) {
  std::string body = Body(100);
  Guid id = MakeJobWithFile("a0");
  ASSERT_TRUE(engine_->SetCustomHeaders(id, "X-One: 1\r\nX-Two: 2").ok());
  auto t = Interrupted(id, body, 40, Ok200(100, "\"strong\""));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 40u);
  EXPECT_FALSE(t->request.length.has_value());
  EXPECT_EQ(t->request.if_range, "\"strong\"");
  EXPECT_EQ(t->request.headers, (std::vector<std::string>{"X-One: 1", "X-Two: 2"}));
  ASSERT_TRUE(t->Respond(Partial206(40, 60, 100, "\"strong\"")));
  t->Data(body.substr(40));
  t->Done();
  ExpectTransferredWith(id, body);
  EXPECT_CODE(code::kOk, CompleteAndWait(id));
  EXPECT_EQ(payload_.delivered_files[Local("a0")], body);
}

TEST_F(ResumeRulesTest, WeakEtagFallsBackToLastModified) {
  std::string body = Body(100);
  Guid id = MakeJobWithFile("b0");
  auto first = Ok200(100, "W/\"weak\"");
  first.last_modified = "Thu, 01 Jan 2026 00:00:00 GMT";
  auto t = Interrupted(id, body, 30, first);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 30u);
  EXPECT_EQ(t->request.if_range, "Thu, 01 Jan 2026 00:00:00 GMT");
}

TEST_F(ResumeRulesTest, ServerIgnoringRangeRestartsFromZeroNeverSplices) {
  std::string v1 = Body(100, 'a'), v2 = Body(100, 'A');
  Guid id = MakeJobWithFile("c0");
  ASSERT_TRUE(engine_->SetNotifyFlags(id, notify::kDefault | notify::kJobModification).ok());
  auto t = Interrupted(id, v1, 40, Ok200(100));
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->request.offset, 40u);
  ASSERT_EQ(Snap(id).progress.bytes_transferred, 40u);
  RunFor(1s);
  consumer_.Clear();
  // 200 to the ranged request: the whole file follows.
  ASSERT_TRUE(t->Respond(Ok200(100)));
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 0u) << "progress drops";
  EXPECT_EQ(payload_.Staged(id, 0).value_or("?"), "") << "staging truncated";
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 0u)
      << "the store no longer claims bytes of the old version";
  Pump();
  EXPECT_GE(consumer_.Count(EventKind::kModification, id), 1u) << "JobModification fires";
  t->Data(v2);
  t->Done();
  ExpectTransferredWith(id, v2);
}

TEST_F(ResumeRulesTest, EtagChangeOn206RestartsFromZero) {
  std::string v1 = Body(100, 'a'), v2 = Body(100, 'A');
  Guid id = MakeJobWithFile("d0");
  auto t = Interrupted(id, v1, 40, Ok200(100, "\"v1\""));
  ASSERT_NE(t, nullptr);
  size_t starts = backend_.started.size();
  EXPECT_FALSE(t->Respond(Partial206(40, 60, 100, "\"v2\""))) << "the sink aborts";
  t->Done(Aborted());
  Pump();
  ASSERT_EQ(backend_.started.size(), starts + 1) << "a fresh request for the whole file";
  auto t2 = backend_.started.back();
  EXPECT_EQ(t2->request.offset, 0u);
  EXPECT_TRUE(t2->request.if_range.empty());
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 0u);
  EXPECT_NE(State(id), S::kTransientError);
  t2->Serve(v2, "\"v2\"");
  ExpectTransferredWith(id, v2);
}

TEST_F(ResumeRulesTest, EtagChangeOn200RestartsInTheSameResponse) {
  std::string v1 = Body(100, 'a'), v2 = Body(80, 'A');
  Guid id = MakeJobWithFile("d1");
  auto t = Interrupted(id, v1, 40, Ok200(100, "\"v1\""));
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->Respond(Ok200(80, "\"v2\"")));
  t->Data(v2);
  t->Done();
  ExpectTransferredWith(id, v2);
  EXPECT_EQ(Snap(id).job.files[0].etag, "\"v2\"");
  EXPECT_EQ(Snap(id).progress.bytes_total, 80u);
}

TEST_F(ResumeRulesTest, SizeChangeOn206RestartsFromZero) {
  Guid id = MakeJobWithFile("d2");
  auto t = Interrupted(id, Body(100), 40, Ok200(100, "\"v1\""));
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->Respond(Partial206(40, 160, 200, "\"v1\"")));
  t->Done(Aborted());
  Pump();
  EXPECT_EQ(backend_.started.back()->request.offset, 0u);
}

TEST_F(ResumeRulesTest, Status416AtFullSizeCompletes) {
  std::string body = Body(100);
  Guid id = MakeJobWithFile("e0");
  core::ByteResponse chunked;  // size unknown: 200 without Content-Length
  chunked.status = 200;
  chunked.etag = "\"v1\"";
  auto t = Interrupted(id, body, 100, chunked);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 100u);
  EXPECT_EQ(Snap(id).progress.bytes_total, kSizeUnknown) << "size unknown until learnt";
  core::ByteResponse r416;
  r416.status = 416;
  r416.total_size = 100;
  t->Respond(r416);
  t->Fail(code::HttpError(416), false);
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kTransferred);
  EXPECT_EQ(snap.progress.bytes_total, 100u);
  EXPECT_EQ(payload_.Staged(id, 0), body);
}

TEST_F(ResumeRulesTest, Status416BelowTheSizeRestarts) {
  Guid id = MakeJobWithFile("e1");
  core::ByteResponse chunked;
  chunked.status = 200;
  chunked.etag = "\"v1\"";
  auto t = Interrupted(id, Body(100), 100, chunked);
  ASSERT_NE(t, nullptr);
  core::ByteResponse r416;
  r416.status = 416;
  r416.total_size = 50;  // the file shrank
  EXPECT_FALSE(t->Respond(r416));
  t->Done(Aborted());
  Pump();
  EXPECT_EQ(backend_.started.back()->request.offset, 0u);
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 0u);
}

// docs/engine.md and docs/status-codes.md: a 206 naming another range than
// asked is fatal (DO_E_HTTP_BLOCKSIZE_MISMATCH is not a DO transient code),
// and none of its bytes are counted.
TEST_F(ResumeRulesTest, WrongContentRangeIsBlocksizeMismatch) {
  Guid id = MakeJobWithFile("f0");
  auto t = Interrupted(id, Body(100), 40, Ok200(100));
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->Respond(Partial206(30, 70, 100)));
  t->Done(Aborted());
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError)
      << (snap.job.error ? Status(snap.job.error->code, snap.job.error->message).ToString() : "");
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::kHttpBlocksizeMismatch, Status(snap.job.error->code, ""));
  EXPECT_EQ(snap.progress.bytes_transferred, 40u) << "the good bytes stay";
}

TEST_F(ResumeRulesTest, BytesBeyondTheAnnouncedSizeAreNotCounted) {
  Guid id = MakeJobWithFile("g0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(150));
  t->Done();
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 100u);
  EXPECT_EQ(payload_.Staged(id, 0), Body(150).substr(0, 100));
}

TEST_F(ResumeRulesTest, UnknownSizeIsLearntAtEof) {
  Guid id = MakeJobWithFile("g1");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  core::ByteResponse chunked;
  chunked.status = 200;
  t->Respond(chunked);
  EXPECT_EQ(Snap(id).progress.bytes_total, kSizeUnknown);
  t->Data(Body(77));
  t->Done();
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(Snap(id).progress.bytes_total, 77u);
}

// --- Ranges ------------------------------------------------------------------

class RangesTest : public OpenEngineTest {
 protected:
  Guid RangeJob(const std::string& name, std::vector<FileRange> ranges,
                uint64_t file_size = kSizeUnknown) {
    Guid id = NewJob(name);
    NewFile f = HttpFile(name);
    f.ranges = std::move(ranges);
    f.file_size = file_size;
    Status s = engine_->AddFiles(id, std::span(&f, 1));
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    return id;
  }
  // Serves the current request of `id` from `remote` as a correct 206.
  void ServeRange(const Guid& id, const std::string& remote) {
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr);
    uint64_t off = t->request.offset;
    uint64_t len = t->request.length.value_or(remote.size() - off);
    ASSERT_TRUE(t->Respond(Partial206(off, len, remote.size())));
    t->Data(remote.substr(off, len));
    t->Done();
    Pump();
  }
};

TEST_F(RangesTest, RequestsEachRangeAndStoresThemBackToBack) {
  std::string remote = Body(200, 'a');
  Guid id = RangeJob("r0", {{10, 20}, {50, 10}, {100, 5}});
  EXPECT_EQ(Snap(id).progress.bytes_total, 35u);
  std::vector<std::pair<uint64_t, uint64_t>> asked;
  for (int i = 0; i < 3; ++i) {
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr) << "request " << i;
    asked.emplace_back(t->request.offset, t->request.length.value_or(0));
    if (i > 0) {
      EXPECT_EQ(t->request.if_range, "\"v1\"") << "later ranges are guarded";
    }
    ServeRange(id, remote);
  }
  EXPECT_EQ(asked, (std::vector<std::pair<uint64_t, uint64_t>>{{10, 20}, {50, 10}, {100, 5}}));
  EXPECT_EQ(State(id), S::kTransferred);
  std::string want = remote.substr(10, 20) + remote.substr(50, 10) + remote.substr(100, 5);
  EXPECT_EQ(payload_.Staged(id, 0), want);
  EXPECT_CODE(code::kOk, CompleteAndWait(id));
  EXPECT_EQ(payload_.delivered_files[Local("r0")], want);
}

TEST_F(RangesTest, RangesKeepTheOrderGiven) {
  std::string remote = Body(200, 'a');
  Guid id = RangeJob("r1", {{100, 5}, {10, 20}});
  std::vector<uint64_t> offsets;
  for (int i = 0; i < 2; ++i) {
    offsets.push_back(TransferOf(id)->request.offset);
    ServeRange(id, remote);
  }
  EXPECT_EQ(offsets, (std::vector<uint64_t>{100, 10}));
  EXPECT_EQ(payload_.Staged(id, 0), remote.substr(100, 5) + remote.substr(10, 20));
}

TEST_F(RangesTest, ToEofRangeLearnsItsLength) {
  std::string remote = Body(200, 'a');
  Guid id = RangeJob("r2", {{10, 5}, {150, kLengthToEof}});
  EXPECT_EQ(Snap(id).progress.bytes_total, kSizeUnknown);
  ServeRange(id, remote);
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 150u);
  EXPECT_EQ(t->request.length, std::optional<uint64_t>(50)) << "size known from the first 206";
  ServeRange(id, remote);
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(Snap(id).progress.bytes_total, 55u);
  EXPECT_EQ(payload_.Staged(id, 0), remote.substr(10, 5) + remote.substr(150));
}

TEST_F(RangesTest, ResumeInsideASecondRange) {
  std::string remote = Body(200, 'a');
  Guid id = RangeJob("r3", {{10, 20}, {50, 10}});
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 5).ok());
  ServeRange(id, remote);
  auto t = TransferOf(id);
  t->Respond(Partial206(50, 10, 200));
  t->Data(remote.substr(50, 4));
  t->Fail(code::kConnectionReset, true);
  Pump();
  RunFor(5s);
  t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 54u);
  EXPECT_EQ(t->request.length, std::optional<uint64_t>(6));
  ServeRange(id, remote);
  EXPECT_EQ(payload_.Staged(id, 0), remote.substr(10, 20) + remote.substr(50, 10));
}

TEST_F(RangesTest, ServerIgnoringRangeIsInsufficientRangeSupport) {
  Guid id = RangeJob("r4", {{10, 20}});
  auto t = TransferOf(id);
  EXPECT_FALSE(t->Respond(Ok200(200)));
  t->Done(Aborted());
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::kInsufficientRangeSupport, Status(snap.job.error->code, ""));
}

TEST_F(RangesTest, RangeBeyondEndOfFileIsInvalidRange) {
  Guid id = RangeJob("r5", {{10, 20}, {150, 100}});
  auto t = TransferOf(id);
  EXPECT_FALSE(t->Respond(Partial206(10, 20, 200)));
  t->Done(Aborted());
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError);
  EXPECT_CODE(code::kInvalidRange, Status(snap.job.error->code, ""));
}

TEST_F(RangesTest, Status416ForARangeIsInvalidRange) {
  Guid id = RangeJob("r6", {{500, 20}});
  auto t = TransferOf(id);
  core::ByteResponse r;
  r.status = 416;
  r.total_size = 200;
  EXPECT_FALSE(t->Respond(r));
  t->Done(Aborted());
  Pump();
  EXPECT_EQ(State(id), S::kError);
  EXPECT_CODE(code::kInvalidRange, Status(Snap(id).job.error->code, ""));
}

TEST_F(RangesTest, WrongRangeAnswerIsBlocksizeMismatch) {
  Guid id = RangeJob("r7", {{10, 20}});
  auto t = TransferOf(id);
  EXPECT_FALSE(t->Respond(Partial206(10, 30, 200)));  // 30 bytes announced, 20 asked
  t->Done(Aborted());
  Pump();
  EXPECT_EQ(State(id), S::kError);
  EXPECT_CODE(code::kHttpBlocksizeMismatch, Status(Snap(id).job.error->code, ""));

  Guid id2 = RangeJob("r8", {{10, 20}});
  t = TransferOf(id2);
  EXPECT_FALSE(t->Respond(Partial206(0, 20, 200)));  // wrong start
  t->Done(Aborted());
  Pump();
  EXPECT_EQ(State(id2), S::kError);
  EXPECT_CODE(code::kHttpBlocksizeMismatch, Status(Snap(id2).job.error->code, ""));
}

TEST_F(RangesTest, ShortRangeBodyIsTransient) {
  Guid id = RangeJob("r9", {{10, 20}});
  auto t = TransferOf(id);
  t->Respond(Partial206(10, 20, 200));
  t->Data(Body(200).substr(10, 15));
  t->Done();
  Pump();
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_CODE(code::kConnectionReset, Status(Snap(id).job.error->code, ""));
}

// --- Integrity -----------------------------------------------------------------

class IntegrityTest : public OpenEngineTest {
 protected:
  Guid HashedJob(const std::string& name, const std::string& expected_content) {
    Guid id = NewJob(name);
    NewFile f = HttpFile(name);
    f.sha256 = FakeDigestHex(expected_content);
    for (char& c : f.sha256) c = static_cast<char>(toupper(c));  // stored lowercase
    EXPECT_TRUE(engine_->AddFiles(id, std::span(&f, 1)).ok());
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    return id;
  }
};

TEST_F(IntegrityTest, MatchingHashCompletes) {
  std::string body = Body(300);
  Guid id = HashedJob("h0", body);
  EXPECT_EQ(Snap(id).job.files[0].sha256, FakeDigestHex(body));
  TransferOf(id)->Serve(body);
  ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(backend_.started.size(), 1u);
}

TEST_F(IntegrityTest, MatchingHashAcrossAResume) {
  std::string body = Body(300);
  Guid id = HashedJob("h1", body);
  auto t = TransferOf(id);
  t->Respond(Ok200(300));
  t->Data(body.substr(0, 120));
  t->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  t = TransferOf(id);
  ASSERT_EQ(t->request.offset, 120u);
  t->Respond(Partial206(120, 180, 300));
  t->Data(body.substr(120));
  t->Done();
  ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
  EXPECT_EQ(State(id), S::kTransferred) << "the bytes staged before the resume are hashed too";
}

TEST_F(IntegrityTest, MismatchRefetchesOnceThenValidationFailed) {
  std::string good = Body(200, 'a'), bad = Body(200, 'b');
  Guid id = HashedJob("h2", good);
  TransferOf(id)->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return backend_.started.size() == 2; }));
  auto t2 = backend_.started.back();
  EXPECT_EQ(t2->request.offset, 0u) << "the bad data is discarded";
  EXPECT_TRUE(t2->request.if_range.empty());
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 0u);
  t2->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kError; }));
  auto snap = Snap(id);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::kValidationFailed, Status(snap.job.error->code, ""));
  EXPECT_EQ(backend_.started.size(), 2u) << "only one refetch";
  EXPECT_FALSE(snap.job.files[0].transferred);
  EXPECT_EQ(payload_.Staged(id, 0).value_or(""), "") << "bad bytes never kept";
}

TEST_F(IntegrityTest, MismatchThenGoodRefetchCompletes) {
  std::string good = Body(200, 'a'), bad = Body(200, 'b');
  Guid id = HashedJob("h3", good);
  TransferOf(id)->Serve(bad);
  ASSERT_TRUE(PumpUntil([&] { return backend_.started.size() == 2; }));
  backend_.started.back()->Serve(good);
  ASSERT_TRUE(PumpUntil([&] { return State(id) == S::kTransferred; }));
  EXPECT_EQ(payload_.Staged(id, 0), good);
}

TEST_F(IntegrityTest, SetFileIntegrityOnlyBeforeTheFileStarts) {
  Guid id = MakeJobWithFile("h4");
  std::string hex = FakeDigestHex("x");
  EXPECT_TRUE(engine_->SetFileIntegrity(id, 0, hex).ok());
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileIntegrity(id, 0, "abc"));
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileIntegrity(id, 7, hex));
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Respond(Ok200(10));
  TransferOf(id)->Data("0123");
  EXPECT_CODE(code::kInvalidState, engine_->SetFileIntegrity(id, 0, hex));
}

}  // namespace
}  // namespace ferry::test
