// Real unix users for tests that need more than one identity (system-mode
// ferryd, per-user authorization), and running code or programs as them.
//
// EnsureUser() creates a user with useradd(8) when it does not exist yet
// (names like "ferrytest-a"; a system user without a home directory and
// with a nologin shell) and returns its uid/gid. Creating users needs root:
// tests call IsRoot() first and GTEST_SKIP otherwise.
//
// RunCommand() and RunAs() fork; the child drops to the user (setgroups,
// setgid, setuid — in that order, and checks that root cannot be regained)
// before it runs anything. Results come back through a pipe and the exit
// code. Every wait is bounded: a child that outlives its timeout is killed
// (SIGKILL, by its pid only — the child is put in its own process group and
// only that group is signalled) and reaped.
//
// RunAs() runs a lambda in the forked child. The child inherits a copy of a
// multi-threaded process, so the lambda must only use code that is safe to
// start fresh there (a new SDK connection is: it makes its own threads; it
// must not touch objects the parent created). Its stdout/stderr go to the
// parent's. Not thread-safe against concurrent forks of the same test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::test {

struct UnixUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// True when the effective uid is 0.
bool IsRoot();

// Looks `name` up; when absent, creates it with
// `useradd --system --no-create-home --user-group --shell /usr/sbin/nologin`.
// E_ACCESSDENIED when not root and the user is missing; the useradd output
// in the message when it fails.
Status EnsureUser(const std::string& name, UnixUser* user);
// Looks a user up by name (no creation). False when absent.
bool LookupUser(const std::string& name, UnixUser* user);

struct RunOptions {
  std::optional<UnixUser> as;                    // default: the current user
  std::map<std::string, std::string> env;        // added to (or replacing in) the environment
  std::string cwd;                               // "" = unchanged
  std::string stdin_data;                        // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{60000};
};

struct CommandResult {
  int exit_code = -1;     // exit status; 128 + signal when killed by a signal; -1 when not run
  bool timed_out = false;
  std::string out;        // stdout
  std::string err;        // stderr (also the reason when the program could not be started)
  // "exit 3, stderr: …" for assertion messages.
  std::string Describe() const;
};

// Runs argv[0] (a path, or a name looked up in PATH) with argv. Never throws.
CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// Forks; the child switches to `user` and runs `fn`, writes the returned
// string into a pipe and exits 0 (or 1 when `fn` throws, 2 when the user
// switch failed). The parent returns the string through *result.
// E_UNEXPECTED with the reason when the child failed or timed out.
Status RunAs(const UnixUser& user, const std::function<std::string()>& fn, std::string* result,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

// Drops the calling process to `user` (setgroups({gid}), setgid, setuid;
// then verifies setuid(0) fails when user.uid != 0). For forked children.
bool DropTo(const UnixUser& user);

}  // namespace ferry::test
