// Complete when the store cannot record the deliveries (its file system is
// full): the call fails like a failed delivery — the job stays TRANSFERRED
// and nothing is deleted — instead of answering S_OK for a change that is
// not durable (semantics.md §3, §8); a retry finishes. Found by DiskFullTest
// (tests/integration/faults).
#include <gtest/gtest.h>

#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

TEST_F(EngineTest, CompleteWhoseDeliveryCannotBeRecordedFailsAndARetryFinishes) {
  Open();
  Guid id = MakeJobWithFile("f0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  DriveToTransferred(id, {Body(100, 'c')});

  // Neither the delivered flag nor the final state can be committed.
  store_.fail_next_commits = 2;
  Status s = CompleteAndWait(id);
  EXPECT_FALSE(s.ok()) << "Complete claimed success without a durable record";
  EXPECT_EQ(State(id), JobState::kTransferred);
  EXPECT_TRUE(payload_.HasJobDir(id));  // nothing deleted yet
  EXPECT_EQ(payload_.delivered_files[Local("f0")], Body(100, 'c'));

  // Room again: the retry records the delivery and finishes.
  store_.fail_next_commits = 0;
  s = CompleteAndWait(id);
  EXPECT_CODE(code::kOk, s);
  EXPECT_EQ(State(id), JobState::kAcknowledged);
  EXPECT_FALSE(payload_.HasJobDir(id));
  EXPECT_EQ(store_.records.count(id), 0u);
}

}  // namespace
}  // namespace ferry::test
