// BusFixture: a private dbus-daemon for tests, so that ferryd and its
// clients never touch the machine's system or session bus.
//
// Start() writes a bus configuration into a fresh temp dir (one unix socket
// "<dir>/bus", EXTERNAL authentication, a default policy that allows every
// user to connect, own any name and send anything), runs
// `dbus-daemon --config-file=<conf> --nofork --print-address=<fd>` as a child
// in its own process group and waits (at most 10 s) for the address it
// prints. With `shared` (system-mode tests: ferryd runs as another user, and
// so do clients) the directory is made 0755 and the socket 0777 so that every
// local user can connect; otherwise both keep the creator-only defaults.
//
// Stop() sends SIGTERM to that child only, waits up to 5 s, then SIGKILLs
// its process group (ChildProcess::Terminate), reaps it and removes the
// temp dir. Bounded, idempotent.
// Not thread-safe; use from the test's thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

class TempDir;

struct BusOptions {
  bool shared = false;  // every local user may connect (dir 0755, socket 0777)
};

class BusFixture {
 public:
  static constexpr std::string_view kDaemonPath = "/usr/bin/dbus-daemon";

  BusFixture();
  ~BusFixture();  // Stop()
  BusFixture(const BusFixture&) = delete;
  BusFixture& operator=(const BusFixture&) = delete;

  // True when dbus-daemon exists and is executable.
  static bool Available();

  // E_INVALIDARG when already started; errno-style codes when dbus-daemon
  // is missing; E_UNEXPECTED (with its output) when it does not come up.
  Status Start(const BusOptions& options = {});
  void Stop();

  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  // The address to give clients ("unix:path=<dir>/bus,guid=…"); "" when
  // not started.
  const std::string& address() const { return address_; }
  // The private directory (config, socket, the daemon's output).
  std::string dir() const;

 private:
  std::unique_ptr<TempDir> dir_;
  ChildProcess child_;
  std::string address_;
};

}  // namespace ferry::test
