// semantics.md §3, "Method × state (download jobs)": every call in every
// state, as one parameterized test. Each case puts a fresh job in the state,
// makes the call, and checks the returned code, the state afterwards, and
// for refused calls that nothing was committed.
#include <tuple>

#include "core/job_state.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {


enum class Call {
  kResume,
  kSuspend,
  kCancel,
  kComplete,
  kAddFile,
  kSetDisplayName,
  kSetDescription,
  kSetPriority,
  kSetNotifyFlags,
  kSetNotifyCmdLine,
  kSetMinimumRetryDelay,
  kSetNoProgressTimeout,
  kSetProxySettings,
  kSetCustomHeaders,
  kSetCostPolicy,
  kTakeOwnership,
  kGetError,
};

const char* CallName(Call c) {
  switch (c) {
    case Call::kResume: return "Resume";
    case Call::kSuspend: return "Suspend";
    case Call::kCancel: return "Cancel";
    case Call::kComplete: return "Complete";
    case Call::kAddFile: return "AddFile";
    case Call::kSetDisplayName: return "SetDisplayName";
    case Call::kSetDescription: return "SetDescription";
    case Call::kSetPriority: return "SetPriority";
    case Call::kSetNotifyFlags: return "SetNotifyFlags";
    case Call::kSetNotifyCmdLine: return "SetNotifyCmdLine";
    case Call::kSetMinimumRetryDelay: return "SetMinimumRetryDelay";
    case Call::kSetNoProgressTimeout: return "SetNoProgressTimeout";
    case Call::kSetProxySettings: return "SetProxySettings";
    case Call::kSetCustomHeaders: return "SetCustomHeaders";
    case Call::kSetCostPolicy: return "SetCostPolicy";
    case Call::kTakeOwnership: return "TakeOwnership";
    case Call::kGetError: return "GetError";
  }
  return "?";
}

bool IsSetter(Call c) { return c >= Call::kAddFile && c <= Call::kTakeOwnership; }

struct Expect {
  int32_t code;
  JobState after;
};

// The table of semantics.md §3, with the state the engine leaves the job in.
Expect Expected(JobState s, Call c) {
  bool final = s == S::kAcknowledged || s == S::kCancelled;
  if (c == Call::kGetError) {
    bool has = s == S::kTransientError || s == S::kError;
    return {has ? code::kOk : code::kErrorInformationUnavailable, s};
  }
  if (final) return {code::kInvalidState, s};
  switch (c) {
    case Call::kResume:
      switch (s) {
        case S::kSuspended: return {code::kOk, S::kConnecting};  // QUEUED, started at once
        case S::kTransientError:
        case S::kError: return {code::kOk, S::kConnecting};      // retried now
        default: return {code::kOk, s};                          // no change
      }
    case Call::kSuspend: return {code::kOk, S::kSuspended};
    case Call::kCancel: return {code::kOk, S::kCancelled};
    case Call::kComplete:
      return {s == S::kTransferred ? code::kOk : code::kPartialComplete, S::kAcknowledged};
    case Call::kAddFile:
      // A TRANSFERRED job goes back to SUSPENDED (Resume then queues it).
      return {code::kOk, s == S::kTransferred ? S::kSuspended : s};
    default:
      return {code::kOk, s};
  }
}

class StateTableTest : public EngineTest,
                       public ::testing::WithParamInterface<std::tuple<JobState, Call>> {
 protected:
  void SetUp() override {
    cfg_.max_background_transfers = 1;
    Open();
  }

  // Makes the call; returns its status (GetError: S_OK when error info is
  // available, else DO_E_ERROR_INFORMATION_UNAVAILABLE).
  Status Do(const Guid& id, Call c) {
    switch (c) {
      case Call::kResume: return engine_->Resume(id);
      case Call::kSuspend: return engine_->Suspend(id);
      case Call::kCancel: return engine_->Cancel(id);
      case Call::kComplete: return CompleteAndWait(id);
      case Call::kAddFile: {
        NewFile f = HttpFile("added");
        return engine_->AddFiles(id, std::span(&f, 1));
      }
      case Call::kSetDisplayName: return engine_->SetDisplayName(id, "renamed");
      case Call::kSetDescription: return engine_->SetDescription(id, "described");
      case Call::kSetPriority: return engine_->SetPriority(id, JobPriority::kLow);
      case Call::kSetNotifyFlags: return engine_->SetNotifyFlags(id, notify::kJobTransferred);
      case Call::kSetNotifyCmdLine: return engine_->SetNotifyCmdLine(id, "/bin/true", "%JOBID%");
      case Call::kSetMinimumRetryDelay: return engine_->SetMinimumRetryDelay(id, 60);
      case Call::kSetNoProgressTimeout: return engine_->SetNoProgressTimeout(id, 7200);
      case Call::kSetProxySettings:
        return engine_->SetProxySettings(id, ProxyUsage::kNoProxy, "", "");
      case Call::kSetCustomHeaders: return engine_->SetCustomHeaders(id, "X-Test: 1");
      case Call::kSetCostPolicy: return engine_->SetCostPolicy(id, cost::kAlways);
      case Call::kTakeOwnership: return engine_->TakeOwnership(id, 1001);
      case Call::kGetError: {
        auto snap = engine_->GetJob(id);
        if (!snap.ok()) return snap.status();
        if (!snap->job.error) return Status(code::kErrorInformationUnavailable, "");
        return Status::OK();
      }
    }
    return Status(code::kUnexpected, "");
  }
};

TEST_P(StateTableTest, CallInState) {
  auto [state, call] = GetParam();
  Guid id = MakeJobIn(state);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(State(id), state);
  size_t commits_before = Commits();
  auto before = Snap(id);

  Status s = Do(id, call);
  Pump();

  Expect want = Expected(state, call);
  EXPECT_CODE(want.code, s) << JobStateName(state) << " " << CallName(call);
  auto after = Snap(id);
  EXPECT_EQ(JobStateName(after.job.state), JobStateName(want.after))
      << JobStateName(state) << " " << CallName(call);

  bool final_before = core::IsFinal(state);
  if (final_before || call == Call::kGetError) {
    // Refused (or read-only): nothing changed, nothing committed.
    EXPECT_EQ(Commits(), commits_before);
    EXPECT_EQ(after.job.files.size(), before.job.files.size());
    EXPECT_EQ(after.job.display_name, before.job.display_name);
    EXPECT_EQ(after.live, !final_before);
  }
  if (final_before) return;

  // Accepted calls are committed before they return.
  bool no_change = call == Call::kGetError ||
                   ((call == Call::kResume || call == Call::kSuspend) && want.after == state);
  if (!no_change) {
    EXPECT_GT(Commits(), commits_before) << "no commit for " << CallName(call);
    if (want.after != S::kCancelled && want.after != S::kAcknowledged) {
      ASSERT_TRUE(store_.records.count(id));
      EXPECT_EQ(JobStateName(store_.records.at(id).state), JobStateName(after.job.state));
    }
  }
  if (want.after == S::kCancelled || want.after == S::kAcknowledged) {
    EXPECT_FALSE(after.live);
    EXPECT_FALSE(engine_->IsLive(id));
    EXPECT_EQ(store_.records.count(id), 0u) << "final job still in the store";
    EXPECT_FALSE(payload_.HasJobDir(id)) << "staging kept after " << CallName(call);
  }
  if (IsSetter(call)) {
    EXPECT_GE(after.job.modification, before.job.modification);
    switch (call) {
      case Call::kAddFile: EXPECT_EQ(after.job.files.size(), before.job.files.size() + 1); break;
      case Call::kSetDisplayName: EXPECT_EQ(after.job.display_name, "renamed"); break;
      case Call::kSetDescription: EXPECT_EQ(after.job.description, "described"); break;
      case Call::kSetPriority: EXPECT_EQ(after.job.priority, JobPriority::kLow); break;
      case Call::kSetNotifyFlags: EXPECT_EQ(after.job.notify_flags, notify::kJobTransferred); break;
      case Call::kSetNotifyCmdLine: EXPECT_EQ(after.job.notify_program, "/bin/true"); break;
      case Call::kSetMinimumRetryDelay: EXPECT_EQ(after.job.min_retry_delay_s, 60u); break;
      case Call::kSetNoProgressTimeout: EXPECT_EQ(after.job.no_progress_timeout_s, 7200u); break;
      case Call::kSetProxySettings: EXPECT_EQ(after.job.proxy_usage, ProxyUsage::kNoProxy); break;
      case Call::kSetCustomHeaders: EXPECT_EQ(after.job.custom_headers, "X-Test: 1"); break;
      case Call::kSetCostPolicy: EXPECT_EQ(after.job.cost_policy, cost::kAlways); break;
      case Call::kTakeOwnership: EXPECT_EQ(after.job.owner_uid, 1001u); break;
      default: break;
    }
  }
  // GetError mapping: error info present exactly in TRANSIENT_ERROR and ERROR.
  bool has_error = after.job.state == S::kTransientError || after.job.state == S::kError;
  EXPECT_EQ(after.job.error.has_value(), has_error) << JobStateName(after.job.state);
}

constexpr JobState kAllStates[] = {S::kSuspended,      S::kQueued, S::kConnecting,
                                   S::kTransferring,   S::kTransientError,
                                   S::kError,          S::kTransferred,
                                   S::kAcknowledged,   S::kCancelled};
constexpr Call kAllCalls[] = {
    Call::kResume,          Call::kSuspend,           Call::kCancel,
    Call::kComplete,        Call::kAddFile,           Call::kSetDisplayName,
    Call::kSetDescription,  Call::kSetPriority,       Call::kSetNotifyFlags,
    Call::kSetNotifyCmdLine, Call::kSetMinimumRetryDelay, Call::kSetNoProgressTimeout,
    Call::kSetProxySettings, Call::kSetCustomHeaders, Call::kSetCostPolicy,
    Call::kTakeOwnership,   Call::kGetError};

INSTANTIATE_TEST_SUITE_P(
    AllStatesAllCalls, StateTableTest,
    ::testing::Combine(::testing::ValuesIn(kAllStates), ::testing::ValuesIn(kAllCalls)),
    [](const ::testing::TestParamInfo<std::tuple<JobState, Call>>& info) {
      std::string n = std::string(JobStateName(std::get<0>(info.param))) + "_" +
                      CallName(std::get<1>(info.param));
      for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

// Complete in TRANSFERRED delivers every file; in other states only the
// finished ones, and the unfinished files' staging is deleted.
TEST_F(EngineTest, CompleteDeliversFinishedFilesOnly) {
  Open();
  Guid id = MakeJobWithFiles(2, "p");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  t->Serve(Body(100, 'a'));
  Pump();
  auto t2 = TransferOf(id);
  ASSERT_NE(t2, nullptr);
  t2->Respond(Ok200(100));
  t2->Data(Body(30, 'b'));
  EXPECT_EQ(State(id), JobState::kTransferring);

  Status s = CompleteAndWait(id);
  EXPECT_CODE(code::kPartialComplete, s);
  EXPECT_EQ(payload_.delivered_files.size(), 1u);
  EXPECT_EQ(payload_.delivered_files[Local("p0")], Body(100, 'a'));
  EXPECT_EQ(payload_.delivered_files.count(Local("p1")), 0u);
  EXPECT_FALSE(payload_.Staged(id, 1).has_value());
  EXPECT_FALSE(t2->alive);
  auto snap = Snap(id);
  EXPECT_EQ(snap.job.state, JobState::kAcknowledged);
  ASSERT_EQ(snap.job.files.size(), 2u);
  EXPECT_TRUE(snap.job.files[0].delivered);
  EXPECT_FALSE(snap.job.files[1].delivered);
}

// semantics.md §3: a failed delivery returns the error, keeps the delivered
// files delivered and leaves the job TRANSFERRED so Complete can be retried.
TEST_F(EngineTest, CompleteDeliveryFailureKeepsJobTransferred) {
  Open();
  Guid id = MakeJobWithFiles(2, "d");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  DriveToTransferred(id, {Body(50, 'a'), Body(60, 'b')});
  // Let the first delivery succeed and the second fail.
  payload_.fail_deliver_after = 1;
  std::optional<Status> result;
  engine_->Complete(id, [&](Status s) { result = s; });
  Pump();
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(State(id), JobState::kTransferred);
  EXPECT_TRUE(engine_->IsLive(id));
  auto snap = Snap(id);
  EXPECT_TRUE(snap.job.files[0].delivered);
  EXPECT_FALSE(snap.job.files[1].delivered);
  EXPECT_TRUE(store_.records.at(id).files[0].delivered);
  EXPECT_EQ(payload_.delivered_files[Local("d0")], Body(50, 'a'));

  // Retry succeeds and delivers the rest.
  EXPECT_CODE(code::kOk, CompleteAndWait(id));
  EXPECT_EQ(payload_.delivered_files[Local("d1")], Body(60, 'b'));
  EXPECT_EQ(Snap(id).job.state, JobState::kAcknowledged);
}

}  // namespace
}  // namespace ferry::test
