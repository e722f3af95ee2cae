#include "support/ferryd_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "util/status_codes.h"

extern char** environ;

namespace ferry::test {
namespace {
using Clock = std::chrono::steady_clock;

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

FerrydFixture::FerrydFixture() = default;

FerrydFixture::~FerrydFixture() {
  if (pid_ > 0) Kill9();
}

std::string FerrydFixture::BinaryPath() {
#ifdef FERRYD_PATH
  return FERRYD_PATH;
#else
  return "";
#endif
}

bool FerrydFixture::Available() {
  std::string p = BinaryPath();
  return !p.empty() && ::access(p.c_str(), X_OK) == 0;
}

bool FerrydFixture::NameHasOwner(const std::string& bus_address) {
  RunOptions o;
  o.timeout = std::chrono::seconds(10);
  CommandResult r = RunCommand({"dbus-send", "--bus=" + bus_address, "--print-reply",
                                "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus.NameHasOwner", "string:org.ferry.Ferry1"},
                               o);
  return r.exit_code == 0 && r.out.find("boolean true") != std::string::npos;
}

std::string FerrydFixture::Log() const { return ReadFile(log_path_).value_or(""); }

Status FerrydFixture::Start(const FerrydOptions& options) {
  if (pid_ > 0) return Status(code::kInvalidArg, "ferryd is already running");
  if (!Available()) return ErrnoStatus(ENOENT, "ferryd binary " + BinaryPath());
  if (options.bus_address.empty() || options.state_dir.empty())
    return Status(code::kInvalidArg, "FerrydOptions needs bus_address and state_dir");
  options_ = options;
  if (!dir_) {
    dir_ = std::make_unique<TempDir>("ferry-ferryd");
    if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
    ::chmod(dir_->path().c_str(), 0755);  // ferryd as another user reads its config here
  }
  ++run_;
  log_path_ = dir_->Path("ferryd-" + std::to_string(run_) + ".log");
  std::vector<std::string> args = {BinaryPath(), options.system_mode ? "--system" : "--user",
                                   "--bus-address", options.bus_address, "--state-dir",
                                   options.state_dir, "--log-level", options.log_level};
  if (!options.config_json.empty()) {
    std::string conf = dir_->Path("ferryd-" + std::to_string(run_) + ".json");
    if (!WriteFile(conf, options.config_json)) return ErrnoStatus(errno, "write " + conf);
    args.push_back("--config");
    args.push_back(conf);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoStatus(errno, "open " + log_path_);
  const bool drop = options.as.has_value();
  const UnixUser user = options.as.value_or(UnixUser{});
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(log_fd);
    return ErrnoStatus(e, "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (drop && !DropTo(user)) {
      static const char kMsg[] = "ferryd fixture: cannot switch user\n";
      (void)!::write(2, kMsg, sizeof kMsg - 1);
      ::_exit(125);
    }
    ::execve(argv[0], argv.data(), environ);
    static const char kMsg[] = "ferryd fixture: exec failed\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;

  const auto deadline = Clock::now() + options.ready_timeout;
  for (;;) {
    int code = 0;
    if (Exited(&code))
      return Status(code::kUnexpected,
                    "ferryd exited (" + std::to_string(code) + ") before it was ready: " + Log());
    if (NameHasOwner(options.bus_address)) return Status::OK();
    if (Clock::now() >= deadline) {
      std::string log = Log();
      Kill9();
      return Status(code::kUnexpected, "ferryd did not own org.ferry.Ferry1 in time: " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool FerrydFixture::WaitExit(std::chrono::milliseconds timeout, int* status) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pid_t r = ::waitpid(pid_, status, WNOHANG);
    if (r == pid_) return true;
    if (r < 0 && errno == ECHILD) {
      *status = 0;
      return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool FerrydFixture::Exited(int* exit_code) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  pid_ = -1;
  if (exit_code) *exit_code = ExitCodeOf(status);
  return true;
}

Status FerrydFixture::Kill9() {
  if (pid_ <= 0) return Status(code::kInvalidArg, "ferryd is not running");
  ::kill(pid_, SIGKILL);
  int status = 0;
  bool reaped = WaitExit(std::chrono::seconds(10), &status);
  pid_ = -1;
  return reaped ? Status::OK() : Status(code::kUnexpected, "ferryd did not die after SIGKILL");
}

Status FerrydFixture::Terminate(int* exit_code, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status(code::kInvalidArg, "ferryd is not running");
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (WaitExit(timeout, &status)) {
    pid_ = -1;
    if (exit_code) *exit_code = ExitCodeOf(status);
    return Status::OK();
  }
  ::kill(pid_, SIGKILL);
  WaitExit(std::chrono::seconds(10), &status);
  pid_ = -1;
  if (exit_code) *exit_code = ExitCodeOf(status);
  return Status(code::kUnexpected, "ferryd did not exit within the timeout after SIGTERM");
}

}  // namespace ferry::test
