#include "support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "util/status_codes.h"

extern char** environ;

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kReapTimeout{10};

// In the child: a fresh signal state (the test process may block or ignore
// signals, e.g. SIGPIPE; exec keeps both).
void ResetSignalsInChild() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
}

// In the child: `from` becomes `to` without FD_CLOEXEC.
void MoveFd(int from, int to) {
  if (from == to) {
    ::fcntl(to, F_SETFD, 0);
  } else {
    ::dup2(from, to);
  }
}

void ChildFail(const char* msg, size_t len, int code) {
  (void)!::write(2, msg, len);
  ::_exit(code);
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) KillGroup();
}

Status ChildProcess::Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (options.output_path.empty() || options.stdout_fd >= 0) return SpawnWithFds(argv, options);
  const int fd =
      ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "open " + options.output_path);
  SpawnOptions with_fd = options;
  with_fd.stdout_fd = fd;
  Status s = SpawnWithFds(argv, with_fd);
  ::close(fd);
  return s;
}

Status ChildProcess::SpawnWithFds(const std::vector<std::string>& argv,
                                  const SpawnOptions& options) {
  if (pid_ > 0) return Status(code::kInvalidArg, "the child is already running");
  if (argv.empty()) return Status(code::kInvalidArg, "no program");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (!options.env.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);
  int netns_fd = -1;
  if (!options.netns.empty()) {
    const std::string path = "/run/netns/" + options.netns;
    netns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) return ErrnoStatus(errno, "open " + path);
  }
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    int e = errno;
    if (netns_fd >= 0) ::close(netns_fd);
    return ErrnoStatus(e, "open /dev/null");
  }
  const int in = options.stdin_fd >= 0 ? options.stdin_fd : null_fd;
  const int out = options.stdout_fd >= 0 ? options.stdout_fd : null_fd;
  const int err = options.stderr_fd >= 0 ? options.stderr_fd : out;
  const bool drop = options.as.has_value();
  const UnixUser user = options.as.value_or(UnixUser{});

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(null_fd);
    if (netns_fd >= 0) ::close(netns_fd);
    return ErrnoStatus(e, "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ResetSignalsInChild();
    MoveFd(in, 0);
    MoveFd(out, 1);
    MoveFd(err, 2);
    if (options.fd3 >= 0) MoveFd(options.fd3, 3);
    static const char kNetns[] = "child: cannot join the network namespace\n";
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0)
      ChildFail(kNetns, sizeof kNetns - 1, 125);
    static const char kUser[] = "child: cannot switch user\n";
    if (drop && !DropTo(user)) ChildFail(kUser, sizeof kUser - 1, 125);
    static const char kCwd[] = "child: cannot chdir\n";
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0)
      ChildFail(kCwd, sizeof kCwd - 1, 125);
    ::execvpe(argp[0], argp.data(), envp.data());
    static const char kExec[] = "child: exec failed\n";
    ChildFail(kExec, sizeof kExec - 1, 127);
  }
  ::setpgid(pid, pid);  // also from here: no window in which KillGroup misses it
  ::close(null_fd);
  if (netns_fd >= 0) ::close(netns_fd);
  pid_ = pid;
  return Status::OK();
}

Status ChildProcess::Fork(const std::function<int()>& fn) {
  if (pid_ > 0) return Status(code::kInvalidArg, "the child is already running");
  ::fflush(nullptr);  // nothing buffered is written twice
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ResetSignalsInChild();
    int code = 1;
    try {
      code = fn();
    } catch (...) {
      code = 1;
    }
    ::fflush(nullptr);
    ::_exit(code);
  }
  ::setpgid(pid, pid);
  pid_ = pid;
  return Status::OK();
}

bool ChildProcess::Exited(int* exit_code) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    if (exit_code) *exit_code = ExitCodeOf(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: gone all the same
    pid_ = -1;
    if (exit_code) *exit_code = -1;
    return true;
  }
  return false;
}

bool ChildProcess::Wait(std::chrono::milliseconds timeout, int* exit_code) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Exited(exit_code)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool ChildProcess::Kill(int* exit_code) {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGKILL);
  return Wait(kReapTimeout, exit_code);
}

bool ChildProcess::KillGroup(int* exit_code) {
  if (pid_ <= 0) return true;
  ::kill(-pid_, SIGKILL);  // the group the child made for itself
  ::kill(pid_, SIGKILL);
  return Wait(kReapTimeout, exit_code);
}

bool ChildProcess::Terminate(std::chrono::milliseconds grace, int* exit_code) {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGTERM);
  if (Wait(grace, exit_code)) return true;
  KillGroup(exit_code);
  return false;
}

std::string CommandResult::Describe() const {
  std::string d = timed_out ? "timed out" : "exit " + std::to_string(exit_code);
  if (!out.empty()) d += ", stdout: " + out.substr(0, 4000);
  if (!err.empty()) d += ", stderr: " + err.substr(0, 4000);
  return d;
}

namespace {

// Feeds `input` to in_fd (closed once written) and collects out_fd and
// err_fd until both are closed or `deadline` passes. Takes the fds.
void Exchange(int in_fd, int out_fd, int err_fd, const std::string& input,
              Clock::time_point deadline, CommandResult* result) {
  SetNonBlocking(in_fd);
  SetNonBlocking(out_fd);
  SetNonBlocking(err_fd);
  size_t written = 0;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out_fd, POLLIN, 0};
    if (err_open) fds[n++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    ::poll(fds, n, 50);
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = ::write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      bool is_out = fds[i].fd == out_fd;
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (is_out ? result->out : result->err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        (is_out ? out_open : err_open) = false;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
}

std::chrono::milliseconds Left(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  CommandResult result;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return result;
  if (::pipe2(out, O_CLOEXEC) != 0) return result;
  if (::pipe2(err, O_CLOEXEC) != 0) return result;
  SpawnOptions so;
  so.as = options.as;
  so.env = options.env;
  so.cwd = options.cwd;
  so.netns = options.netns;
  so.stdin_fd = in[0];
  so.stdout_fd = out[1];
  so.stderr_fd = err[1];
  ChildProcess child;
  Status s = child.Spawn(argv, so);
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);
  if (!s.ok()) {
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    result.err = s.ToString();
    return result;
  }
  const auto deadline = Clock::now() + options.timeout;
  Exchange(in[1], out[0], err[0], options.stdin_data, deadline, &result);
  if (!child.Wait(Left(deadline), &result.exit_code)) {
    result.timed_out = true;
    child.KillGroup(&result.exit_code);
  }
  return result;
}

namespace {

constexpr const char* kChildEnv = "FERRY_TEST_CHILD";  // the function a RunAs child runs

std::map<std::string, ChildFunction>& ChildFunctions() {
  static std::map<std::string, ChildFunction> functions;
  return functions;
}

// The running binary's path, to execute it again.
std::string SelfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

bool RegisterChildFunction(const char* name, ChildFunction fn) {
  if (!ChildFunctions().emplace(name, fn).second) {
    std::fprintf(stderr, "child function %s registered twice\n", name);
    std::abort();
  }
  return true;
}

bool RunChildFunctionIfAsked(int argc, char** argv, int* exit_code) {
  const char* name = std::getenv(kChildEnv);
  if (!name) return false;
  const std::string function = name;
  ::unsetenv(kChildEnv);  // not inherited by what the function runs
  auto it = ChildFunctions().find(function);
  if (it == ChildFunctions().end()) {
    std::fprintf(stderr, "no child function %s in %s\n", function.c_str(), argv[0]);
    *exit_code = 1;
    return true;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    std::string out = it->second(args);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    *exit_code = 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child function %s threw: %s\n", function.c_str(), e.what());
    *exit_code = 1;
  }
  return true;
}

Status RunAs(const UnixUser& user, const std::string& function,
             const std::vector<std::string>& args, std::string* result,
             std::chrono::milliseconds timeout) {
  const std::string self = SelfPath();
  if (self.empty()) return ErrnoStatus(errno, "readlink /proc/self/exe");
  std::vector<std::string> argv = {self};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions ro;
  ro.as = user;
  ro.env[kChildEnv] = function;
  ro.timeout = timeout;
  CommandResult r = RunCommand(argv, ro);
  *result = r.out;
  const std::string who = "RunAs(" + user.name + ", " + function + ")";
  if (r.timed_out) return Status(code::kUnexpected, who + " timed out: " + r.Describe());
  if (r.exit_code == 125) return Status(code::kUnexpected, who + ": cannot switch user: " + r.err);
  if (r.exit_code != 0) return Status(code::kUnexpected, who + ": " + r.Describe());
  return Status::OK();
}

}  // namespace ferry::test
