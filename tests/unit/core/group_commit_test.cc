// The group-commit forms of CreateJob and AddFiles (engine.h): many calls of
// one loop turn share one commit, each caller hears only after it, and a
// failed commit takes each call's change back.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

using GroupCommitTest = EngineTest;

TEST_F(GroupCommitTest, CallsOfOneTurnShareOneCommitAndHearAfterIt) {
  Open();
  size_t commits = Commits();
  std::vector<std::optional<Status>> created(5);
  std::vector<Guid> ids(5);
  for (size_t i = 0; i < 5; ++i)
    engine_->CreateJob(user_, "job " + std::to_string(i), JobType::kDownload, [&, i](Status s, Guid id) {
      created[i] = s;
      ids[i] = id;
    });
  for (auto& c : created) EXPECT_FALSE(c.has_value()) << "answered before the commit";
  Pump();
  for (auto& c : created) {
    ASSERT_TRUE(c.has_value());
    EXPECT_CODE(code::kOk, *c);
  }
  EXPECT_EQ(Commits(), commits + 1);
  for (const Guid& id : ids) EXPECT_TRUE(store_.records.count(id));

  std::vector<std::optional<Status>> added(5);
  for (size_t i = 0; i < 5; ++i) {
    NewFile f = HttpFile("g" + std::to_string(i));
    engine_->AddFiles(ids[i], std::span<const NewFile>(&f, 1), [&, i](Status s) { added[i] = s; });
  }
  EXPECT_FALSE(added[0].has_value());
  Pump();
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(added[i].has_value());
    EXPECT_CODE(code::kOk, *added[i]);
    EXPECT_EQ(store_.records.at(ids[i]).files.size(), 1u);
  }
  EXPECT_EQ(Commits(), commits + 2);
}

TEST_F(GroupCommitTest, BadInputIsAnsweredAtOnceAndChangesNothing) {
  Open();
  std::optional<Status> s;
  engine_->CreateJob(user_, "", JobType::kDownload, [&](Status st, Guid) { s = st; });
  ASSERT_TRUE(s.has_value());
  EXPECT_CODE(code::kInvalidArg, *s);
  Guid id = NewJob();
  NewFile bad = HttpFile("x");
  bad.remote_url = "ftp://nope/";
  s.reset();
  engine_->AddFiles(id, std::span<const NewFile>(&bad, 1), [&](Status st) { s = st; });
  ASSERT_TRUE(s.has_value());
  EXPECT_CODE(code::kInvalidArg, *s);
  EXPECT_TRUE(Snap(id).job.files.empty());
}

TEST_F(GroupCommitTest, FailedCommitTakesTheChangesBack) {
  Open();
  Guid kept = NewJob("kept");
  store_.fail_next_commits = 1;
  std::optional<Status> created;
  Guid ghost;
  engine_->CreateJob(user_, "ghost", JobType::kDownload, [&](Status s, Guid id) {
    created = s;
    ghost = id;
  });
  std::optional<Status> added;
  NewFile f = HttpFile("h0");
  engine_->AddFiles(kept, std::span<const NewFile>(&f, 1), [&](Status s) { added = s; });
  Pump();
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(added.has_value());
  EXPECT_FALSE(created->ok());
  EXPECT_FALSE(added->ok());
  EXPECT_FALSE(engine_->IsLive(ghost));
  EXPECT_TRUE(Snap(kept).job.files.empty());
  EXPECT_TRUE(store_.records.at(kept).files.empty());
  EXPECT_FALSE(store_.records.count(ghost));
  // The local name is free again, and the job works.
  EXPECT_CODE(code::kOk, engine_->AddFiles(kept, std::span<const NewFile>(&f, 1)));
  EXPECT_EQ(store_.records.at(kept).files.size(), 1u);
}

}  // namespace
}  // namespace ferry::test
