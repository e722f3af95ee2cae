#include "daemon/ferryd.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <memory>

#include "daemon/engine_host.h"
#include "lib/systemd/notify.h"
#include "service/service.h"
#include "util/log.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace ferry::daemon {

namespace {

// Loop-thread state of a running ferryd.
struct Runtime {
  EngineHost* host = nullptr;
  core::Engine* engine = nullptr;
  std::unique_ptr<service::Service> service;
  Settings settings;
  int signal_fd = -1;
  std::promise<int> exit_code;
  bool exiting = false;
  uint64_t status_timer = 0, watchdog_timer = 0;
  uint64_t last_bytes = 0;
  std::chrono::steady_clock::time_point last_sample = std::chrono::steady_clock::now();

  void Exit(int code) {
    if (exiting) return;
    exiting = true;
    if (service) service->StopAccepting();
    exit_code.set_value(code);
  }

  void OnSignal() {
    signalfd_siginfo si{};
    while (::read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
        log::Info("signal {}: checkpointing every transfer and exiting", si.ssi_signo);
        lib::systemd::Notify("STOPPING=1");
        Exit(0);
      }
    }
  }

  void PublishStatus() {
    status_timer = 0;
    if (exiting) return;
    core::EngineStats st = engine->Stats();
    uint64_t bytes = 0;
    uint32_t jobs = 0;
    for (const Guid& id : engine->EnumJobs(std::nullopt)) {
      auto snap = engine->GetJob(id);
      if (snap.ok()) bytes += snap->progress.bytes_transferred;
      ++jobs;
    }
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - last_sample).count();
    double rate = (secs > 0 && bytes >= last_bytes) ? (bytes - last_bytes) / secs : 0;
    last_bytes = bytes;
    last_sample = now;
    auto count = [&](JobState s) {
      auto it = st.jobs_by_state.find(s);
      return it == st.jobs_by_state.end() ? 0u : it->second;
    };
    std::string text = fmt::format(
        "{} jobs: {} transferring, {} queued, {} suspended, {} transferred, {} in error; {:.1f} "
        "KiB/s",
        jobs, count(JobState::kTransferring) + count(JobState::kConnecting),
        count(JobState::kQueued), count(JobState::kSuspended), count(JobState::kTransferred),
        count(JobState::kError) + count(JobState::kTransientError), rate / 1024);
    lib::systemd::Notify("STATUS=" + text);
    status_timer =
        host->loop().AddTimer(now + settings.status_interval, [this] { PublishStatus(); });
  }

  void Watchdog(std::chrono::microseconds interval) {
    watchdog_timer = 0;
    if (exiting) return;
    lib::systemd::Notify("WATCHDOG=1");
    watchdog_timer = host->loop().AddTimer(std::chrono::steady_clock::now() + interval / 2,
                                           [this, interval] { Watchdog(interval); });
  }
};

// Signals go to the loop through a signalfd; they are blocked before any
// thread exists so that every thread inherits the mask.
sigset_t BlockSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return mask;
}

HostOptions HostOptionsFor(const Options& options, const Settings& settings) {
  HostOptions ho;
  ho.state_dir = options.state_dir;
  ho.config = settings.engine;
  // The system service cannot judge the caller's rights on a destination:
  // the caller opens the file itself at Complete.
  if (options.mode == Options::Mode::kSystem) ho.config.check_destination_writable = false;
  ho.clock_offset = settings.clock_offset;
  ho.conditions_bus = ConditionsBus(options, settings);
  ho.peers = settings.peers;
  ho.peers->cache_dir = options.cache_dir;
  // The cache is the host's: ferryd's own mode fences its content seeds.
  ho.peers->cache.content_lan_only = settings.engine.peering.mode == DownloadMode::kLan;
  if (settings.clock_offset.count() != 0)
    log::Warn("clock_offset_seconds = {}: the engine's clock is shifted (tests only)",
              settings.clock_offset.count());
  return ho;
}

// On the engine thread: the D-Bus service, the signalfd, the status and
// watchdog timers.
Status StartService(Runtime& rt, EngineHost& host, const service::ServiceOptions& so,
                    const sigset_t& mask) {
  return host.Call([&](core::Engine& engine) -> Status {
    rt.engine = &engine;
    auto svc = service::Service::Start(engine, host.loop(), so, [&rt] {
      log::Error("lost the D-Bus connection; exiting");
      rt.Exit(1);
    });
    if (!svc.ok()) return svc.status();
    rt.service = std::move(svc.value());
    rt.signal_fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (rt.signal_fd >= 0)
      host.loop().WatchFd(rt.signal_fd, sys::EventLoop::kReadable,
                          [&rt](int, uint32_t) { rt.OnSignal(); });
    rt.PublishStatus();
    if (auto wd = lib::systemd::WatchdogInterval()) rt.Watchdog(*wd);
    return Status::OK();
  });
}

// On the engine thread: undoes StartService.
void StopService(Runtime& rt, EngineHost& host) {
  host.Call([&](core::Engine&) {
    if (rt.status_timer) host.loop().CancelTimer(rt.status_timer);
    if (rt.watchdog_timer) host.loop().CancelTimer(rt.watchdog_timer);
    if (rt.signal_fd >= 0) {
      host.loop().UnwatchFd(rt.signal_fd);
      ::close(rt.signal_fd);
    }
    rt.service.reset();
  });
}

}  // namespace

int Run(const Options& options, const Settings& settings) {
  bool system_mode = options.mode == Options::Mode::kSystem;
  sigset_t mask = BlockSignals();

  auto host_or = EngineHost::Start(HostOptionsFor(options, settings));
  if (!host_or.ok()) {
    std::fprintf(stderr, "ferryd: cannot open the job store in %s (database %s/ferry.db): %s\n",
                 options.state_dir.c_str(), options.state_dir.c_str(),
                 host_or.status().ToString().c_str());
    std::fprintf(stderr, "ferryd: refusing to start; the database was left untouched.\n");
    return 1;
  }
  std::unique_ptr<EngineHost> host = std::move(host_or.value());

  Runtime rt;
  rt.host = host.get();
  rt.settings = settings;
  service::ServiceOptions so;
  so.system_mode = system_mode;
  so.bus_address = options.bus_address;
  so.version = FERRY_VERSION;
  so.downloads = host->downloads();
  so.cache = host->cache();
  if (Status started = StartService(rt, *host, so, mask); !started.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", started.message().c_str());
    host->Shutdown();
    return 1;
  }
  lib::systemd::Notify("READY=1");
  log::Info("ferryd {} ready ({} mode, state in {})", FERRY_VERSION,
            system_mode ? "system" : "user", options.state_dir);

  int code = rt.exit_code.get_future().get();
  StopService(rt, *host);
  Status s = host->Shutdown();
  if (!s.ok()) {
    log::Error("shutdown: {}", s.ToString());
    if (code == 0) code = 1;
  }
  log::Info("ferryd stopped");
  return code;
}

std::optional<std::string> ConditionsBus(const Options& options, const Settings& settings) {
  std::string bus = !options.conditions_bus.empty()    ? options.conditions_bus
                    : !settings.conditions_bus.empty() ? settings.conditions_bus
                                                       : "system";
  if (bus == "none") return std::nullopt;
  if (bus == "system") return std::string();
  if (bus == "service") return options.bus_address;
  return bus;
}

}  // namespace ferry::daemon
