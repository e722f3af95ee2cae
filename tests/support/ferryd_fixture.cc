#include "support/ferryd_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

FerrydFixture::FerrydFixture() = default;

FerrydFixture::~FerrydFixture() {
  if (child_.running()) Kill9();
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
  if (child_.running()) return Status(code::kInvalidArg, "ferryd is already running");
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
  SpawnOptions so;
  so.output_path = log_path_;
  so.as = options.as;
  so.netns = options.netns;
  Status spawned = child_.Spawn(args, so);
  if (!spawned.ok()) return spawned;

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

bool FerrydFixture::Exited(int* exit_code) { return child_.Exited(exit_code); }

Status FerrydFixture::Kill9() {
  if (!child_.running()) return Status(code::kInvalidArg, "ferryd is not running");
  return child_.Kill() ? Status::OK() : Status(code::kUnexpected, "ferryd did not die after SIGKILL");
}

Status FerrydFixture::Terminate(int* exit_code, std::chrono::milliseconds timeout) {
  if (!child_.running()) return Status(code::kInvalidArg, "ferryd is not running");
  if (child_.Terminate(timeout, exit_code)) return Status::OK();
  return Status(code::kUnexpected, "ferryd did not exit within the timeout after SIGTERM");
}

}  // namespace ferry::test
