#include "service/conditions_dict.h"

#include <vector>

#include "util/status_codes.h"

namespace ferry::service {

namespace {
const char* ConnectivityName(core::Connectivity c) {
  switch (c) {
    case core::Connectivity::kNone:
      return "none";
    case core::Connectivity::kPortal:
      return "portal";
    case core::Connectivity::kLimited:
      return "limited";
    case core::Connectivity::kFull:
      return "full";
    case core::Connectivity::kUnknown:
      break;
  }
  return "unknown";
}
}  // namespace

void AddConditions(const core::PolicyView& view, const std::function<bool(const Guid&)>& visible,
                   std::map<std::string, sdbus::Variant>* status) {
  auto& m = *status;
  const core::MachineState& s = view.machine;
  m["network_known"] = sdbus::Variant(s.network_known);
  m["metered"] = sdbus::Variant(s.metered);
  m["cellular"] = sdbus::Variant(s.cellular);
  m["connectivity"] = sdbus::Variant(std::string(ConnectivityName(s.connectivity)));
  m["link_type"] = sdbus::Variant(s.link_type);
  m["power_known"] = sdbus::Variant(s.power_known);
  m["on_battery"] = sdbus::Variant(s.on_battery);
  m["battery_percent"] = sdbus::Variant(s.battery_percent.value_or(-1.0));
  m["schedule_limit"] = sdbus::Variant(view.schedule_limit.value_or(0));
  std::map<std::string, std::vector<std::string>> blocked;
  for (const auto& [code, ids] : view.blocked) {
    std::vector<std::string> shown;
    for (const Guid& id : ids)
      if (visible(id)) shown.push_back(id.ToString());
    if (!shown.empty()) blocked[std::string(StatusCodeName(code))] = std::move(shown);
  }
  m["blocked_jobs"] = sdbus::Variant(blocked);
}

}  // namespace ferry::service
