// semantics.md §4: notify flags, which transitions fire which callback,
// at-least-once re-delivery with back-off, and progress coalescing — on the
// fake clock.
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class NotifyTest : public OpenEngineTest {
 protected:
  // A running job whose transfer has answered 200 for `size` bytes.
  Guid Running(const std::string& name, uint32_t flags, uint64_t size = 100) {
    Guid id = MakeJobWithFile(name);
    EXPECT_TRUE(engine_->SetNotifyFlags(id, flags).ok());
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    EXPECT_NE(t, nullptr);
    if (t) t->Respond(Ok200(size));
    Pump();
    return id;
  }

  static std::vector<int64_t> OffsetsMs(const std::vector<sys::WallTime>& times) {
    std::vector<int64_t> out;
    for (auto t : times)
      out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(t - times.front()).count());
    return out;
  }
};

TEST_F(NotifyTest, UnknownFlagBitsAreInvalidArg) {
  Guid id = NewJob();
  size_t commits = Commits();
  for (uint32_t bad : {0x20u, 0x100u, 0x80000000u, 0x3Fu}) {
    EXPECT_CODE(code::kInvalidArg, engine_->SetNotifyFlags(id, bad)) << bad;
  }
  EXPECT_EQ(Snap(id).job.notify_flags, notify::kDefault);
  EXPECT_EQ(Commits(), commits);
  EXPECT_TRUE(engine_->SetNotifyFlags(id, notify::kAll).ok());
  EXPECT_TRUE(engine_->SetNotifyFlags(id, 0).ok());
  EXPECT_EQ(Snap(id).job.notify_flags, 0u);
}

TEST_F(NotifyTest, EventsAreNeverDeliveredInsideTheCall) {
  Guid id = NewJob();
  ASSERT_TRUE(engine_->SetNotifyFlags(id, notify::kJobModification).ok());
  Pump();
  consumer_.Clear();
  ASSERT_TRUE(engine_->SetDescription(id, "x").ok());
  EXPECT_TRUE(consumer_.records.empty());
  Pump();
  EXPECT_EQ(consumer_.Count(EventKind::kModification, id), 1u);
}

TEST_F(NotifyTest, DisableSuppressesEverything) {
  uint32_t flags = notify::kAll;  // every bit, Disable included
  Guid ok = Running("dis0", flags);
  TransferOf(ok)->Data(Body(100));
  TransferOf(ok)->Done();
  Pump();
  ASSERT_EQ(State(ok), S::kTransferred);
  Guid bad = Running("dis1", flags);
  TransferOf(bad)->Fail(code::HttpError(404), false);
  Pump();
  ASSERT_EQ(State(bad), S::kError);
  ASSERT_TRUE(engine_->SetDescription(bad, "changed").ok());
  RunFor(10s);
  EXPECT_EQ(consumer_.records.size(), 0u) << "events: " << consumer_.records.size();
}

TEST_F(NotifyTest, ModificationOnlyWithItsFlag) {
  // Default flags (Transferred | Error): no Modification at all.
  Guid quiet = Running("mod0", notify::kDefault);
  TransferOf(quiet)->Data(Body(50));
  RunFor(1s);
  ASSERT_TRUE(engine_->SetDescription(quiet, "x").ok());
  TransferOf(quiet)->Data(Body(50));
  TransferOf(quiet)->Done();
  RunFor(1s);
  EXPECT_EQ(consumer_.Count(EventKind::kModification, quiet), 0u);
  EXPECT_EQ(consumer_.Count(EventKind::kTransferred, quiet), 1u);

  // With 0x8: state changes, property changes, file additions, progress.
  Guid loud = NewJob("loud");
  ASSERT_TRUE(engine_->SetNotifyFlags(loud, notify::kJobModification).ok());
  Pump();
  consumer_.Clear();
  ASSERT_TRUE(engine_->SetDescription(loud, "y").ok());
  Pump();
  EXPECT_EQ(consumer_.Count(EventKind::kModification, loud), 1u) << "property change";
  NewFile f = HttpFile("mod1");
  ASSERT_TRUE(engine_->AddFiles(loud, std::span(&f, 1)).ok());
  Pump();
  EXPECT_EQ(consumer_.Count(EventKind::kModification, loud), 2u) << "file added";
  ASSERT_TRUE(engine_->Resume(loud).ok());
  Pump();
  size_t after_resume = consumer_.Count(EventKind::kModification, loud);
  EXPECT_GE(after_resume, 3u) << "state change";
  TransferOf(loud)->Respond(Ok200(100));
  Pump();
  RunFor(1s);
  size_t before_data = consumer_.Count(EventKind::kModification, loud);
  TransferOf(loud)->Data(Body(10));
  Pump();
  EXPECT_EQ(consumer_.Count(EventKind::kModification, loud), before_data + 1) << "progress";
  EXPECT_EQ(consumer_.Count(EventKind::kTransferred, loud), 0u) << "0x1 not set";
}

TEST_F(NotifyTest, NoModificationForTransitionIntoTransferred) {
  Guid id = Running("tt0", notify::kJobTransferred | notify::kJobError | notify::kJobModification);
  TransferOf(id)->Data(Body(100));
  RunFor(2s);  // let progress coalescing settle
  consumer_.Clear();
  TransferOf(id)->Done();
  Pump();
  RunFor(2s);
  ASSERT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(consumer_.Kinds(), std::vector<EventKind>{EventKind::kTransferred});
}

TEST_F(NotifyTest, NoModificationForTransitionIntoErrorButForTransientError) {
  uint32_t flags = notify::kJobTransferred | notify::kJobError | notify::kJobModification;
  Guid id = Running("te0", flags);
  RunFor(2s);
  consumer_.Clear();
  TransferOf(id)->Fail(code::HttpError(404), false);
  Pump();
  RunFor(2s);
  ASSERT_EQ(State(id), S::kError);
  EXPECT_EQ(consumer_.Kinds(), std::vector<EventKind>{EventKind::kError});

  Guid id2 = Running("te1", flags);
  RunFor(2s);
  consumer_.Clear();
  TransferOf(id2)->Fail(code::HttpError(503), true);
  Pump();
  ASSERT_EQ(State(id2), S::kTransientError);
  EXPECT_EQ(consumer_.Count(EventKind::kError, id2), 0u) << "JobError never for TRANSIENT_ERROR";
  EXPECT_EQ(consumer_.Count(EventKind::kModification, id2), 1u);
}

TEST_F(NotifyTest, FileTransferredNeedsItsFlag) {
  for (bool with : {false, true}) {
    Guid id = MakeJobWithFiles(2, with ? "fw" : "fo");
    uint32_t flags = notify::kJobTransferred | (with ? notify::kFileTransferred : 0);
    ASSERT_TRUE(engine_->SetNotifyFlags(id, flags).ok());
    ASSERT_TRUE(engine_->Resume(id).ok());
    Pump();
    consumer_.Clear();
    DriveToTransferred(id);
    Pump();
    if (!with) {
      EXPECT_EQ(consumer_.Count(EventKind::kFileTransferred), 0u);
      EXPECT_EQ(consumer_.Count(EventKind::kTransferred, id), 1u);
      continue;
    }
    std::vector<int32_t> files;
    for (const auto& r : consumer_.records)
      if (r.event.kind == EventKind::kFileTransferred) files.push_back(r.event.file_index);
    EXPECT_EQ(files, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(consumer_.Kinds().back(), EventKind::kTransferred);
  }
}

TEST_F(NotifyTest, TransferredIsRedeliveredWithBackoffUntilAccepted) {
  Guid id = Running("rd0", notify::kDefault);
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 5).ok());
  int calls = 0;
  consumer_.answer = [&](const EngineEvent& e) {
    if (e.kind != EventKind::kTransferred) return true;
    return ++calls >= 7;  // refuses six times
  };
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  RunFor(120s);
  // 1 s, then doubling, capped at the minimum retry delay (5 s).
  EXPECT_EQ(OffsetsMs(consumer_.Times(EventKind::kTransferred)),
            (std::vector<int64_t>{0, 1000, 3000, 7000, 12000, 17000, 22000}));
}

TEST_F(NotifyTest, RedeliveryCapIsTheMinimumRetryDelay) {
  Guid id = Running("rd1", notify::kDefault);
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 60).ok());
  consumer_.answer = [](const EngineEvent& e) { return e.kind != EventKind::kTransferred; };
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  RunFor(300s);
  EXPECT_EQ(OffsetsMs(consumer_.Times(EventKind::kTransferred)),
            (std::vector<int64_t>{0, 1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000,
                                  243000}));
}

TEST_F(NotifyTest, RedeliveryStopsWhenTheJobLeavesTransferred) {
  Guid id = Running("rd2", notify::kDefault);
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 5).ok());
  consumer_.answer = [](const EngineEvent& e) { return e.kind != EventKind::kTransferred; };
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  RunFor(3500ms);
  ASSERT_EQ(consumer_.Count(EventKind::kTransferred), 3u);
  ASSERT_TRUE(engine_->Suspend(id).ok());
  RunFor(60s);
  EXPECT_EQ(consumer_.Count(EventKind::kTransferred), 3u);

  // Complete (the job leaves for good): no more either.
  Guid id2 = Running("rd3", notify::kDefault);
  TransferOf(id2)->Data(Body(100));
  TransferOf(id2)->Done();
  Pump();
  RunFor(1500ms);
  size_t n = consumer_.Count(EventKind::kTransferred, id2);
  ASSERT_EQ(n, 2u);
  EXPECT_CODE(code::kOk, CompleteAndWait(id2));
  RunFor(60s);
  EXPECT_EQ(consumer_.Count(EventKind::kTransferred, id2), n);
}

TEST_F(NotifyTest, ErrorIsRedeliveredToo) {
  Guid id = Running("rde0", notify::kDefault);
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 5).ok());
  int calls = 0;
  consumer_.answer = [&](const EngineEvent& e) {
    return e.kind != EventKind::kError || ++calls >= 3;
  };
  TransferOf(id)->Fail(code::HttpError(404), false);
  Pump();
  RunFor(60s);
  EXPECT_EQ(OffsetsMs(consumer_.Times(EventKind::kError)), (std::vector<int64_t>{0, 1000, 3000}));
}

TEST_F(NotifyTest, UnsubscribedConsumerGetsNothingMore) {
  Guid id = Running("un0", notify::kDefault);
  consumer_.answer = [](const EngineEvent&) { return false; };
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  ASSERT_EQ(consumer_.Count(EventKind::kTransferred), 1u);
  engine_->events().Unsubscribe(sub_id_);
  RunFor(60s);
  EXPECT_EQ(consumer_.Count(EventKind::kTransferred), 1u);
}

TEST_F(NotifyTest, ReplayDeliversToOneSubscriber) {
  Guid id = Running("rp0", notify::kDefault);
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  RecordingConsumer late(&clock_);
  uint64_t late_id = engine_->events().Subscribe(&late);
  consumer_.Clear();
  engine_->events().Replay(late_id, EventKind::kTransferred, id);
  Pump();
  EXPECT_EQ(late.Count(EventKind::kTransferred, id), 1u);
  EXPECT_EQ(consumer_.records.size(), 0u);
  engine_->events().Unsubscribe(late_id);
}

TEST_F(NotifyTest, ProgressModificationsAreCoalesced) {
  Guid id = Running("pc0", notify::kJobModification, 100000);
  RunFor(1s);
  consumer_.Clear();
  auto start = clock_.Now();
  for (int i = 0; i < 30; ++i) {  // 3 s of data every 100 ms
    TransferOf(id)->Data(Body(100));
    RunFor(100ms);
  }
  RunFor(1s);
  auto times = consumer_.Times(EventKind::kModification);
  ASSERT_FALSE(times.empty());
  EXPECT_EQ(times.front(), start) << "the first progress is not delayed";
  for (size_t i = 1; i < times.size(); ++i)
    EXPECT_GE(times[i] - times[i - 1], 500ms) << "events " << i - 1 << " and " << i;
  // 3 s of progress: one every 500 ms, plus a trailing one for the last bytes.
  EXPECT_GE(times.size(), 6u);
  EXPECT_LE(times.size(), 7u);
  EXPECT_LE(times.back(), start + 3500ms) << "the last progress is reported";
}

TEST_F(NotifyTest, RawSubscriberSeesEverything) {
  RecordingConsumer raw(&clock_);
  uint64_t raw_id = engine_->events().Subscribe(&raw, /*raw=*/true);
  Guid id = Running("raw0", notify::kDisable);
  TransferOf(id)->Data(Body(100));
  TransferOf(id)->Done();
  Pump();
  EXPECT_EQ(consumer_.records.size(), 0u);
  EXPECT_GE(raw.Count(EventKind::kModification, id), 1u);
  EXPECT_EQ(raw.Count(EventKind::kTransferred, id), 1u);
  engine_->events().Unsubscribe(raw_id);
}

}  // namespace
}  // namespace ferry::test
