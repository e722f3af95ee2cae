// semantics.md §3, the transition table: every row, driven through the
// engine with the scripted backend; plus job_state.h's IsLegalTransition
// table and the error count rule.
#include "core/job_state.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

// --- IsLegalTransition --------------------------------------------------------

TEST(JobStateTest, LegalTransitionMatrix) {
  constexpr S kStates[] = {S::kQueued,         S::kConnecting, S::kTransferring,
                           S::kSuspended,      S::kError,      S::kTransientError,
                           S::kTransferred,    S::kAcknowledged, S::kCancelled};
  // Rows: from; columns: to, in the order of kStates (Q C T S E TE TD A X).
  // "1" = legal. Every non-final state may be suspended, cancelled or completed;
  // a final state never changes.
  const char* kTable[] = {
      /* QUEUED        */ "1101111 11",
      /* CONNECTING    */ "1111111 11",
      /* TRANSFERRING  */ "1111111 11",
      /* SUSPENDED     */ "1001000 11",
      /* ERROR         */ "1001100 11",
      /* TRANSIENT_ERR */ "1001110 11",
      /* TRANSFERRED   */ "1001001 11",
      /* ACKNOWLEDGED  */ "0000000 10",
      /* CANCELLED     */ "0000000 01",
  };
  for (int f = 0; f < 9; ++f) {
    std::string row;
    for (char ch : std::string(kTable[f]))
      if (ch != ' ') row.push_back(ch);
    ASSERT_EQ(row.size(), 9u);
    for (int t = 0; t < 9; ++t) {
      EXPECT_EQ(core::IsLegalTransition(kStates[f], kStates[t]), row[t] == '1')
          << JobStateName(kStates[f]) << " -> " << JobStateName(kStates[t]);
    }
  }
}

TEST(JobStateTest, StatePredicates) {
  EXPECT_TRUE(core::IsFinal(S::kAcknowledged));
  EXPECT_TRUE(core::IsFinal(S::kCancelled));
  EXPECT_FALSE(core::IsFinal(S::kTransferred));
  EXPECT_TRUE(core::IsActive(S::kQueued));
  EXPECT_TRUE(core::IsActive(S::kTransferring));
  EXPECT_FALSE(core::IsActive(S::kTransientError));
  EXPECT_TRUE(core::IsRunning(S::kConnecting));
  EXPECT_FALSE(core::IsRunning(S::kQueued));
  // The numeric values are the Windows ones (semantics.md §3).
  EXPECT_EQ(static_cast<int>(S::kQueued), 0);
  EXPECT_EQ(static_cast<int>(S::kSuspended), 3);
  EXPECT_EQ(static_cast<int>(S::kTransientError), 5);
  EXPECT_EQ(static_cast<int>(S::kCancelled), 8);
}

TEST(JobStateTest, SetStateRefusesNothingLegalAndMovesTheRecord) {
  core::JobRecord r;
  r.state = S::kSuspended;
  EXPECT_TRUE(core::SetState(r, S::kQueued, "test"));
  EXPECT_EQ(r.state, S::kQueued);
  EXPECT_TRUE(core::SetState(r, S::kQueued, "same state is not a move"));
  EXPECT_EQ(r.state, S::kQueued);
}

// --- Transitions through the engine -------------------------------------------

class TransitionsTest : public OpenEngineTest {};

TEST_F(TransitionsTest, CreateJobIsSuspendedAndCommitted) {
  Guid id = NewJob("created");
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kSuspended);
  EXPECT_TRUE(snap.live);
  EXPECT_EQ(snap.job.owner_uid, 1000u);
  EXPECT_EQ(snap.job.notify_flags, notify::kDefault);
  EXPECT_EQ(snap.job.min_retry_delay_s, 600u);
  EXPECT_EQ(snap.job.no_progress_timeout_s, 86400u);  // NORMAL
  EXPECT_EQ(snap.job.priority, JobPriority::kNormal);
  EXPECT_EQ(snap.job.creation, clock_.Now());
  ASSERT_EQ(store_.records.count(id), 1u);
  EXPECT_EQ(store_.records.at(id).state, S::kSuspended);
  EXPECT_EQ(engine_->EnumJobs(std::nullopt), std::vector<Guid>{id});
}

TEST_F(TransitionsTest, NoProgressTimeoutDefaultFollowsPriority) {
  Guid id = NewJob();
  ASSERT_TRUE(engine_->SetPriority(id, JobPriority::kHigh).ok());
  EXPECT_EQ(Snap(id).job.no_progress_timeout_s, 3600u);
  ASSERT_TRUE(engine_->SetPriority(id, JobPriority::kForeground).ok());
  EXPECT_EQ(Snap(id).job.no_progress_timeout_s, 3600u);
  ASSERT_TRUE(engine_->SetPriority(id, JobPriority::kLow).ok());
  EXPECT_EQ(Snap(id).job.no_progress_timeout_s, 86400u);
}

TEST_F(TransitionsTest, ResumeWithNoFilesIsJobEmpty) {
  Guid id = NewJob();
  size_t commits = Commits();
  EXPECT_CODE(code::kJobEmpty, engine_->Resume(id));
  Pump();
  EXPECT_EQ(State(id), S::kSuspended);
  EXPECT_EQ(Commits(), commits);
  EXPECT_TRUE(backend_.started.empty());
}

TEST_F(TransitionsTest, QueuedConnectingTransferringTransferred) {
  Guid id = MakeJobWithFile("a0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  // Resume commits QUEUED before the scheduler picks the job up.
  bool saw_queued = false;
  for (const auto& b : store_.batches)
    for (const auto& r : b.put)
      if (r.id == id && r.state == S::kQueued) saw_queued = true;
  EXPECT_TRUE(saw_queued);
  Pump();
  EXPECT_EQ(State(id), S::kConnecting);
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.url, Url("a0"));
  EXPECT_EQ(t->request.offset, 0u);
  EXPECT_FALSE(t->request.length.has_value());
  EXPECT_TRUE(t->request.if_range.empty());

  ASSERT_TRUE(t->Respond(Ok200(100)));
  EXPECT_EQ(State(id), S::kTransferring);
  ASSERT_TRUE(t->Data(Body(100).substr(0, 40)));
  EXPECT_EQ(Snap(id).progress.bytes_transferred, 40u);
  EXPECT_EQ(Snap(id).progress.bytes_total, 100u);
  EXPECT_EQ(Snap(id).job.transfer_completion, sys::WallTime{});
  RunFor(3s);
  ASSERT_TRUE(t->Data(Body(100).substr(40)));
  t->Done();
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kTransferred);
  EXPECT_EQ(snap.job.transfer_completion, clock_.Now());
  EXPECT_EQ(snap.progress.bytes_transferred, 100u);
  EXPECT_EQ(snap.progress.files_transferred, 1u);
  EXPECT_TRUE(snap.job.files[0].transferred);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100));
  // The store holds the durable count and the state.
  EXPECT_EQ(store_.records.at(id).state, S::kTransferred);
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 100u);
  EXPECT_TRUE(store_.records.at(id).files[0].transferred);
  EXPECT_FALSE(t->alive);
}

TEST_F(TransitionsTest, FilesOfOneJobTransferInOrder) {
  Guid id = MakeJobWithFiles(3, "o");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(backend_.Alive().size(), 1u) << "one file at a time";
    auto t = backend_.Alive()[0];
    EXPECT_EQ(t->request.url, Url("o" + std::to_string(i)));
    t->Serve(Body(10 + i));
    Pump();
  }
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(backend_.started.size(), 3u);
}

struct FailureCase {
  const char* name;
  int32_t code;
  bool transient;
  JobState want;
};

class FailureTransitionTest : public TransitionsTest,
                              public ::testing::WithParamInterface<FailureCase> {};

TEST_P(FailureTransitionTest, FromConnectingAndTransferring) {
  const FailureCase& c = GetParam();
  for (bool transferring : {false, true}) {
    SCOPED_TRACE(transferring ? "TRANSFERRING" : "CONNECTING");
    Guid id = MakeJobWithFile(std::string(transferring ? "t" : "c") + c.name);
    ASSERT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr);
    if (transferring) {
      t->Respond(Ok200(100));
      t->Data(Body(20));
      ASSERT_EQ(State(id), S::kTransferring);
    }
    t->Fail(c.code, c.transient);
    Pump();
    auto snap = Snap(id);
    EXPECT_EQ(JobStateName(snap.job.state), JobStateName(c.want));
    ASSERT_TRUE(snap.job.error.has_value());
    EXPECT_CODE(c.code, Status(snap.job.error->code, ""));
    EXPECT_EQ(snap.job.error->file_index, 0);
    EXPECT_EQ(snap.job.error_count, 1u);
    EXPECT_EQ(store_.records.at(id).state, c.want);
    ASSERT_TRUE(store_.records.at(id).error.has_value());
    EXPECT_FALSE(t->alive);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Failures, FailureTransitionTest,
    ::testing::Values(FailureCase{"connect", code::kCannotConnect, true, S::kTransientError},
                      FailureCase{"dns", code::kNameNotResolved, true, S::kTransientError},
                      FailureCase{"reset", code::kConnectionReset, true, S::kTransientError},
                      FailureCase{"timeout", code::kTimeout, true, S::kTransientError},
                      FailureCase{"http408", code::HttpError(408), true, S::kTransientError},
                      FailureCase{"http429", code::HttpError(429), true, S::kTransientError},
                      FailureCase{"http503", code::HttpError(503), true, S::kTransientError},
                      FailureCase{"http404", code::HttpError(404), false, S::kError},
                      FailureCase{"http403", code::HttpError(403), false, S::kError},
                      FailureCase{"cert", code::kHttpCertValidation, false, S::kError}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(TransitionsTest, ShortReadIsTransient) {
  Guid id = MakeJobWithFile("short0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 70));
  t->Done();  // the server closed early but the transport says "OK"
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kTransientError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::kConnectionReset, Status(snap.job.error->code, ""));
}

TEST_F(TransitionsTest, LocalIoErrorsAreFatal) {
  // Staging cannot be opened: ERROR with a LOCAL_FILE context.
  Guid id = MakeJobWithFile("io0");
  payload_.fail_next_opens = 1;
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(snap.job.error->context, ErrorContext::kLocalFile);
  EXPECT_CODE(code::FromWin32(112), Status(snap.job.error->code, ""));
  EXPECT_EQ(snap.job.error_count, 1u);

  // A write to staging fails.
  Guid id2 = MakeJobWithFile("io1");
  ASSERT_TRUE(engine_->Resume(id2).ok());
  Pump();
  auto t = TransferOf(id2);
  ASSERT_NE(t, nullptr);
  t->Respond(Ok200(10));
  t->Data(Body(10));
  payload_.fail_next_writes = 1;
  t->Done();
  Pump();
  snap = Snap(id2);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(snap.job.error->context, ErrorContext::kLocalFile);

  // fdatasync fails at the end of the file.
  Guid id3 = MakeJobWithFile("io2");
  ASSERT_TRUE(engine_->Resume(id3).ok());
  Pump();
  t = TransferOf(id3);
  ASSERT_NE(t, nullptr);
  payload_.fail_next_syncs = 1;
  t->Serve(Body(10));
  Pump();
  snap = Snap(id3);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(snap.job.error->context, ErrorContext::kLocalFile);
  EXPECT_FALSE(snap.job.files[0].transferred);
}

TEST_F(TransitionsTest, NoBackendForSchemeIsFatal) {
  backend_.schemes = {"https"};
  Guid id = MakeJobWithFile("nb0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  EXPECT_EQ(State(id), S::kError);
}

TEST_F(TransitionsTest, ResumeFromErrorAndTransientErrorRetriesNow) {
  for (bool transient : {true, false}) {
    Guid id = MakeJobWithFile(transient ? "rt0" : "re0");
    ASSERT_TRUE(engine_->Resume(id).ok());
    Pump();
    TransferOf(id)->Fail(transient ? code::HttpError(503) : code::HttpError(404), transient);
    Pump();
    ASSERT_EQ(State(id), transient ? S::kTransientError : S::kError);
    size_t starts = backend_.started.size();
    auto before = clock_.Now();
    ASSERT_TRUE(engine_->Resume(id).ok());
    Pump();
    EXPECT_EQ(clock_.Now(), before);
    EXPECT_EQ(backend_.started.size(), starts + 1);
    EXPECT_EQ(State(id), S::kConnecting);
    EXPECT_FALSE(Snap(id).job.error.has_value()) << "error info cleared on leaving the error state";
    TransferOf(id)->Serve(Body(5));
    Pump();
    EXPECT_EQ(State(id), S::kTransferred);
  }
}

TEST_F(TransitionsTest, TransferredAddFileThenResumeQueuesTheNewFile) {
  Guid id = MakeJobWithFile("x0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  DriveToTransferred(id);
  NewFile f = HttpFile("x1");
  ASSERT_TRUE(engine_->AddFiles(id, std::span(&f, 1)).ok());
  Pump();
  EXPECT_EQ(State(id), S::kSuspended);
  EXPECT_EQ(store_.records.at(id).state, S::kSuspended);
  size_t starts = backend_.started.size();
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  EXPECT_EQ(State(id), S::kConnecting);
  ASSERT_EQ(backend_.started.size(), starts + 1);
  EXPECT_EQ(backend_.started.back()->request.url, Url("x1")) << "only the new file is fetched";
  backend_.started.back()->Serve(Body(7));
  Pump();
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kTransferred);
  EXPECT_EQ(snap.progress.files_transferred, 2u);
}

TEST_F(TransitionsTest, ResumeOfTransferredJobWithNothingLeftStaysTransferred) {
  Guid id = MakeJobWithFile("y0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  DriveToTransferred(id);
  ASSERT_TRUE(engine_->Suspend(id).ok());
  EXPECT_EQ(State(id), S::kSuspended);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(backend_.started.size(), 1u);
}

TEST_F(TransitionsTest, SuspendStopsTheTransferAndResumeContinues) {
  Guid id = MakeJobWithFile("s0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 30));
  ASSERT_TRUE(engine_->Suspend(id).ok());
  Pump();
  EXPECT_FALSE(t->alive);
  EXPECT_EQ(State(id), S::kSuspended);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100).substr(0, 30));
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t2 = TransferOf(id);
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(t2->request.offset, 30u);
  EXPECT_EQ(t2->request.if_range, "\"v1\"");
}

TEST_F(TransitionsTest, CancelDeletesStagingAndIsFinal) {
  Guid id = MakeJobWithFile("k0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(50));
  ASSERT_TRUE(engine_->Suspend(id).ok());  // writes the buffered bytes to staging
  ASSERT_TRUE(payload_.Staged(id, 0).has_value());
  ASSERT_TRUE(engine_->Cancel(id).ok());
  Pump();
  EXPECT_FALSE(payload_.Staged(id, 0).has_value());
  EXPECT_FALSE(payload_.HasJobDir(id));
  ASSERT_FALSE(store_.history.empty());
  EXPECT_EQ(store_.history.back().id, id);
  EXPECT_EQ(store_.history.back().final_state, S::kCancelled);
  EXPECT_EQ(store_.history.back().reason, 0);
}

TEST_F(TransitionsTest, CancelReportsStagingThatCouldNotBeDeleted) {
  Guid id = MakeJobWithFile("u0");
  payload_.fail_remove_job = 1;
  EXPECT_CODE(code::kUnableToDeleteFiles, engine_->Cancel(id));
  EXPECT_EQ(Snap(id).job.state, S::kCancelled);
}

TEST_F(TransitionsTest, FinalJobsAreReadOnlyAndNotEnumerated) {
  Guid acked = MakeJobWithFile("fa0");
  ASSERT_TRUE(engine_->Resume(acked).ok());
  Pump();
  DriveToTransferred(acked);
  EXPECT_CODE(code::kOk, CompleteAndWait(acked));
  Guid cancelled = MakeJobWithFile("fc0");
  ASSERT_TRUE(engine_->Cancel(cancelled).ok());
  Guid live = MakeJobWithFile("fl0");
  Pump();

  EXPECT_EQ(engine_->EnumJobs(std::nullopt), std::vector<Guid>{live});
  EXPECT_EQ(engine_->EnumJobs(1000u), std::vector<Guid>{live});
  EXPECT_TRUE(engine_->EnumJobs(1001u).empty());
  for (const Guid& id : {acked, cancelled}) {
    auto snap = engine_->GetJob(id);
    ASSERT_TRUE(snap.ok());
    EXPECT_FALSE(snap->live);
    EXPECT_FALSE(engine_->IsLive(id));
    EXPECT_EQ(store_.records.count(id), 0u);
    size_t commits = Commits();
    EXPECT_CODE(code::kInvalidState, engine_->Resume(id));
    EXPECT_CODE(code::kInvalidState, engine_->Suspend(id));
    EXPECT_CODE(code::kInvalidState, engine_->Cancel(id));
    EXPECT_CODE(code::kInvalidState, CompleteAndWait(id));
    EXPECT_CODE(code::kInvalidState, engine_->SetDisplayName(id, "x"));
    NewFile f = HttpFile("late");
    EXPECT_CODE(code::kInvalidState, engine_->AddFiles(id, std::span(&f, 1)));
    EXPECT_EQ(Commits(), commits);
  }
  EXPECT_EQ(engine_->GetJob(acked)->job.state, S::kAcknowledged);
  EXPECT_EQ(engine_->GetJob(cancelled)->job.state, S::kCancelled);
  Guid unknown = Guid::Random();
  EXPECT_CODE(code::kJobNotFound, engine_->GetJob(unknown).status());
  EXPECT_CODE(code::kJobNotFound, engine_->Resume(unknown));
}

TEST_F(TransitionsTest, ExpiryCancelsAtMaximumAgeWithJobTooOld) {
  Guid suspended = MakeJobWithFile("e0");
  Guid running = MakeJobWithFile("e1");
  ASSERT_TRUE(engine_->Resume(running).ok());
  Pump();
  TransferOf(running)->Respond(Ok200(1000));
  TransferOf(running)->Data(Body(10));
  RunFor(cfg_.max_job_age - 1ms);
  EXPECT_TRUE(engine_->IsLive(suspended));
  EXPECT_TRUE(engine_->IsLive(running));
  RunFor(1ms);
  EXPECT_FALSE(engine_->IsLive(suspended));
  // Creation times are strictly increasing (1 ns apart within one tick).
  RunFor(1us);
  for (const Guid& id : {suspended, running}) {
    EXPECT_FALSE(engine_->IsLive(id));
    EXPECT_EQ(Snap(id).job.state, S::kCancelled);
    EXPECT_FALSE(payload_.HasJobDir(id));
    EXPECT_EQ(store_.records.count(id), 0u);
    bool found = false;
    for (const auto& h : store_.history)
      if (h.id == id) {
        found = true;
        EXPECT_EQ(h.final_state, S::kCancelled);
        EXPECT_CODE(code::kJobTooOld, Status(h.reason, ""));
      }
    EXPECT_TRUE(found) << "no history record";
  }
  EXPECT_TRUE(backend_.Alive().empty());
}

TEST_F(TransitionsTest, ExpiryIsConfigurable) {
  Crash();
  cfg_.max_job_age = 10s;
  Open();
  Guid id = MakeJobWithFile("ec0");
  RunFor(9s);
  EXPECT_TRUE(engine_->IsLive(id));
  RunFor(1s);
  EXPECT_FALSE(engine_->IsLive(id));
  ASSERT_FALSE(store_.history.empty());
  EXPECT_EQ(store_.history.back().reason, code::kJobTooOld);
}

// --- Error count -------------------------------------------------------------

TEST_F(TransitionsTest, ErrorCountIncrementsOnEachFailureAndIsNeverReset) {
  Guid id = MakeJobWithFile("ec-a0");
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 5).ok());
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  EXPECT_EQ(Snap(id).job.error_count, 0u);
  TransferOf(id)->Fail(code::HttpError(503), true);
  Pump();
  EXPECT_EQ(Snap(id).job.error_count, 1u);
  // The retry fails again: one more.
  RunFor(5s);
  ASSERT_EQ(State(id), S::kConnecting);
  TransferOf(id)->Fail(code::kCannotConnect, true);
  Pump();
  EXPECT_EQ(Snap(id).job.error_count, 2u);
  // Suspend/Resume does not reset it; a fatal failure counts too.
  ASSERT_TRUE(engine_->Suspend(id).ok());
  EXPECT_EQ(Snap(id).job.error_count, 2u);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Fail(code::HttpError(404), false);
  Pump();
  EXPECT_EQ(State(id), S::kError);
  EXPECT_EQ(Snap(id).job.error_count, 3u);
  // Success afterwards keeps the count.
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Serve(Body(10));
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(Snap(id).job.error_count, 3u);
  EXPECT_EQ(store_.records.at(id).error_count, 3u);
}

TEST_F(TransitionsTest, ModificationTimeAdvancesOnChanges) {
  Guid id = MakeJobWithFile("m0");
  auto t0 = Snap(id).job.modification;
  RunFor(1s);
  ASSERT_TRUE(engine_->SetDescription(id, "d").ok());
  auto t1 = Snap(id).job.modification;
  EXPECT_EQ(t1, t0 + 1s);
  RunFor(1s);
  ASSERT_TRUE(engine_->Resume(id).ok());
  auto t2 = Snap(id).job.modification;
  EXPECT_EQ(t2, t1 + 1s);
  Pump();
  RunFor(1s);
  TransferOf(id)->Respond(Ok200(100));
  EXPECT_EQ(Snap(id).job.modification, t2 + 1s) << "CONNECTING -> TRANSFERRING";
  RunFor(1s);
  TransferOf(id)->Data(Body(10));
  EXPECT_EQ(Snap(id).job.modification, t2 + 2s) << "byte progress moves the modification time";
}

// Regression: a Suspend that lands between the last file's fdatasync and its
// completion on the loop used to let the completion finish the file anyway, moving
// the SUSPENDED job to TRANSFERRED (an illegal transition; debug builds
// aborted). Now the stopped attempt only records what became durable, and the
// job finishes after the next Resume.
TEST_F(TransitionsTest, SuspendWhileTheLastFileSyncsKeepsTheJobSuspended) {
  Open();
  Guid id = MakeJobWithFile("f0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  const std::string body = Body(100);
  t->Serve(body);
  // Run the loop alone until the final sync is queued on a worker.
  for (int i = 0; i < 10 && workers_.size() == 0; ++i) loop_.RunAll();
  ASSERT_GT(workers_.size(), 0u);
  workers_.RunAll();  // the sync is done and its completion waits on the loop
  ASSERT_TRUE(engine_->Suspend(id).ok());
  Pump();  // the completion runs after the Suspend
  EXPECT_EQ(State(id), S::kSuspended);
  EXPECT_EQ(Snap(id).progress.files_transferred, 0u);

  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  ASSERT_NO_FATAL_FAILURE(DriveToTransferred(id, {body}));
  ASSERT_TRUE(CompleteAndWait(id).ok());
  EXPECT_EQ(payload_.delivered_files[Local("f0")], body);
}

}  // namespace
}  // namespace ferry::test
