#include "support/unix_users.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "util/status_codes.h"

extern char** environ;

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Waits for `pid` until `deadline`; kills its process group (which the child
// made for itself) when the deadline passes. Returns the wait status, or -1
// when the child had to be killed.
int ReapBounded(pid_t pid, Clock::time_point deadline, bool* timed_out) {
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (Clock::now() >= deadline) {
      *timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void ResetSignalsInChild() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
}

}  // namespace

bool IsRoot() { return ::geteuid() == 0; }

bool LookupUser(const std::string& name, UnixUser* user) {
  struct passwd pw{};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  user->name = name;
  user->uid = found->pw_uid;
  user->gid = found->pw_gid;
  return true;
}

Status EnsureUser(const std::string& name, UnixUser* user) {
  if (LookupUser(name, user)) return Status::OK();
  if (!IsRoot()) return Status(code::kAccessDenied, "creating user " + name + " needs root");
  CommandResult r = RunCommand({"useradd", "--system", "--no-create-home", "--user-group",
                                "--shell", "/usr/sbin/nologin", name});
  // Another test process may have created it meanwhile (exit 9: exists).
  if (!LookupUser(name, user))
    return Status(code::kUnexpected, "useradd " + name + ": " + r.Describe());
  return Status::OK();
}

bool DropTo(const UnixUser& user) {
  gid_t groups[1] = {user.gid};
  if (::setgroups(1, groups) != 0) return false;
  if (::setgid(user.gid) != 0) return false;
  if (::setuid(user.uid) != 0) return false;
  if (user.uid != 0 && ::setuid(0) == 0) return false;
  return ::getuid() == user.uid && ::geteuid() == user.uid;
}

std::string CommandResult::Describe() const {
  std::string d = timed_out ? "timed out" : "exit " + std::to_string(exit_code);
  if (!out.empty()) d += ", stdout: " + out.substr(0, 4000);
  if (!err.empty()) d += ", stderr: " + err.substr(0, 4000);
  return d;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  CommandResult result;
  if (argv.empty()) {
    result.err = "no program";
    return result;
  }
  // Everything the child needs is built before fork: between fork and exec
  // only async-signal-safe calls are made.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!options.env.count(key)) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return result;
  if (::pipe2(out, O_CLOEXEC) != 0) return result;
  if (::pipe2(err, O_CLOEXEC) != 0) return result;
  const bool drop = options.as.has_value();
  const UnixUser user = options.as.value_or(UnixUser{});
  pid_t pid = ::fork();
  if (pid < 0) {
    result.err = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ResetSignalsInChild();
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (drop && !DropTo(user)) {
      static const char kMsg[] = "cannot switch user\n";
      (void)!::write(2, kMsg, sizeof kMsg - 1);
      ::_exit(125);
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(125);
    ::execvpe(argp[0], argp.data(), envp.data());
    static const char kMsg[] = "exec failed\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  SetNonBlocking(in[1]);
  SetNonBlocking(out[0]);
  SetNonBlocking(err[0]);
  size_t written = 0;
  if (options.stdin_data.empty()) {
    ::close(in[1]);
    in[1] = -1;
  }
  const auto deadline = Clock::now() + options.timeout;
  bool out_open = true, err_open = true;
  char buf[65536];
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in[1] >= 0) fds[n++] = {in[1], POLLOUT, 0};
    ::poll(fds, n, 50);
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in[1]) {
        ssize_t w = ::write(in[1], options.stdin_data.data() + written,
                            options.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = options.stdin_data.size();
        if (written >= options.stdin_data.size()) {
          ::close(in[1]);
          in[1] = -1;
        }
        continue;
      }
      bool is_out = fds[i].fd == out[0];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (is_out ? result.out : result.err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        (is_out ? out_open : err_open) = false;
      }
    }
  }
  if (in[1] >= 0) ::close(in[1]);
  ::close(out[0]);
  ::close(err[0]);
  int status = ReapBounded(pid, deadline, &result.timed_out);
  result.exit_code = ExitCodeOf(status);
  return result;
}

Status RunAs(const UnixUser& user, const std::function<std::string()>& fn, std::string* result,
             std::chrono::milliseconds timeout) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  ::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ResetSignalsInChild();
    ::close(p[0]);
    if (!DropTo(user)) ::_exit(2);
    int code = 0;
    std::string out;
    try {
      out = fn();
    } catch (...) {
      code = 1;
    }
    size_t off = 0;
    while (off < out.size()) {
      ssize_t w = ::write(p[1], out.data() + off, out.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    ::close(p[1]);
    ::fflush(nullptr);
    ::_exit(code);
  }
  ::close(p[1]);
  SetNonBlocking(p[0]);
  std::string got;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    pollfd pfd{p[0], POLLIN, 0};
    if (Clock::now() >= deadline) break;
    ::poll(&pfd, 1, 50);
    ssize_t r = ::read(p[0], buf, sizeof buf);
    if (r > 0) {
      got.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r == 0) break;
    if (errno != EAGAIN && errno != EINTR) break;
  }
  ::close(p[0]);
  bool timed_out = false;
  int status = ReapBounded(pid, deadline + std::chrono::seconds(5), &timed_out);
  *result = got;
  if (timed_out) return Status(code::kUnexpected, "RunAs(" + user.name + ") timed out: " + got);
  int code = ExitCodeOf(status);
  if (code == 2) return Status(code::kUnexpected, "RunAs: cannot switch to " + user.name);
  if (code != 0)
    return Status(code::kUnexpected, "RunAs(" + user.name + ") child exit " + std::to_string(code) + ": " + got);
  return Status::OK();
}

}  // namespace ferry::test
