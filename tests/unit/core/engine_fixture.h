// EngineTest: a core::Engine on a FakeClock, ManualExecutors, in-memory
// stores and a scripted backend, with helpers that drive jobs into each
// state. Everything runs on the test thread except the engine's hashing
// thread (see PumpUntil).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/engine.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"
#include "unit/core/fakes.h"

namespace ferry::test {

using core::Engine;
using core::EngineConfig;
using core::JobSnapshot;
using core::NewFile;
using namespace std::chrono_literals;

// Code of a Status as a printable hex value, for readable failures.
std::string CodeName(int32_t c);
#define EXPECT_CODE(expected, status_expr)                                           \
  EXPECT_EQ(::ferry::test::CodeName(expected),                                  \
            ::ferry::test::CodeName((status_expr).code()))
#define ASSERT_CODE(expected, status_expr)                                           \
  ASSERT_EQ(::ferry::test::CodeName(expected),                                  \
            ::ferry::test::CodeName((status_expr).code()))

using S = JobState;  // the states, briefly

class EngineTest : public ::testing::Test {
 protected:
  EngineTest();
  ~EngineTest() override;

  // Opens the engine with cfg_ (tests change cfg_ first). Subscribes consumer_.
  void Open();
  // Destroys the engine like a crash (no Shutdown), keeping the stores.
  void Crash();
  void Reopen() { Crash(); Open(); }

  // Drains both executors and overdue timers until nothing is left to do.
  void Pump();
  // Moves fake time forward by `d`, one deadline at a time, pumping between.
  void RunFor(sys::Duration d);
  // Pump() until pred() holds, waiting (real time, bounded) for work posted
  // by the engine's hashing thread. Returns pred().
  bool PumpUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s);

  // --- Jobs ---
  Guid NewJob(std::string name = "job", core::Caller caller = {1000, false});
  NewFile HttpFile(const std::string& name);
  std::string Url(const std::string& name) const { return "http://origin.test/" + name; }
  std::string Local(const std::string& name) const { return dir_.Path(name); }
  // A SUSPENDED job with `n` files f0..f(n-1) (names prefixed by `prefix`).
  Guid MakeJobWithFiles(int n = 1, const std::string& prefix = "f");
  // A SUSPENDED job with one file named `name` (URL Url(name), local Local(name)).
  Guid MakeJobWithFile(const std::string& name = "f0");

  JobSnapshot Snap(const Guid& id);
  JobState State(const Guid& id);
  // The statistics of one file of `id`, as the engine reports them.
  FileStats StatsOf(const Guid& id, uint32_t file = 0);
  // The live transfer of `id`'s current file, or nullptr.
  std::shared_ptr<TransferHandle> TransferOf(const Guid& id);
  // Serves every remaining file of a running job with `body` (same bytes for
  // each file unless bodies given) until TRANSFERRED.
  void DriveToTransferred(const Guid& id, const std::vector<std::string>& bodies = {});
  // Calls Complete and pumps; returns the status passed to `done`.
  Status CompleteAndWait(const Guid& id);
  size_t Commits() const { return store_.batches.size(); }

  // Puts a fresh job (one file, "body" of 100 bytes) into `state`. For
  // QUEUED a blocker job occupies the only background slot (needs
  // cfg_.max_background_transfers == 1).
  Guid MakeJobIn(JobState state);

  static std::string Body(size_t n, char seed = 'a');

  test::TempDir dir_{"ferry-core-test"};
  test::FakeClock clock_;
  GuardedClock guard_{&clock_};  // what the engine sees
  ManualExecutor loop_, workers_;
  FakeJobStore store_;
  FakePayloadStore payload_;
  ScriptedBackend backend_;
  EngineConfig cfg_;
  core::Conditions* conditions_ = nullptr;  // set before Open (policy tests)
  core::FetchMaker* peers_ = nullptr;        // set before Open (upload tests)
  std::unique_ptr<Engine> engine_;
  RecordingConsumer consumer_{&clock_};
  uint64_t sub_id_ = 0;
  core::Caller user_{1000, false};
  int next_blocker_ = 0;
};

// An EngineTest whose engine is opened by SetUp, with the default cfg_.
class OpenEngineTest : public EngineTest {
 protected:
  void SetUp() override { Open(); }
};

}  // namespace ferry::test
