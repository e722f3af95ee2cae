// The one way tests run other programs: ChildProcess for long-lived children
// (the private dbus-daemon, nginx, ferryd), RunCommand for a program run to
// completion with its output captured (the CLI, busctl, useradd), RunAs for a
// registered function run as another user in a new process (the test binary
// executed again).
//
// Every child is put in a process group of its own (its pgid is its pid), so
// that KillGroup() reaches what it started (nginx's workers) and nothing
// else. Signals go to that pid or that group only. Every wait is bounded; a
// child still running when its ChildProcess is destroyed is SIGKILLed and
// reaped.
//
// Between fork and exec the child makes only async-signal-safe calls (and
// the setgroups/setgid/setuid of DropTo): everything it needs is built
// before the fork. Not thread-safe: one ChildProcess is used from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/status.h"
#include "support/unix_users.h"

namespace ferry::test {

struct SpawnOptions {
  std::optional<UnixUser> as;              // drop to this user before exec; default: ours
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::string cwd;                         // "" = unchanged
  // The child's stdin, stdout and stderr. -1: /dev/null for stdin and stdout,
  // stdout's for stderr. The caller keeps (and closes) its own descriptors.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int fd3 = -1;  // when >= 0, the child's fd 3 (dbus-daemon --print-address=3)
  // When not empty and stdout_fd is -1: the child's stdout (and stderr,
  // unless stderr_fd is set) go to this file, created or truncated (0644).
  std::string output_path;
  // When not empty, the child joins the network namespace /run/netns/<netns>
  // (setns, before dropping to `as`) and so sees only that namespace's
  // interfaces; the file system is shared. A missing namespace fails Spawn
  // with its errno code.
  std::string netns;
};

// The exit code of a waitpid status: the exit status, 128 + signal when
// killed by one, -1 otherwise.
int ExitCodeOf(int wait_status);

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // KillGroup() when still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Execs argv[0] (a path, or a name looked up in PATH). E_INVALIDARG when
  // already running or argv is empty; errno-style codes when fork fails. A
  // failed exec or user switch shows as the child's exit (127, 125) with a
  // line on its stderr.
  Status Spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  // Forks; the child (its signals reset, in its own group) runs `fn` and
  // _exits with what it returns (1 when it throws). Stdio is inherited.
  Status Fork(const std::function<int()>& fn);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Reaps the child if it has exited, without waiting; true when it is gone.
  // *exit_code as ExitCodeOf (set only when this call reaped it).
  bool Exited(int* exit_code = nullptr);
  // Waits up to `timeout` for the child to exit; true when it did.
  bool Wait(std::chrono::milliseconds timeout, int* exit_code = nullptr);
  // SIGKILL to the child's pid only; reaps (bounded: 10 s). True when reaped.
  bool Kill(int* exit_code = nullptr);
  // SIGKILL to the child's process group and pid; reaps (bounded: 10 s).
  bool KillGroup(int* exit_code = nullptr);
  // SIGTERM to the pid; after `grace`, KillGroup(). True when the child
  // exited within `grace`.
  bool Terminate(std::chrono::milliseconds grace, int* exit_code = nullptr);

 private:
  Status SpawnWithFds(const std::vector<std::string>& argv, const SpawnOptions& options);

  pid_t pid_ = -1;
};

struct RunOptions {
  std::optional<UnixUser> as;              // default: the current user
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::string cwd;                         // "" = unchanged
  std::string stdin_data;                  // written to the child's stdin, then closed
  std::string netns;                       // as SpawnOptions::netns
  std::chrono::milliseconds timeout{60000};
};

struct CommandResult {
  int exit_code = -1;  // exit status; 128 + signal when killed by a signal; -1 when not run
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr (also the reason when the program could not be started)
  // "exit 3, stderr: …" for assertion messages.
  std::string Describe() const;
};

// Runs argv[0] (a path, or a name looked up in PATH) with argv and waits for
// it (bounded by options.timeout; then its group is killed). Never throws.
CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// RunAs: code run as another user, in a new process.
//
// The test binary is executed again (as `user`), and instead of its tests it
// runs one function registered by name with FERRY_CHILD_FUNCTION, with the
// string arguments given, and prints what the function returns on stdout.
// Exec, not a bare fork: the forked copy of a multi-threaded test process may
// not start threads of its own (ThreadSanitizer cannot follow them, and
// locks held by the parent's other threads stay held), while the SDK a child
// runs always does. The function sees nothing of the parent but its
// arguments.
using ChildFunction = std::string (*)(const std::vector<std::string>& args);

// Registers `fn` as `name` at static initialization (FERRY_CHILD_FUNCTION);
// a name registered twice aborts the binary. Returns true.
bool RegisterChildFunction(const char* name, ChildFunction fn);

// Defines and registers a child function:
//   FERRY_CHILD_FUNCTION(CreateAJob) { ... return "id " + id.ToString(); }
// `args` is the vector RunAs was given. Names are global to the test binary.
#define FERRY_CHILD_FUNCTION(name)                        \
  std::string name(const std::vector<std::string>& args); \
  [[maybe_unused]] const bool name##_registered =         \
      ::ferry::test::RegisterChildFunction(#name, &name); \
  std::string name([[maybe_unused]] const std::vector<std::string>& args)

// For main(): when this process was started by RunAs, runs the function it
// names, writes the result to stdout and returns true with the exit code in
// *exit_code (0; 1 when the function threw or is not registered). False in
// a normal test run.
bool RunChildFunctionIfAsked(int argc, char** argv, int* exit_code);

// Runs the child function `function` as `user` with `args`, bounded by
// `timeout`; its stdout in *result. E_UNEXPECTED with the reason (and the
// child's stderr: a sanitizer report, say) when the child could not switch
// user (exit 125), could not exec (127), failed, or timed out.
Status RunAs(const UnixUser& user, const std::string& function,
             const std::vector<std::string>& args, std::string* result,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

}  // namespace ferry::test
