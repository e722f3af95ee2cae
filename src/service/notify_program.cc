#include "service/notify_program.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>

#include "util/log.h"
#include "util/status_codes.h"

extern char** environ;

namespace ferry::service {

namespace {
void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}
}  // namespace

std::vector<std::string> NotifyArgv(std::string_view program, std::string_view parameters,
                                    const Guid& job, JobState state) {
  std::vector<std::string> argv{std::string(program)};
  std::string cur;
  bool in_token = false, quoted = false;
  for (char c : parameters) {
    if (c == '"') {
      quoted = !quoted;
      in_token = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (in_token) argv.push_back(std::move(cur));
      cur.clear();
      in_token = false;
    } else {
      cur += c;
      in_token = true;
    }
  }
  if (in_token) argv.push_back(std::move(cur));
  for (size_t i = 1; i < argv.size(); ++i) {
    ReplaceAll(argv[i], "%JOBID%", job.ToString());
    ReplaceAll(argv[i], "%STATE%", JobStateName(state));
  }
  return argv;
}

NotifyRunner::~NotifyRunner() {
  if (reap_timer_) loop_.CancelTimer(reap_timer_);
  // Children still running are left to finish; they are reaped by init once
  // ferryd exits.
}

Status NotifyRunner::Run(std::string_view program, std::string_view parameters, const Guid& job,
                         JobState state) {
  if (program.empty() || program[0] != '/')
    return Status(code::kInvalidArg, "the notify program is not absolute");
  std::vector<std::string> args = NotifyArgv(program, parameters, job, state);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&actions);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, args[0].c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoStatus(err, "posix_spawn " + args[0]);
  log::Info("job {}: started notify program {} (pid {})", job.ToString(), args[0], pid);
  children_.insert(pid);
  if (!reap_timer_) Reap();
  return Status::OK();
}

void NotifyRunner::Reap() {
  reap_timer_ = 0;
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    pid_t r = ::waitpid(*it, &status, WNOHANG);
    if (r == *it || (r < 0 && errno == ECHILD)) {
      if (r == *it) log::Debug("notify program pid {} exited ({})", *it, status);
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
  if (!children_.empty())
    reap_timer_ = loop_.AddTimer(std::chrono::steady_clock::now() + std::chrono::milliseconds(500),
                                 [this] { Reap(); });
}

}  // namespace ferry::service
