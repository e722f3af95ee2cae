// detail::Connection: what every handle of one Manager shares — the bus
// connection (its sdbus event loop runs on its own thread), the callback
// dispatcher thread, and the callback registrations of this process.
//
// Threads: method calls are made from the caller's thread (sdbus-c++ routes
// the reply through the event-loop thread); signals arrive on the event-loop
// thread and are only queued there; callbacks run on the dispatcher thread.
// The event-loop thread never waits for the dispatcher, so a handler may call
// any SDK method (Complete included) without deadlock.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "ferry/ferry.h"
#include "sdk/dispatcher.h"
#include "sdk/download_watchers.h"
#include "sdk/errors.h"
#include "sdk/proxies.h"
#include "util/bus_paths.h"

namespace ferry::sdk {

// Thrown by Text() for a string D-Bus cannot carry; Guard answers E_INVALIDARG.
struct InvalidText {
  const char* what;
};

// A string argument for the bus. D-Bus strings end at a NUL byte, so a
// string with one inside would arrive cut short: refuse it instead.
inline std::string Text(std::string_view s, const char* what = "a string argument") {
  if (s.find('\0') != std::string_view::npos) throw InvalidText{what};
  return std::string(s);
}

// Runs `f` (which returns a Status) and turns every exception into a Status:
// no exception leaves the SDK.
template <typename F>
Status Guard(F&& f) noexcept {
  try {
    return f();
  } catch (const InvalidText& e) {
    return Status(code::kInvalidArg, std::string(e.what) + " contains a NUL character");
  } catch (const sdbus::Error& e) {
    return StatusFromDBusError(e.getName(), e.getMessage());
  } catch (const std::bad_alloc&) {
    return Status(kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    return Status(code::kUnexpected, e.what());
  } catch (...) {
    return Status(code::kUnexpected, "unknown exception");
  }
}

// Which buses Connect tries, in order, for a ConnectOptions.
struct ConnectPlan {
  enum class Bus { kSession, kSystem, kAddress };
  struct Step {
    Bus bus;
    bool require_owner;  // use this bus only when ferryd currently owns the name
  };
  std::vector<Step> steps;
  std::string address;
};
// E_INVALIDARG for kAddress without an address, or an unknown bus value.
Status PlanConnect(const ConnectOptions& options, ConnectPlan* plan);

// Why Connect found no ferryd: one entry per bus, in the order tried. The
// auto plan tries the session bus twice (running, then activatable); the
// second outcome replaces the first, so each bus is named once.
class ConnectAttempts {
 public:
  void Note(ConnectPlan::Bus bus, std::string why);
  // "session bus: org.ferry.Ferry1 not there; system bus: cannot connect: …";
  // "no bus" when nothing was tried.
  std::string ToString() const;

 private:
  std::vector<std::pair<ConnectPlan::Bus, std::string>> tried_;
};

// JobPath/JobIdFromPath: util/bus_paths.h.

// Callback back-off: 1 s, doubling, at most the job's minimum retry delay
// (and never less than 1 s).
std::chrono::seconds NextBackoff(std::chrono::seconds current, uint32_t min_retry_delay_s);

}  // namespace ferry::sdk

namespace ferry::detail {

struct Connection : std::enable_shared_from_this<Connection> {
  using Kind = sdk::ManagerProxy::Kind;

  static Status Open(const ConnectOptions& options, std::shared_ptr<Connection>* out);
  ~Connection();

  // A proxy for calls on one job object (no bus traffic to create).
  std::unique_ptr<sdk::JobProxy> NewJobProxy(const std::string& path) {
    return std::make_unique<sdk::JobProxy>(*bus, path);
  }
  // A Job handle sharing this connection. `user`: a handle the application
  // owns (see AddUser); false for the handle passed to a callback.
  std::unique_ptr<Job> NewJob(const std::string& path, const Guid& id, bool user = true);

  // The application's handles (Manager, Job, File, Error) are counted: when
  // the last one goes, callbacks stop — the one in progress is waited for
  // (unless the last handle goes inside a callback), so that no callback runs
  // after the application let go of everything (e.g. while it exits).
  // Handles made on the dispatcher thread (inside a callback) are not
  // counted: they usually die with the callback, and counting them would let
  // the application's last release skip the wait. AddUser returns whether
  // it counted; pass that to ReleaseUser.
  bool AddUser();
  void ReleaseUser(bool counted);

  // Callback registrations (Job::SetNotifyInterface).
  Status SetCallback(const std::string& path, const Guid& id, std::shared_ptr<Callback> callback);
  std::shared_ptr<Callback> GetCallback(const std::string& path);

  // DO downloads (download.cc): a handle, and the status callbacks.
  std::unique_ptr<Download> NewDownload(const std::string& path, const Guid& id, bool user = true);
  // Registers `cb` (nullptr: removes) and delivers the current status once.
  Status SetDownloadCallback(const std::string& path, const Guid& id,
                             std::shared_ptr<DownloadStatusCallback> cb);
  // Bus thread: a DownloadStatusChanged signal.
  void OnDownloadSignal(const std::string& path, const DownloadStatus& status);
  sdk::DownloadWatchers download_watchers;

  // Whether the service runs in system mode (its own user): then Complete
  // passes descriptors of files the caller opened.
  Status IsSystemMode(bool* system);

  std::unique_ptr<sdbus::IConnection> bus;
  std::unique_ptr<sdk::ManagerProxy> manager;

 private:
  struct Subscription {
    Guid id;
    std::shared_ptr<Callback> callback;
    uint64_t generation = 0;
    // A delivery of this kind is queued (coalesces repeated signals).
    bool queued[4] = {false, false, false, false};
    std::chrono::seconds backoff{1};  // next retry delay (Transferred, Error)
  };

  Connection() = default;
  // Event-loop thread: queue a delivery if this process has a callback.
  void OnSignal(Kind kind, const std::string& path, uint32_t file);
  // Queues a delivery on the dispatcher (caller holds mu_).
  void QueueLocked(Subscription& sub, Kind kind, const std::string& path, uint32_t file,
                   std::chrono::seconds delay);
  // Dispatcher thread.
  static void Deliver(std::weak_ptr<Connection> weak, Kind kind, std::string path, uint32_t file,
                      uint64_t generation);
  void DeliverOnce(Kind kind, const std::string& path, uint32_t file, uint64_t generation);
  void QueueDownload(const std::string& path, const DownloadStatus& status, uint64_t generation);

  std::atomic<int> users_{0};
  std::mutex mu_;
  std::map<std::string, Subscription> subs_;
  uint64_t next_generation_ = 1;
  std::unique_ptr<sdk::Dispatcher> dispatcher_;
};

}  // namespace ferry::detail
