// EngineHost: the composition root of the engine. It builds the concrete
// parts — event loop thread, worker pool, SQLite job store, staging payload
// store, HTTP(S) and file:// backends, SHA-256 — wires them into a
// core::Engine and runs it on its own thread.
//
// ferryd (next issue) is a thin host around this; tools/ferry-fetch and the
// integration tests use it directly.
//
// Threading: the engine lives on the loop thread. Call() runs a closure
// there and waits for its result; it may be called from any thread except
// the loop thread itself.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include "core/config.h"
#include "core/download.h"
#include "core/engine.h"
#include "core/seed_cache.h"
#include "sys/event_loop.h"
#include "sys/file_system.h"
#include "transfer/p2p/peer_backend.h"

namespace ferry::daemon {

struct HostOptions {
  std::string state_dir;                 // ferry.db and staging/ live here
  core::EngineConfig config;
  sys::FileSystem* fs = nullptr;         // nullptr: the real file system
  unsigned workers = 2;
  // Added to the engine's wall clock (job times, expiry). Non-zero only for
  // tests of the 30-day expiry (ferryd's `clock_offset_seconds`).
  std::chrono::seconds clock_offset{0};
  // Where the machine's network and power are read (conditions/): nullopt
  // not at all (the defaults: unmetered, connected, mains power), "" the
  // system bus, else a D-Bus address.
  std::optional<std::string> conditions_bus;
  // Torrents and magnets as sources (transfer/p2p); nullopt: none (they
  // then fail as an unsupported scheme).
  std::optional<transfer::PeerSettings> peers;
};

class EngineHost {
 public:
  // Creates the state directory (0700), opens the store (refusing a corrupt
  // or newer database), recovers jobs and starts the loop thread.
  static Result<std::unique_ptr<EngineHost>> Start(const HostOptions& options);

  // Without Shutdown(): stops the loop and drops the engine like a crashed
  // process would (nothing more synced or committed).
  ~EngineHost();

  // Checkpoints every transfer (fdatasync + commit) and stops the loop.
  Status Shutdown();

  // Runs f(engine) on the loop thread and returns its result.
  template <typename F>
  auto Call(F&& f) -> std::invoke_result_t<F, core::Engine&> {
    using R = std::invoke_result_t<F, core::Engine&>;
    std::promise<R> p;
    auto fut = p.get_future();
    loop_->Post([&] {
      if constexpr (std::is_void_v<R>) {
        f(*engine_);
        p.set_value();
      } else {
        p.set_value(f(*engine_));
      }
    });
    return fut.get();
  }

  sys::EventLoop& loop() { return *loop_; }
  // DO's single downloads over the engine (loop thread only, like the engine).
  core::Downloads* downloads() { return downloads_.get(); }
  // The seeding cache (loop thread only); nullptr without one.
  core::SeedCacheControl* cache();
  const std::string& state_dir() const { return state_dir_; }

 private:
  EngineHost() = default;
  Status OpenEngine(const core::EngineDeps& deps, const core::EngineConfig& config);
  struct Parts;
  std::string state_dir_;
  std::unique_ptr<sys::EventLoop> loop_;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<core::Downloads> downloads_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace ferry::daemon
