// ferry's D-Bus service: the manager object /org/ferry/Ferry1 and one object
// per live job /org/ferry/Ferry1/job/<32 hex>, on the bus connection that the
// engine's EventLoop drives (api/dbus/org.ferry.Ferry1.xml is the contract,
// docs/dbus-api.md its reference).
//
// Threading: everything, including construction and destruction, happens on
// the engine's loop thread. Handlers call the engine directly.
//
// Security: the caller is the uid of the message's bus credentials; only the
// job's owner or an administrator may read or change a job (E_ACCESSDENIED
// otherwise); every argument is validated before it reaches the engine; every
// handler runs behind the adaptor guard (guard.h), so no call can end ferryd.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/download.h"
#include "core/engine.h"
#include "core/seed_cache.h"
#include "sys/event_loop.h"

namespace ferry::service {

inline constexpr const char* kBusName = "org.ferry.Ferry1";
inline constexpr const char* kManagerPath = "/org/ferry/Ferry1";

struct ServiceOptions {
  // System mode: system bus, polkit for administrators, Complete needs the
  // client's descriptors, no notify command lines, no file:// URLs.
  bool system_mode = false;
  std::string bus_address;  // empty: the mode's bus (system or session)
  std::string bus_name = kBusName;
  std::string version;  // reported by GetStatus
  // DO's single downloads (engine thread, like the engine); nullptr: the
  // Download calls answer E_NOTIMPL.
  core::Downloads* downloads = nullptr;
  // The seeding cache (engine thread); nullptr: ListCache lists nothing and
  // ClearCache does nothing.
  core::SeedCacheControl* cache = nullptr;
};

struct ServiceCounters {
  size_t job_objects = 0;
  size_t callbacks = 0;  // registered (job, client) pairs
  size_t notify_programs_running = 0;
};

class Service {
 public:
  // Connects, exports the manager and an object per live job, subscribes to
  // the engine's events and claims the bus name. `on_bus_lost` runs (loop
  // thread) if the connection fails later. Errors: the name is taken or the
  // bus is unreachable (E_UNEXPECTED with a message saying which).
  static Result<std::unique_ptr<Service>> Start(core::Engine& engine, sys::EventLoop& loop,
                                                const ServiceOptions& options,
                                                std::function<void()> on_bus_lost);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Releases the bus name and stops reading calls (SIGTERM). Replies and
  // signals already queued are flushed when the Service is destroyed.
  void StopAccepting();
  ServiceCounters counters() const;

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::service
