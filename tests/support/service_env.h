// Helpers shared by the tests that drive a real ferryd (tests/integration/
// service, tests/integration/faults, the cases' Daemon mode): a private
// dbus-daemon plus a real ferryd on it (ServiceEnv), an SDK connection to that
// bus, bounded polls through the SDK, the ferry CLI as a child process, and a
// Callback that records what it is called with. The base fixture built on
// them: support/service_test.h.
//
// These tests drive ferryd only through the SDK (ferry/ferry.h), the CLI and
// — for hostile calls — busctl; never through the engine.
//
// Every wait is a bounded poll (default 120 s) that returns an
// AssertionResult describing the job's last state, like integration_util.h.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/ferry.h"
#include "support/bus_fixture.h"
#include "support/child_process.h"
#include "support/ferryd_fixture.h"
#include "support/temp_dir.h"
#include "support/unix_users.h"

namespace ferry::test {

constexpr std::chrono::seconds kDeadline{120};

// A 1 s retry floor, so transient errors and handler back-off stay short.
std::string DefaultConfigJson();

// The path of the built `ferry` CLI; "" when it was not built.
std::string CliPath();
// True when CliPath() is an executable file.
bool CliAvailable();

// A private bus and a ferryd on it with its state in a temp dir. Start()
// skips nothing by itself: tests check Available() and GTEST_SKIP.
class ServiceEnv {
 public:
  ServiceEnv();
  ~ServiceEnv();  // ferryd first (SIGKILL if still up), then the bus

  static bool Available();  // dbus-daemon, dbus-send and ferryd are there

  // Starts the bus (shared when system_mode) and ferryd (user mode as the
  // test's user unless `opts.as` says otherwise).
  Status Start(const FerrydOptions& opts = {}, bool shared_bus = false);
  // Restarts ferryd on the same state dir (after Kill9/Terminate), with
  // `config_json` when given (else the last one).
  Status RestartFerryd(const std::string* config_json = nullptr);

  BusFixture& bus() { return bus_; }
  FerrydFixture& ferryd() { return ferryd_; }
  const std::string& address() const { return bus_.address(); }
  const std::string& state_dir() const { return state_dir_; }
  TempDir& work() { return work_; }

  // Manager::Connect to the private bus.
  Status Connect(std::unique_ptr<Manager>* manager) const;

 private:
  TempDir work_{"ferry-svc"};
  BusFixture bus_;
  FerrydFixture ferryd_;
  std::string state_dir_;
};

// "TRANSFERRING 123/456, errors 0, error 0x… …" for messages.
std::string Describe(Job& job);

// Polls the job (GetState/GetProgress through the SDK, every 20 ms) until
// pred(state, progress) holds. Fails at the deadline, when a read fails, or
// — unless `allow_error` — as soon as the job is in ERROR.
::testing::AssertionResult WaitFor(Job& job,
                                   const std::function<bool(JobState, const JobProgress&)>& pred,
                                   bool allow_error = false,
                                   std::chrono::milliseconds deadline = kDeadline);
::testing::AssertionResult WaitForState(Job& job, JobState state,
                                        std::chrono::milliseconds deadline = kDeadline);
// Polls `cond` every 10 ms until it holds or the deadline passes.
bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline = kDeadline);

// Runs the CLI with `--bus-address ADDR` prepended to `args` (unless
// `address` is empty).
CommandResult RunCli(const std::string& address, const std::vector<std::string>& args,
                     const RunOptions& options = {});

// Records every callback; JobTransferred and JobError run the hooks below
// (default: return OK) on the SDK's callback thread.
class RecordingCallback : public Callback {
 public:
  Status JobTransferred(Job& job) override;
  Status JobError(Job& job, Error& error) override;
  Status JobModification(Job& job, uint32_t reserved) override;
  Status FileTransferred(Job& job, File& file) override;

  std::function<Status(Job&)> on_transferred;
  std::function<Status(Job&, Error&)> on_error;

  int transferred() const;
  int errors() const;
  int modifications() const;
  int files_transferred() const;
  // Waits (bounded) until pred() holds; pred may call the getters above.
  bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds deadline = kDeadline);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int transferred_ = 0, errors_ = 0, modifications_ = 0, files_ = 0;
};

// Manager::Connect to the bus at `address` (a private bus, from a test's
// child process as well); null with *s set when it fails.
std::unique_ptr<Manager> ConnectTo(const std::string& address, Status* s);

// ConnectTo(address), then CreateDownload: "" or what failed ("connect …",
// "create …"), for a child function's answer.
std::string NewDownloadAt(const std::string& address, std::unique_ptr<Manager>* m,
                          std::unique_ptr<Download>* d);

// ConnectTo(address), then CreateJob(name) (a download job): "" or what
// failed ("connect …", "create …").
std::string NewJobAt(const std::string& address, const std::string& name,
                     std::unique_ptr<Manager>* m, Guid* id, std::unique_ptr<Job>* job);
// ConnectTo(address), then GetJob of the GUID text `id`: "" or what failed
// ("bad id", "connect …", "get …").
std::string GetJobAt(const std::string& address, const std::string& id, std::unique_ptr<Manager>* m,
                     std::unique_ptr<Job>* job);

// A code as messages print it ("0x80070057 (E_INVALIDARG)"), to compare.
inline std::string Hex(int32_t c) { return Status(c, "").ToString(); }

}  // namespace ferry::test
