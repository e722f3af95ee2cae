// FerrydFixture: the built ferryd as a child process on a test's private
// bus (BusFixture), optionally as another unix user (system mode runs as
// `ferry`).
//
// Start() writes the JSON config (when given) into the fixture's own temp
// dir and spawns (ChildProcess: its own process group, stdout/stderr to a
// log file, dropped to the user)
//   ferryd (--user|--system) --bus-address ADDR --state-dir DIR
//          [--config FILE] --log-level LEVEL
// Then it polls (every 50 ms, at most `ready_timeout`) until
// org.ferry.Ferry1 has an owner on the bus (dbus-send NameHasOwner), failing
// early with the log when ferryd exits first. A fixture may be started
// again after Kill9()/Terminate() (a restart on the same state dir).
//
// Kill9() and Terminate() signal only the child's pid and always reap it;
// every wait is bounded. The destructor kills (SIGKILL) a ferryd still
// running. Not thread-safe; use from the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "ferry/status.h"
#include "support/child_process.h"
#include "support/unix_users.h"

namespace ferry::test {

class TempDir;

struct FerrydOptions {
  std::string bus_address;  // required
  std::string state_dir;    // required
  bool system_mode = false;
  std::string config_json;  // written to a file and passed with --config when not empty
  std::optional<UnixUser> as;  // default: the test's own user
  std::string log_level = "debug";
  // When not empty, ferryd runs in the network namespace /run/netns/<netns>
  // (its bus is a unix socket path: reachable from every namespace).
  std::string netns;
  std::chrono::milliseconds ready_timeout{20000};
};

class FerrydFixture {
 public:
  FerrydFixture();
  ~FerrydFixture();
  FerrydFixture(const FerrydFixture&) = delete;
  FerrydFixture& operator=(const FerrydFixture&) = delete;

  // The ferryd built with the tests (FERRYD_PATH from CMake); "" when unknown.
  static std::string BinaryPath();
  static bool Available();

  // Starts ferryd and waits until it owns org.ferry.Ferry1. E_INVALIDARG when
  // running; E_UNEXPECTED with the log when it exits or is not ready in time
  // (then it has been killed and reaped).
  Status Start(const FerrydOptions& options);
  // SIGKILL, reap (bounded).
  Status Kill9();
  // SIGTERM; waits up to `timeout` for the exit (then SIGKILL, and an error).
  // *exit_code: the exit status (128 + signal when killed by one).
  Status Terminate(int* exit_code = nullptr,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  // True when the child has exited (reaps it); *exit_code as in Terminate.
  bool Exited(int* exit_code = nullptr);
  // The current run's stdout+stderr.
  std::string Log() const;
  const FerrydOptions& options() const { return options_; }

  // True when org.ferry.Ferry1 has an owner on `bus_address`.
  static bool NameHasOwner(const std::string& bus_address);

 private:
  std::unique_ptr<TempDir> dir_;
  FerrydOptions options_;
  ChildProcess child_;
  int run_ = 0;
  std::string log_path_;
};

}  // namespace ferry::test
