// semantics.md §6 and §8, engine.h Open(): reopening the engine on the same
// stores after a crash. Same boot id: a file resumes from what staging really
// holds; a different boot id: staging is cut back to the checkpoint. Running
// jobs come back QUEUED; staging of jobs that no longer exist is removed.
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class RecoveryTest : public EngineTest {
 protected:
  void SetUp() override {
    cfg_.checkpoint_bytes = 32;  // a checkpoint after every 32 bytes
    Open();
  }

  // A running job with `got` bytes of a 100-byte file received; the
  // checkpoint (fdatasync, then the store) covers them.
  Guid Checkpointed(const std::string& name, size_t got) {
    Guid id = MakeJobWithFile(name);
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    t->Respond(Ok200(100));
    t->Data(Body(100).substr(0, got));
    Pump();
    EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, got) << "checkpoint committed";
    return id;
  }

  // The first commit after the reopen that contains `id`.
  std::optional<core::JobRecord> FirstCommitAfter(size_t batch, const Guid& id) {
    for (size_t i = batch; i < store_.batches.size(); ++i)
      for (const auto& r : store_.batches[i].put)
        if (r.id == id) return r;
    return std::nullopt;
  }
};

TEST_F(RecoveryTest, CheckpointSyncsStagingBeforeCommitting) {
  Guid id = Checkpointed("c0", 40);
  // The count in the store never exceeds what staging holds.
  auto staged = payload_.Staged(id, 0);
  ASSERT_TRUE(staged.has_value());
  EXPECT_GE(staged->size(), store_.records.at(id).files[0].bytes_transferred);
  EXPECT_EQ(*staged, Body(100).substr(0, 40));
}

TEST_F(RecoveryTest, CheckpointIntervalCommitsSlowProgress) {
  Crash();
  cfg_.checkpoint_bytes = 1 << 20;
  cfg_.checkpoint_interval = 5000ms;
  Open();
  Guid id = MakeJobWithFile("ci0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 10));
  Pump();
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 0u);
  RunFor(5s);
  t->Data(Body(100).substr(10, 10));
  Pump();
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 20u);
}

TEST_F(RecoveryTest, SameBootResumesFromTheStagedSize) {
  Guid id = Checkpointed("s0", 40);
  Crash();
  // After the checkpoint, 30 more bytes reached the page cache.
  payload_.SetStaged(id, 0, Body(100).substr(0, 70));
  size_t batch = store_.batches.size();
  Open();
  auto rec = FirstCommitAfter(batch, id);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->state, S::kQueued) << "running jobs come back QUEUED";
  EXPECT_EQ(Snap(id).job.state, S::kConnecting) << "and are started again";
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 70u);
  EXPECT_EQ(t->request.if_range, "\"v1\"");
  t->Respond(Partial206(70, 30, 100));
  t->Data(Body(100).substr(70));
  t->Done();
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100));
}

TEST_F(RecoveryTest, DifferentBootTruncatesToTheCheckpoint) {
  Guid id = Checkpointed("b0", 40);
  Crash();
  payload_.SetStaged(id, 0, Body(100).substr(0, 70));
  payload_.boot_id = "boot-2";
  Open();
  EXPECT_EQ(payload_.Staged(id, 0), Body(100).substr(0, 40));
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 40u);
  EXPECT_EQ(store_.meta["boot_id"], "boot-2");
}

TEST_F(RecoveryTest, StagingShorterThanTheCheckpointResumesFromStaging) {
  Guid id = Checkpointed("sh0", 64);
  Crash();
  payload_.SetStaged(id, 0, Body(100).substr(0, 30));  // lost (e.g. power loss)
  payload_.boot_id = "boot-2";
  Open();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.offset, 30u);
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 30u)
      << "the store no longer claims the missing bytes";
}

TEST_F(RecoveryTest, StagingLongerThanTheFileIsCapped) {
  Guid id = Checkpointed("cap0", 40);
  Crash();
  payload_.SetStaged(id, 0, Body(100) + "garbage");
  Open();
  // Whole file present: it completes without a request.
  Pump();
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100));
}

TEST_F(RecoveryTest, OtherStatesSurvive) {
  Guid suspended = MakeJobWithFile("os0");
  RunFor(1ms);
  Guid transferred = MakeJobWithFile("os1");
  RunFor(1ms);
  ASSERT_TRUE(engine_->Resume(transferred).ok());
  Pump();
  DriveToTransferred(transferred);
  Guid failed = MakeJobWithFile("os2");
  ASSERT_TRUE(engine_->Resume(failed).ok());
  Pump();
  TransferOf(failed)->Fail(code::HttpError(404), false);
  Pump();
  ASSERT_TRUE(engine_->SetDescription(suspended, "kept").ok());
  Reopen();
  EXPECT_EQ(State(suspended), S::kSuspended);
  EXPECT_EQ(Snap(suspended).job.description, "kept");
  EXPECT_EQ(State(transferred), S::kTransferred);
  EXPECT_EQ(State(failed), S::kError);
  EXPECT_CODE(code::HttpError(404), Status(Snap(failed).job.error->code, ""));
  EXPECT_EQ(engine_->EnumJobs(std::nullopt),
            (std::vector<Guid>{suspended, transferred, failed})) << "creation order";
  EXPECT_CODE(code::kOk, CompleteAndWait(transferred));
  EXPECT_EQ(payload_.delivered_files[Local("os1")], Body(100));
}

// DISABLED: engine bug — Recover() (src/core/engine.cc) restores the
// creation order by sorting on creation time only; jobs created in the same
// clock tick come back in the store's order (by id), so EnumJobs' "creation
// order" changes across a restart. Needs a persisted sequence number (or a
// stable sort on a store that loads in insertion order).
TEST_F(RecoveryTest, CreationOrderSurvivesWithEqualCreationTimes) {
  std::vector<Guid> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(NewJob("same-tick-" + std::to_string(i)));
  Reopen();
  EXPECT_EQ(engine_->EnumJobs(std::nullopt), ids);
}

TEST_F(RecoveryTest, TransientErrorRetriesAtItsTimeAfterReopen) {
  Guid id = MakeJobWithFile("te0");
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 60).ok());
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Fail(code::HttpError(503), true);
  Pump();
  RunFor(20s);
  Reopen();
  EXPECT_EQ(State(id), S::kTransientError);
  size_t starts = backend_.started.size();
  RunFor(40s - 1ms);
  EXPECT_EQ(State(id), S::kTransientError);
  RunFor(1ms);
  EXPECT_EQ(State(id), S::kConnecting);
  EXPECT_EQ(backend_.started.size(), starts + 1);
}

TEST_F(RecoveryTest, OrphanStagingIsRemoved) {
  Guid live = MakeJobWithFile("or0");
  Crash();
  Guid orphan = Guid::Random();
  payload_.SetStaged(orphan, 0, "left behind by a crash during Cancel");
  Open();
  EXPECT_FALSE(payload_.HasJobDir(orphan));
  EXPECT_FALSE(payload_.Staged(orphan, 0).has_value());
  EXPECT_TRUE(engine_->IsLive(live));
}

TEST_F(RecoveryTest, JobsPastTheMaximumAgeAreCancelledOnOpen) {
  Guid id = MakeJobWithFile("old0");
  Crash();
  clock_.SetNow(clock_.Now() + cfg_.max_job_age + 1s);  // the service was down for a month
  Open();
  RunFor(0s);
  EXPECT_FALSE(engine_->IsLive(id));
  ASSERT_FALSE(store_.history.empty());
  EXPECT_EQ(store_.history.back().id, id);
  EXPECT_CODE(code::kJobTooOld, Status(store_.history.back().reason, ""));
}

TEST_F(RecoveryTest, ShutdownSyncsAndCommitsWhatWasReceived) {
  Crash();
  cfg_.checkpoint_bytes = 1 << 20;
  Open();
  Guid id = MakeJobWithFile("sd0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 55));
  Pump();
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 0u);
  ASSERT_TRUE(engine_->Shutdown().ok());
  EXPECT_EQ(store_.records.at(id).files[0].bytes_transferred, 55u);
  EXPECT_EQ(payload_.Staged(id, 0), Body(100).substr(0, 55));
  EXPECT_FALSE(engine_->Resume(id).ok()) << "every call fails after Shutdown";
  payload_.boot_id = "boot-2";  // even across a reboot the 55 bytes count
  Reopen();
  ASSERT_NE(TransferOf(id), nullptr);
  EXPECT_EQ(TransferOf(id)->request.offset, 55u);
}

TEST_F(RecoveryTest, RestartedFileNeverKeepsOldCheckpoint) {
  // A restart from 0 (new version) must not leave the store claiming bytes of
  // the old version: after a reboot the old count would splice versions.
  Guid id = Checkpointed("rs0", 40);
  TransferOf(id)->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_TRUE(t->Respond(Ok200(100, "\"v2\"")));
  t->Data(Body(10, 'Z'));
  Pump();
  EXPECT_LE(store_.records.at(id).files[0].bytes_transferred, 10u);
  Crash();
  payload_.boot_id = "boot-2";
  Open();
  auto t2 = TransferOf(id);
  ASSERT_NE(t2, nullptr);
  EXPECT_LE(t2->request.offset, 10u);
  auto staged = payload_.Staged(id, 0).value_or("");
  EXPECT_EQ(staged, Body(10, 'Z').substr(0, staged.size())) << "only bytes of the new version";
}

}  // namespace
}  // namespace ferry::test
