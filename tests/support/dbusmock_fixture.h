// DbusMockService: one python3-dbusmock template (networkmanager, upower) on
// a test's private bus, standing in for the machine's NetworkManager or
// UPower (docs/policy.md), plus the busctl calls that change what it says.
//
// Start() spawns `/usr/bin/python3 -m dbusmock --template NAME` (ChildProcess:
// its own process group, output to a log file in its own temp dir) with
// DBUS_SYSTEM_BUS_ADDRESS set to the private bus, and polls (every 20 ms, at
// most 20 s) until the template's name has an owner; it fails early with
// the log when the child exits first. Stop() sends SIGTERM to that pid only
// (then SIGKILL to its group after 5 s) and reaps it; the destructor stops
// a mock still running. Every busctl call is bounded (10 s).
// Not thread-safe; use from the test's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

class TempDir;

class DbusMockService {
 public:
  static constexpr const char* kPython = "/usr/bin/python3";

  // "networkmanager" or "upower"; `bus_name`: the name the template owns.
  DbusMockService(std::string template_name, std::string bus_name);
  ~DbusMockService();
  DbusMockService(const DbusMockService&) = delete;
  DbusMockService& operator=(const DbusMockService&) = delete;

  // True when /usr/bin/python3 can import dbusmock and busctl exists.
  static bool Available();

  Status Start(const std::string& bus_address);
  void Stop();
  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  std::string Log() const;

  // org.freedesktop.DBus.Properties.Set on `path` (busctl set-property):
  // `signature` and `values` as busctl takes them ("u", {"1"}). The mock
  // emits PropertiesChanged.
  Status SetProperty(const std::string& path, const std::string& interface,
                     const std::string& property, const std::string& signature,
                     const std::vector<std::string>& values);
  // The mock's org.freedesktop.DBus.Mock.AddProperty (a property the
  // template lacks, e.g. NetworkManager's Metered).
  Status AddProperty(const std::string& path, const std::string& interface,
                     const std::string& property, const std::string& signature,
                     const std::vector<std::string>& values);

 private:
  Status Busctl(std::vector<std::string> args);
  bool NameHasOwner();

  std::string template_name_, bus_name_, address_;
  std::unique_ptr<TempDir> dir_;
  ChildProcess child_;
};

}  // namespace ferry::test
