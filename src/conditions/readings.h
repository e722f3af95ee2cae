// What NetworkManager and UPower say, as raw property values, and the one
// function that turns them into core's MachineState (policy.md §1-2). Pure:
// unit-tested by rows without a bus.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "core/conditions.h"

namespace ferry::conditions {

// NetworkManager's org.freedesktop.NetworkManager properties ferry reads.
struct NetworkReading {
  bool present = false;       // the service owns its name and answered
  uint32_t metered = 0;       // NMMetered: 0 unknown, 1 yes, 2 no, 3 guess-yes, 4 guess-no
  uint32_t connectivity = 0;  // NMConnectivityState: 0 unknown, 1 none, 2 portal, 3 limited, 4 full
  uint32_t state = 0;         // NMState: 10 asleep ... 70 connected-global
  std::string primary_type;   // PrimaryConnectionType
};

// UPower's OnBattery and its DisplayDevice's Percentage (meaningful only
// while the DisplayDevice IsPresent).
struct PowerReading {
  bool present = false;
  bool on_battery = false;
  bool display_present = false;
  double percentage = 0;
};

// A property value as read off the bus, reduced to what these services use.
using PropertyValue = std::variant<std::monostate, bool, uint32_t, double, std::string>;
using PropertyMap = std::map<std::string, PropertyValue>;

// Applies the properties in `changed` that ferry reads; others are ignored,
// as are values of an unexpected type.
void ApplyNetworkProperties(const PropertyMap& changed, NetworkReading* reading);
void ApplyUPowerProperties(const PropertyMap& changed, PowerReading* reading);
void ApplyDisplayDeviceProperties(const PropertyMap& changed, PowerReading* reading);

// The machine as core sees it: metered (yes, guess-yes) gives
// CAPPED_USAGE_UNKNOWN, anything else UNRESTRICTED; a gsm/cdma primary link
// is cellular; connectivity none, or a state below connected-local (asleep,
// disconnected, disconnecting, connecting), is no network. An absent service
// leaves its part at MachineState's defaults.
core::MachineState ToMachineState(const NetworkReading& network, const PowerReading& power);

}  // namespace ferry::conditions
