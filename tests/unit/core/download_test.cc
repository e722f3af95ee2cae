// core::Downloads (do-download.md §1-2) on the engine fixture's fake clock:
// the state x call table walked cell by cell, the status mapping by rows,
// the property rules, NonVolatile across a restart and the auth retry.
#include "core/download.h"

#include <tuple>

#include "core/download_properties.h"
#include "lib/crypto/pieces_root.h"
#include "unit/core/engine_fixture.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

using core::DownloadRecord;
using core::Downloads;
using core::DownloadValue;
using D = DownloadState;
using P = DownloadProperty;

class FakeDownloadStore : public core::DownloadStore {
 public:
  Status LoadDownloads(std::vector<DownloadRecord>* out) override {
    out->clear();
    for (auto& [id, r] : rows) out->push_back(r);
    return Status::OK();
  }
  Status PutDownload(const DownloadRecord& r) override {
    if (fail_puts) return Status(code::kUnexpected, "injected");
    rows[r.id] = r;
    return Status::OK();
  }
  Status RemoveDownload(const Guid& id) override {
    rows.erase(id);
    return Status::OK();
  }
  std::map<Guid, DownloadRecord> rows;
  bool fail_puts = false;
};

Result<std::string> ParseInfo(std::string_view json) {
  // The unit test's stand-in for the daemon's JSON parser: one fixed form.
  constexpr std::string_view kPrefix = R"({"Sha256":")";
  if (json.substr(0, kPrefix.size()) != kPrefix || json.size() != kPrefix.size() + 66)
    return Status(code::kInvalidArg, "bad IntegrityCheckInfo");
  return std::string(json.substr(kPrefix.size(), 64));
}

class DownloadTest : public EngineTest {
 protected:
  void SetUp() override {
    Open();
    OpenDownloads();
  }
  void TearDown() override { downloads_.reset(); }
  void OpenDownloads() {
    core::DownloadDeps deps;
    deps.engine = engine_.get();
    deps.store = &dstore_;
    deps.parse_integrity = ParseInfo;
    deps.stream_dir = dir_.Path("");
    auto d = Downloads::Open(deps);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    downloads_ = std::move(d.value());
  }
  void Restart() {
    downloads_.reset();
    Reopen();
    OpenDownloads();
  }

  Guid NewDownload(const std::string& name = "d0") {
    Guid id;
    EXPECT_TRUE(downloads_->Create(user_, &id).ok());
    EXPECT_TRUE(downloads_->SetProperty(id, 1, std::string(Url(name))).ok());
    EXPECT_TRUE(downloads_->SetProperty(id, 4, std::string(Local(name))).ok());
    return id;
  }
  D StateOf(const Guid& id) { return downloads_->GetStatus(id)->state; }
  Status FinalizeAndWait(const Guid& id) {
    std::optional<Status> r;
    downloads_->Finalize(id, [&](Status s) { r = s; });
    Pump();
    return r.value_or(Status(code::kUnexpected, "Finalize never answered"));
  }
  // A fresh download driven into `state`.
  Guid MakeIn(D state) {
    Guid id = NewDownload("d" + std::to_string(next_++));
    if (state == D::kCreated) return id;
    if (state == D::kAborted) {
      EXPECT_TRUE(downloads_->Abort(id).ok());
      return id;
    }
    EXPECT_TRUE(downloads_->Start(id, {}).ok());
    Pump();
    auto t = TransferOf(id);
    EXPECT_NE(t, nullptr);
    if (!t) return id;
    if (state == D::kTransferring || state == D::kPaused) {
      t->Respond(Ok200(100));
      t->Data(Body(100).substr(0, 10));
      Pump();
      if (state == D::kPaused) {
        EXPECT_TRUE(downloads_->Pause(id).ok());
      }
      Pump();
      return id;
    }
    DriveToTransferred(id);
    if (state == D::kFinalized) {
      EXPECT_TRUE(FinalizeAndWait(id).ok());
    }
    return id;
  }

  FakeDownloadStore dstore_;
  std::unique_ptr<Downloads> downloads_;
  int next_ = 0;
};

// --- The state x call table (do-download.md §1) ------------------------------

enum class Call { kStart, kPause, kFinalize, kAbort };

struct Cell {
  int32_t code;
  D after;
};

Cell Expected(D s, Call c) {
  bool ended = s == D::kFinalized || s == D::kAborted;
  switch (c) {
    case Call::kStart:
      if (ended) return {code::kInvalidState, s};
      if (s == D::kCreated || s == D::kPaused) return {code::kOk, D::kTransferring};
      return {code::kOk, s};
    case Call::kPause:
      if (ended) return {code::kInvalidState, s};
      return {code::kOk, s == D::kTransferring ? D::kPaused : s};
    case Call::kFinalize:
      if (s == D::kTransferred || s == D::kFinalized) return {code::kOk, D::kFinalized};
      return {code::kInvalidState, s};
    case Call::kAbort:
      if (s == D::kFinalized) return {code::kInvalidState, s};
      return {code::kOk, D::kAborted};
  }
  return {code::kUnexpected, s};
}

std::string CellName(const ::testing::TestParamInfo<std::tuple<D, Call>>& info) {
  const char* calls[] = {"Start", "Pause", "Finalize", "Abort"};
  return std::string(DownloadStateName(std::get<0>(info.param))) + "_" +
         calls[static_cast<int>(std::get<1>(info.param))];
}

class DownloadTableTest : public DownloadTest,
                          public ::testing::WithParamInterface<std::tuple<D, Call>> {};

TEST_P(DownloadTableTest, CallInState) {
  auto [state, call] = GetParam();
  Guid id = MakeIn(state);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(DownloadStateName(StateOf(id)), DownloadStateName(state));
  Status s;
  switch (call) {
    case Call::kStart:
      s = downloads_->Start(id, {});
      break;
    case Call::kPause:
      s = downloads_->Pause(id);
      break;
    case Call::kFinalize:
      s = FinalizeAndWait(id);
      break;
    case Call::kAbort:
      s = downloads_->Abort(id);
      break;
  }
  Pump();
  Cell want = Expected(state, call);
  EXPECT_CODE(want.code, s);
  EXPECT_EQ(DownloadStateName(StateOf(id)), DownloadStateName(want.after));
  bool file_there = payload_.delivered_files.count(Local("d0")) > 0;
  EXPECT_EQ(file_there, want.after == D::kFinalized) << "the file appears only at Finalize";
}

INSTANTIATE_TEST_SUITE_P(All, DownloadTableTest,
                         ::testing::Combine(::testing::Values(D::kCreated, D::kTransferring,
                                                              D::kTransferred, D::kFinalized,
                                                              D::kAborted, D::kPaused),
                                            ::testing::Values(Call::kStart, Call::kPause,
                                                              Call::kFinalize, Call::kAbort)),
                         CellName);

// --- Status mapping ------------------------------------------------------------

TEST(DownloadStatusOfTest, JobStatesMapToDoStates) {
  struct Row {
    bool started;
    JobState job;
    int32_t error;
    D state;
    int32_t want_error, want_extended;
  };
  const Row rows[] = {
      {false, JobState::kSuspended, 0, D::kCreated, 0, 0},
      {true, JobState::kQueued, 0, D::kTransferring, 0, 0},
      {true, JobState::kConnecting, 0, D::kTransferring, 0, 0},
      {true, JobState::kTransferring, 0, D::kTransferring, 0, 0},
      {true, JobState::kSuspended, 0, D::kPaused, 0, 0},
      {true, JobState::kTransientError, code::HttpError(503), D::kPaused, 0, code::HttpError(503)},
      {true, JobState::kError, code::kDownloadNoProgress, D::kPaused, code::kDownloadNoProgress, 0},
      {true, JobState::kTransferred, 0, D::kTransferred, 0, 0},
      {true, JobState::kAcknowledged, 0, D::kFinalized, 0, 0},
      {true, JobState::kCancelled, 0, D::kAborted, 0, 0},
  };
  for (const Row& r : rows) {
    core::JobSnapshot snap;
    snap.job.state = r.job;
    if (r.error) {
      snap.job.error = core::ErrorRecord{};
      snap.job.error->code = r.error;
    }
    DownloadStatus st = core::DownloadStatusOf(r.started, &snap);
    SCOPED_TRACE(std::string(JobStateName(r.job)));
    EXPECT_EQ(st.state, r.state);
    EXPECT_EQ(st.error, r.want_error);
    EXPECT_EQ(st.extended_error, r.want_extended);
  }
  EXPECT_EQ(core::DownloadStatusOf(true, nullptr).state, D::kAborted);
}

// --- Start's own codes -------------------------------------------------------

TEST_F(DownloadTest, StartNeedsUriThenSink) {
  Guid id;
  ASSERT_TRUE(downloads_->Create(user_, &id).ok());
  EXPECT_CODE(code::kDownloadNoUri, downloads_->Start(id, {}));
  ASSERT_TRUE(downloads_->SetProperty(id, 1, std::string(Url("x"))).ok());
  EXPECT_CODE(code::kDownloadSinkUnspecified, downloads_->Start(id, {}));
  EXPECT_EQ(StateOf(id), D::kCreated);
  EXPECT_TRUE(Snap(id).job.files.empty());
}

TEST_F(DownloadTest, UnknownDownloadIsNotFound) {
  Guid other = Guid::Random();
  EXPECT_CODE(code::kJobNotFound, downloads_->Start(other, {}));
  EXPECT_CODE(code::kJobNotFound, downloads_->GetStatus(other).status());
}

// --- Properties --------------------------------------------------------------

TEST_F(DownloadTest, PropertyCodes) {
  Guid id;
  ASSERT_TRUE(downloads_->Create(user_, &id).ok());
  DownloadValue v;
  EXPECT_CODE(code::kUnknownPropertyId, downloads_->GetProperty(id, 26, &v));
  EXPECT_CODE(code::kUnknownPropertyId, downloads_->SetProperty(id, 99, true));
  EXPECT_CODE(code::kReadOnlyProperty, downloads_->SetProperty(id, 0, std::string("{x}")));
  EXPECT_CODE(code::kWriteOnlyProperty, downloads_->GetProperty(id, 7, &v));
  EXPECT_CODE(code::kNotSet, downloads_->GetProperty(id, 1, &v));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 1, uint32_t{5}));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 1, std::string()));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 10, uint32_t{59}));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 21, uint32_t{5}));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 4, std::string("relative/path")));
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 19, std::string("{}")));
  EXPECT_CODE(code::kNotImpl, downloads_->SetProperty(id, 18, std::string("key")));
  EXPECT_CODE(code::kNotSet, downloads_->GetProperty(id, 10, &v));
  ASSERT_TRUE(downloads_->GetProperty(id, 0, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), id.ToString());
  ASSERT_TRUE(downloads_->GetProperty(id, 9, &v).ok());
  EXPECT_EQ(std::get<uint32_t>(v), 1u) << "CallbackFreqSeconds defaults to 1";
  ASSERT_TRUE(downloads_->SetProperty(id, 10, uint32_t{60}).ok());
  ASSERT_TRUE(downloads_->GetProperty(id, 10, &v).ok());
  EXPECT_EQ(std::get<uint32_t>(v), 60u);
  EXPECT_EQ(Snap(id).job.no_progress_timeout_s, 60u);
  ASSERT_TRUE(downloads_->SetProperty(id, 21, uint64_t{100}).ok());
  EXPECT_TRUE(downloads_->SetProperty(id, 16, true).ok()) << "NetworkToken: accepted";
}

TEST_F(DownloadTest, StateForbiddenSetChangesNothing) {
  Guid id = MakeIn(D::kTransferring);
  DownloadValue before;
  ASSERT_TRUE(downloads_->GetProperty(id, 4, &before).ok());
  EXPECT_CODE(code::kInvalidState, downloads_->SetProperty(id, 4, std::string(Local("other"))));
  EXPECT_CODE(code::kInvalidState, downloads_->SetProperty(id, 1, std::string(Url("other"))));
  EXPECT_CODE(code::kInvalidState, downloads_->SetProperty(id, 25, true));
  DownloadValue after;
  ASSERT_TRUE(downloads_->GetProperty(id, 4, &after).ok());
  EXPECT_EQ(before, after);
  EXPECT_EQ(dstore_.rows[id].props.count(25), 0u);
}

TEST_F(DownloadTest, PropertiesArePersisted) {
  Guid id = NewDownload();
  ASSERT_TRUE(downloads_->SetProperty(id, 25, true).ok());
  ASSERT_TRUE(downloads_->SetProperty(id, 17, std::string("cv.1")).ok());
  Restart();
  DownloadValue v;
  ASSERT_TRUE(downloads_->GetProperty(id, 17, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), "cv.1");
}

// --- NonVolatile ---------------------------------------------------------------

TEST_F(DownloadTest, VolatileDownloadIsGoneAfterRestart) {
  Guid kept = MakeIn(D::kCreated);
  ASSERT_TRUE(downloads_->SetProperty(kept, 25, true).ok());
  Guid gone = MakeIn(D::kCreated);
  Restart();
  EXPECT_TRUE(downloads_->Has(kept));
  EXPECT_FALSE(downloads_->Has(gone));
  EXPECT_FALSE(engine_->IsLive(gone)) << "the job underneath is cancelled too";
  EXPECT_EQ(dstore_.rows.count(gone), 0u);
  EXPECT_EQ(downloads_->Enum(user_.uid, std::nullopt), std::vector<Guid>{kept});
}

TEST_F(DownloadTest, EnumByCategory) {
  Guid a = NewDownload("a"), b = NewDownload("b");
  EXPECT_EQ(downloads_->Enum(user_.uid, std::make_pair(1u, Url("b"))), std::vector<Guid>{b});
  EXPECT_EQ(downloads_->Enum(user_.uid, std::make_pair(0u, a.ToString())), std::vector<Guid>{a});
  EXPECT_TRUE(downloads_->Enum(user_.uid + 1, std::nullopt).empty());
}

// --- HttpCustomAuthHeaders -----------------------------------------------------

TEST_F(DownloadTest, AuthHeadersSentOnlyAfter401) {
  Guid id = NewDownload();
  ASSERT_TRUE(downloads_->SetProperty(id, 23, std::string("Authorization: Bearer t")).ok());
  ASSERT_TRUE(downloads_->Start(id, {}).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->request.headers.empty());
  t->Fail(code::HttpError(401), false);
  Pump();
  auto again = TransferOf(id);
  ASSERT_NE(again, nullptr) << "retried after the 401";
  ASSERT_EQ(again->request.headers.size(), 1u);
  EXPECT_EQ(again->request.headers[0], "Authorization: Bearer t");
}

// --- What must reach the transfer (docs/download.md) ----------------------------

TEST_F(DownloadTest, RedirectAndSecurityFlagsReachTheRequest) {
  Guid plain = NewDownload("plain");
  Guid relaxed = NewDownload("relaxed");
  ASSERT_TRUE(downloads_->SetProperty(relaxed, 24, true).ok());
  ASSERT_TRUE(downloads_->SetProperty(relaxed, 7, uint32_t{0x1100}).ok());
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(relaxed, 7, uint32_t{0x4}));
  ASSERT_TRUE(downloads_->Start(plain, {}).ok());
  ASSERT_TRUE(downloads_->Start(relaxed, {}).ok());
  Pump();
  auto p = TransferOf(plain);
  auto r = TransferOf(relaxed);
  ASSERT_TRUE(p && r);
  EXPECT_FALSE(p->request.allow_https_to_http);
  EXPECT_EQ(p->request.security_flags, 0u);
  EXPECT_TRUE(r->request.allow_https_to_http);
  EXPECT_EQ(r->request.security_flags, 0x1100u);
  // Kept by the job's record, so a restart keeps them.
  EXPECT_TRUE(store_.records.at(relaxed).allow_https_to_http);
  EXPECT_EQ(store_.records.at(relaxed).security_flags, 0x1100u);
}

TEST_F(DownloadTest, TotalSizeBytesMismatchFailsTheDownload) {
  Guid id = NewDownload();
  ASSERT_TRUE(downloads_->SetProperty(id, 21, uint64_t{99}).ok());
  ASSERT_TRUE(downloads_->Start(id, {}).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->Respond(Ok200(100))) << "refused before any byte";
  core::ByteOutcome aborted;
  aborted.status = Status(code::kUnexpected, "aborted");
  if (t->alive) t->Done(aborted);
  Pump();
  auto st = downloads_->GetStatus(id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, D::kPaused);
  EXPECT_CODE(code::kHttpBlocksizeMismatch, Status(st->error, ""));
  EXPECT_EQ(payload_.Staged(id, 0).value_or(""), "") << "no byte of it was kept";
}

TEST_F(DownloadTest, MandatoryIntegrityCheck) {
  Guid missing = NewDownload("missing");
  ASSERT_TRUE(downloads_->SetProperty(missing, 20, true).ok());
  EXPECT_CODE(code::kValidationFailed, downloads_->Start(missing, {}));
  EXPECT_EQ(StateOf(missing), D::kCreated);

  Guid bad = NewDownload("bad");
  ASSERT_TRUE(downloads_->SetProperty(bad, 20, true).ok());
  ASSERT_TRUE(downloads_->SetProperty(bad, 19, R"({"Sha256":")" + std::string(64, 'c') + "\"}").ok());
  ASSERT_TRUE(downloads_->Start(bad, {}).ok());
  Pump();
  ASSERT_TRUE(PumpUntil([&] {
    if (auto t = TransferOf(bad); t && !t->done) t->Serve(Body(100));
    return StateOf(bad) != D::kTransferring;
  }));
  auto st = downloads_->GetStatus(bad);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, D::kAborted);
  EXPECT_CODE(code::kValidationFailed, Status(st->error, ""));
  EXPECT_FALSE(engine_->IsLive(bad));
}

// ContentId (2): a well-formed id when set (E_INVALIDARG else, nothing
// kept); at Start the file's rules (no ranges, TotalSizeBytes agrees); the
// job's file carries it and is verified against it.
TEST_F(DownloadTest, ContentIdIsCheckedAndVerified) {
  const std::string body = Body(100);
  const std::string cid = FormatContentId(
      {body.size(), crypto::PiecesRootHex(std::as_bytes(std::span(body.data(), body.size())))});
  Guid id = NewDownload("cid");
  DownloadValue v;
  EXPECT_CODE(code::kInvalidArg, downloads_->SetProperty(id, 2, std::string("cid1-1-x-0")));
  EXPECT_CODE(code::kNotSet, downloads_->GetProperty(id, 2, &v)) << "a refused id is not kept";
  ASSERT_TRUE(downloads_->SetProperty(id, 2, cid).ok());
  ASSERT_TRUE(downloads_->GetProperty(id, 2, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), cid);
  EXPECT_CODE(code::kInvalidArg, downloads_->Start(id, std::vector<DownloadRange>{{0, 10}}));
  ASSERT_TRUE(downloads_->SetProperty(id, 21, uint64_t{101}).ok());  // TotalSizeBytes
  EXPECT_CODE(code::kInvalidArg, downloads_->Start(id, {}));
  EXPECT_EQ(StateOf(id), D::kCreated);
  ASSERT_TRUE(downloads_->SetProperty(id, 21, uint64_t{100}).ok());
  ASSERT_TRUE(downloads_->Start(id, {}).ok());
  EXPECT_EQ(Snap(id).job.files[0].content_id, cid);
  EXPECT_CODE(code::kInvalidState, downloads_->SetProperty(id, 2, cid)) << "Created only";
  Pump();
  TransferOf(id)->Serve(body);
  ASSERT_TRUE(PumpUntil([&] { return StateOf(id) != D::kTransferring; }));
  EXPECT_EQ(StateOf(id), D::kTransferred);
}

TEST_F(DownloadTest, StartInTransferredFetchesOnlyTheNewRanges) {
  const std::string remote = Body(200, 'r');
  auto serve = [&](const Guid& id) {
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr);
    uint64_t off = t->request.offset, len = t->request.length.value_or(remote.size() - off);
    ASSERT_TRUE(t->Respond(Partial206(off, len, remote.size())));
    t->Data(remote.substr(off, len));
    t->Done();
    Pump();
  };
  Guid id = NewDownload();
  std::vector<DownloadRange> first = {{10, 20}};
  ASSERT_TRUE(downloads_->Start(id, first).ok());
  Pump();
  serve(id);
  ASSERT_EQ(StateOf(id), D::kTransferred);
  size_t started = backend_.started.size();
  // The same ranges, or none: no-op.
  ASSERT_TRUE(downloads_->Start(id, first).ok());
  ASSERT_TRUE(downloads_->Start(id, {}).ok());
  Pump();
  EXPECT_EQ(backend_.started.size(), started);
  EXPECT_EQ(StateOf(id), D::kTransferred);
  // An overlapping range is refused and changes nothing.
  std::vector<DownloadRange> overlap = {{25, 10}};
  EXPECT_CODE(code::kOverlappingRanges, downloads_->Start(id, overlap));
  EXPECT_EQ(StateOf(id), D::kTransferred);
  // A new range: only it is fetched, then Transferred again.
  std::vector<DownloadRange> more = {{10, 20}, {50, 10}};
  ASSERT_TRUE(downloads_->Start(id, more).ok());
  EXPECT_EQ(StateOf(id), D::kTransferring);
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 50u);
  EXPECT_EQ(t->request.length.value_or(0), 10u);
  serve(id);
  EXPECT_EQ(StateOf(id), D::kTransferred);
  EXPECT_EQ(downloads_->GetStatus(id)->bytes_total, 30u);
  EXPECT_EQ(payload_.Staged(id, 0), remote.substr(10, 20) + remote.substr(50, 10));
  ASSERT_TRUE(FinalizeAndWait(id).ok());
  EXPECT_EQ(payload_.delivered_files[Local("d0")], remote.substr(10, 20) + remote.substr(50, 10));
}

TEST_F(DownloadTest, GetStatsFollowsTheFile) {
  Guid id = NewDownload();
  auto before = downloads_->GetStats(id);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->file_size, kSizeUnknown);
  ASSERT_TRUE(downloads_->Start(id, {}).ok());
  Pump();
  DriveToTransferred(id);
  auto during = downloads_->GetStats(id);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->file_size, 100u);
  EXPECT_EQ(during->bytes_from_http, 100u);
  ASSERT_TRUE(FinalizeAndWait(id).ok());
  auto after = downloads_->GetStats(id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->bytes_from_http, 100u);
  EXPECT_CODE(code::kJobNotFound, downloads_->GetStats(Guid{}).status());
}

}  // namespace
}  // namespace ferry::test
