// The Conditions port: what the machine's services say about the network and
// the power supply (policy.md §1), as core needs it to decide whether a job
// may transfer (core/policy.h). src/conditions implements it on
// NetworkManager and UPower; tests use a fake. Core includes no D-Bus header.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ferry::core {

// BITS cost-state bits of the current network (policy.md §2). A job
// transfers iff its cost policy (BITS_JOB_TRANSFER_POLICY) shares a bit with
// the network's state.
namespace cost_state {
constexpr uint32_t kUnrestricted = 0x1;
constexpr uint32_t kCappedUsageUnknown = 0x2;
constexpr uint32_t kBelowCap = 0x4;
constexpr uint32_t kNearCap = 0x8;
constexpr uint32_t kOvercapCharged = 0x10;
constexpr uint32_t kOvercapThrottled = 0x20;
constexpr uint32_t kUsageBased = 0x40;
constexpr uint32_t kRoaming = 0x80;
constexpr uint32_t kAll = 0xFF;
}  // namespace cost_state

// NetworkManager's connectivity levels (NMConnectivityState), as ferry uses
// them: only kNone blocks transfers; kUnknown (no NetworkManager, or it does
// not check) counts as connected.
enum class Connectivity : uint32_t {
  kUnknown = 0,
  kNone = 1,
  kPortal = 2,
  kLimited = 3,
  kFull = 4
};

// One reading of the machine. The defaults are what ferry assumes when
// neither service is on the bus: an unmetered, connected, mains-powered
// machine (a server, a container).
struct MachineState {
  bool network_known = false;  // NetworkManager answered
  uint32_t cost_bits = cost_state::kUnrestricted;
  bool metered = false;   // NetworkManager's Metered: yes or guess-yes
  bool cellular = false;  // the primary link is gsm or cdma
  Connectivity connectivity = Connectivity::kUnknown;
  std::string link_type;     // PrimaryConnectionType ("802-3-ethernet", "gsm", ...), "" unknown
  bool power_known = false;  // UPower answered
  bool on_battery = false;
  std::optional<double> battery_percent;  // DisplayDevice's Percentage, when known

  friend bool operator==(const MachineState&, const MachineState&) = default;
};

// The port. Called on the engine thread only.
class Conditions {
 public:
  virtual ~Conditions() = default;
  // The latest reading.
  virtual MachineState Current() const = 0;
  // Sets the one function to call (on the engine thread, never from inside
  // Watch) after Current() changed. Replaces an earlier one; an empty
  // function stops the calls.
  virtual void Watch(std::function<void()> changed) = 0;
};

}  // namespace ferry::core
