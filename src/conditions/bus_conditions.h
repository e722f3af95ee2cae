// BusConditions: core's Conditions port on NetworkManager and UPower over a
// D-Bus bus (the system bus in ferryd; a private bus in tests), with
// sdbus-c++ (policy.md §1).
//
// It reads NetworkManager's Metered, Connectivity, State and
// PrimaryConnectionType, UPower's OnBattery and its DisplayDevice's
// Percentage, and follows their PropertiesChanged signals. A service that is
// not on the bus leaves its part at the defaults (unmetered, connected, on
// mains power; logged once); one that appears later or restarts
// (NameOwnerChanged) is read again. Without a bus at all, the defaults hold.
//
// Threading: the connection runs its own event-loop thread (sdbus-c++'s
// enterEventLoopAsync); what it learns is posted to `loop`, the engine
// thread, which is where Current() and Watch() are called and where the
// watcher runs. Destroy on the engine thread; no callback runs afterwards.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "conditions/readings.h"
#include "core/conditions.h"
#include "sys/executor.h"
#include "sys/lifetime.h"

namespace sdbus {
class IConnection;
class IProxy;
}  // namespace sdbus

namespace ferry::conditions {

class BusConditions final : public core::Conditions {
 public:
  // `address`: "" for the system bus, else a D-Bus address.
  BusConditions(sys::Executor& loop, std::string address);
  ~BusConditions() override;
  BusConditions(const BusConditions&) = delete;
  BusConditions& operator=(const BusConditions&) = delete;

  // Connects, reads both services (each call bounded by a one-second
  // timeout) and starts following them. Never fails: what cannot be read
  // keeps its defaults. Current() holds the first reading when it returns.
  void Start();

  core::MachineState Current() const override { return current_; }
  void Watch(std::function<void()> changed) override { changed_ = std::move(changed); }

 private:
  void Connect();
  void Subscribe();
  // Reads a service's properties: synchronously at Start, asynchronously
  // (from the bus thread) when its owner appears.
  void ReadNetwork(bool sync);
  void ReadPower(bool sync);
  void OnNameOwnerChanged(const std::string& name, const std::string& new_owner);
  void NoteAbsent(const char* service, bool* logged);
  // Bus thread: the readings changed; the engine thread recomputes Current().
  void Publish();
  void Update();  // engine thread

  sys::Executor& loop_;
  std::string address_;
  std::unique_ptr<sdbus::IConnection> conn_;
  std::unique_ptr<sdbus::IProxy> bus_proxy_, nm_proxy_, upower_proxy_, display_proxy_;
  bool loop_running_ = false;

  mutable std::mutex mu_;  // guards the readings (bus thread and engine thread)
  NetworkReading network_;
  PowerReading power_;
  bool nm_absent_logged_ = false, upower_absent_logged_ = false;

  core::MachineState current_;  // engine thread
  std::function<void()> changed_;
  sys::Lifetime lifetime_;  // last: posted updates die first
};

}  // namespace ferry::conditions
