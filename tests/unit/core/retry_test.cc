// semantics.md §3 and §5: retry delays, Retry-After, the no-progress
// timeout and the "0 = first error is fatal" rule, in fake time.
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class RetryTest : public OpenEngineTest {
 protected:
  Guid Started(const std::string& name, uint32_t min_retry_s) {
    Guid id = MakeJobWithFile(name);
    EXPECT_TRUE(engine_->SetMinimumRetryDelay(id, min_retry_s).ok());
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    EXPECT_NE(TransferOf(id), nullptr);
    return id;
  }
  void FailTransient(const Guid& id, std::optional<std::chrono::seconds> retry_after = {}) {
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr) << JobStateName(State(id));
    t->Fail(code::HttpError(503), true, retry_after);
    Pump();
  }
  // The job is still `before` 1 ms before `after_time` has passed, and
  // `after` once it has.
  void ExpectChangeAt(const Guid& id, std::chrono::milliseconds after_time, S before, S after) {
    RunFor(after_time - 1ms);
    EXPECT_EQ(State(id), before);
    RunFor(1ms);
    EXPECT_EQ(State(id), after);
  }
};

TEST_F(RetryTest, MinimumRetryDelayHasAFloorOfFiveSeconds) {
  Guid id = NewJob();
  EXPECT_EQ(Snap(id).job.min_retry_delay_s, 600u);
  for (auto [set, want] :
       {std::pair{0u, 5u}, {1u, 5u}, {4u, 5u}, {5u, 5u}, {6u, 6u}, {3600u, 3600u}}) {
    ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, set).ok());
    EXPECT_EQ(Snap(id).job.min_retry_delay_s, want) << set;
  }
}

TEST_F(RetryTest, RetriesAfterTheMinimumRetryDelay) {
  Guid id = Started("r0", 5);
  FailTransient(id);
  ASSERT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(Snap(id).job.retry_at, clock_.Now() + 5s);
  size_t starts = backend_.started.size();
  RunFor(5s - 1ms);
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(backend_.started.size(), starts);
  RunFor(1ms);
  EXPECT_EQ(State(id), S::kConnecting);
  EXPECT_EQ(backend_.started.size(), starts + 1);
}

TEST_F(RetryTest, DefaultDelayIsTenMinutes) {
  Guid id = MakeJobWithFile("r1");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  FailTransient(id);
  ExpectChangeAt(id, 600s, S::kTransientError, S::kConnecting);
}

TEST_F(RetryTest, RetryAfterWinsWhenLater) {
  Guid id = Started("ra0", 5);
  FailTransient(id, 20s);
  ExpectChangeAt(id, 20s, S::kTransientError, S::kConnecting);
}

TEST_F(RetryTest, RetryAfterIgnoredWhenEarlier) {
  Guid id = Started("ra1", 5);
  FailTransient(id, 2s);
  ExpectChangeAt(id, 5s, S::kTransientError, S::kConnecting);
}

TEST_F(RetryTest, NoProgressTimeoutEndsInError) {
  Guid id = Started("np0", 600);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 30).ok());
  FailTransient(id);
  ASSERT_EQ(State(id), S::kTransientError);
  RunFor(30s - 1ms);
  EXPECT_EQ(State(id), S::kTransientError);
  RunFor(1ms);
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::kDownloadNoProgress, Status(snap.job.error->code, ""));
  EXPECT_NE(snap.job.error->message.find("0x801901F7"), std::string::npos)
      << "the last error is kept as context: " << snap.job.error->message;
  EXPECT_EQ(consumer_.Count(EventKind::kError, id), 1u);
  EXPECT_EQ(store_.records.at(id).state, S::kError);
}

TEST_F(RetryTest, NoProgressTimeoutAcrossRepeatedRetries) {
  Guid id = Started("np1", 5);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 12).ok());
  auto start = clock_.Now();
  FailTransient(id);  // t=0, retry at 5
  RunFor(5s);
  ASSERT_EQ(State(id), S::kConnecting);
  FailTransient(id);  // t=5, retry at 10
  RunFor(5s);
  ASSERT_EQ(State(id), S::kConnecting);
  FailTransient(id);  // t=10: retry would be 15, past the deadline at 12
  EXPECT_EQ(State(id), S::kTransientError);
  RunFor(2s - 1ms);
  EXPECT_EQ(State(id), S::kTransientError);
  RunFor(1ms);
  EXPECT_EQ(clock_.Now() - start, 12s);
  EXPECT_EQ(State(id), S::kError);
  EXPECT_CODE(code::kDownloadNoProgress, Status(Snap(id).job.error->code, ""));
  EXPECT_EQ(Snap(id).job.error_count, 3u);
}

TEST_F(RetryTest, FailureAfterTheDeadlineIsFatalAtOnce) {
  Guid id = Started("np2", 5);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 10).ok());
  RunFor(11s);  // connecting for 11 s, no byte
  FailTransient(id);
  EXPECT_EQ(State(id), S::kError);
  EXPECT_CODE(code::kDownloadNoProgress, Status(Snap(id).job.error->code, ""));
}

TEST_F(RetryTest, BytesRestartTheNoProgressClock) {
  Guid id = Started("np3", 5);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 30).ok());
  auto start = clock_.Now();
  RunFor(20s);
  auto t = TransferOf(id);
  t->Respond(Ok200(1000));
  t->Data(Body(10));  // progress at t=20
  FailTransient(id);
  for (int i = 0; i < 20 && State(id) != S::kError; ++i) {
    RunFor(5s);
    if (State(id) == S::kConnecting) FailTransient(id);
  }
  EXPECT_EQ(State(id), S::kError);
  EXPECT_EQ(clock_.Now() - start, 50s) << "deadline = last byte (20 s) + 30 s";
}

TEST_F(RetryTest, ResumeRestartsTheNoProgressClock) {
  Guid id = Started("np4", 600);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 30).ok());
  FailTransient(id);
  RunFor(20s);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  FailTransient(id);  // t=20; the clock restarted at 20
  ExpectChangeAt(id, 30s, S::kTransientError, S::kError);
}

TEST_F(RetryTest, ZeroTimeoutMakesTheFirstTransientErrorFatal) {
  Guid id = Started("z0", 5);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 0).ok());
  EXPECT_EQ(Snap(id).job.no_progress_timeout_s, 0u);
  FailTransient(id);
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, S::kError);
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_CODE(code::HttpError(503), Status(snap.job.error->code, ""));
  EXPECT_EQ(snap.job.error_count, 1u);
  EXPECT_EQ(consumer_.Count(EventKind::kError, id), 1u);
  RunFor(60s);
  EXPECT_EQ(State(id), S::kError) << "no retry";
}

TEST_F(RetryTest, ResumeCancelsThePendingRetry) {
  Guid id = Started("rc0", 5);
  FailTransient(id);  // retry due at t=5
  RunFor(1s);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  size_t starts = backend_.started.size();
  EXPECT_EQ(State(id), S::kConnecting);
  RunFor(10s);
  EXPECT_EQ(backend_.started.size(), starts)
      << "the old retry timer must not start a second attempt";
  EXPECT_EQ(backend_.Alive().size(), 1u);
}

TEST_F(RetryTest, SuspendCancelsThePendingRetry) {
  Guid id = Started("rc1", 5);
  FailTransient(id);
  ASSERT_TRUE(engine_->Suspend(id).ok());
  RunFor(60s);
  EXPECT_EQ(State(id), S::kSuspended);
}

TEST_F(RetryTest, RetryResumesFromTheReceivedBytes) {
  Guid id = Started("rr0", 5);
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 40));
  t->Fail(code::kConnectionReset, true);
  Pump();
  RunFor(5s);
  auto t2 = TransferOf(id);
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(t2->request.offset, 40u);
  EXPECT_EQ(t2->request.if_range, "\"v1\"");
  t2->Respond(Partial206(40, 60, 100));
  t2->Data(Body(100).substr(40));
  t2->Done();
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100));
}

}  // namespace
}  // namespace ferry::test
