#include "conditions/readings.h"

namespace ferry::conditions {

namespace {

template <typename T>
void Take(const PropertyMap& m, const char* name, T* out) {
  auto it = m.find(name);
  if (it == m.end()) return;
  if (const T* v = std::get_if<T>(&it->second)) *out = *v;
}

constexpr uint32_t kNmStateConnectedLocal = 50;

}  // namespace

void ApplyNetworkProperties(const PropertyMap& changed, NetworkReading* r) {
  Take(changed, "Metered", &r->metered);
  Take(changed, "Connectivity", &r->connectivity);
  Take(changed, "State", &r->state);
  Take(changed, "PrimaryConnectionType", &r->primary_type);
}

void ApplyUPowerProperties(const PropertyMap& changed, PowerReading* r) {
  Take(changed, "OnBattery", &r->on_battery);
}

void ApplyDisplayDeviceProperties(const PropertyMap& changed, PowerReading* r) {
  Take(changed, "IsPresent", &r->display_present);
  Take(changed, "Percentage", &r->percentage);
}

core::MachineState ToMachineState(const NetworkReading& network, const PowerReading& power) {
  core::MachineState m;
  if (network.present) {
    m.network_known = true;
    m.metered = network.metered == 1 || network.metered == 3;
    m.cost_bits =
        m.metered ? core::cost_state::kCappedUsageUnknown : core::cost_state::kUnrestricted;
    m.link_type = network.primary_type;
    m.cellular = network.primary_type == "gsm" || network.primary_type == "cdma";
    bool down =
        network.connectivity == 1 || (network.state != 0 && network.state < kNmStateConnectedLocal);
    m.connectivity = down ? core::Connectivity::kNone
                     : network.connectivity <= 4
                         ? static_cast<core::Connectivity>(network.connectivity)
                         : core::Connectivity::kUnknown;
  }
  if (power.present) {
    m.power_known = true;
    m.on_battery = power.on_battery;
    if (power.display_present) m.battery_percent = power.percentage;
  }
  return m;
}

}  // namespace ferry::conditions
