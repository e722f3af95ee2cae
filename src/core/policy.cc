#include "core/policy.h"

#include <time.h>

#include <algorithm>

#include "core/ports.h"

namespace ferry::core {

uint32_t EffectiveCostPolicy(const JobRecord& job, const PolicyConfig& config) {
  uint32_t base = job.cost_policy & ~kCostNoCellular;
  if (base == kCostPolicyDefault)
    base = job.priority == JobPriority::kForeground ? cost::kAlways : config.background_cost_policy;
  return base | (job.cost_policy & kCostNoCellular);
}

int32_t BlockOf(const JobRecord& job, const MachineState& machine, const PolicyConfig& config) {
  if (machine.connectivity == Connectivity::kNone) return code::kBlockedByNoNetwork;
  uint32_t policy = EffectiveCostPolicy(job, config);
  if ((policy & kCostNoCellular) && machine.cellular) return code::kBlockedByCellularPolicy;
  // A reading without any bit (a source that knows nothing) is unrestricted.
  uint32_t state = machine.cost_bits & cost_state::kAll;
  if (state == 0) state = cost_state::kUnrestricted;
  if ((policy & state) == 0) return code::kBlockedByCostPolicy;
  if (job.priority != JobPriority::kForeground && machine.on_battery && machine.battery_percent &&
      *machine.battery_percent < config.min_battery_percent_for_background)
    return code::kBlockedByPowerState;
  return 0;
}

bool UploadAllowed(const MachineState& machine, const PolicyConfig& config) {
  if (!machine.on_battery) return true;
  if (config.min_battery_percent_to_upload == 0 || !machine.battery_percent) return false;
  return *machine.battery_percent >= config.min_battery_percent_to_upload;
}

bool InternetUploadAllowed(uint64_t sent_this_month, const PolicyConfig& config) {
  return config.monthly_upload_cap == 0 || sent_this_month < config.monthly_upload_cap;
}

uint32_t CostPolicyOfDownload(std::optional<uint32_t> cost_policy, bool disallow_on_cellular) {
  uint32_t bits = kCostPolicyDefault;
  if (cost_policy) {
    switch (static_cast<ferry::DownloadCostPolicy>(*cost_policy)) {
      case ferry::DownloadCostPolicy::kAlways:
        bits = cost::kAlways;
        break;
      case ferry::DownloadCostPolicy::kUnrestricted:
        bits = cost::kUnrestricted;
        break;
      case ferry::DownloadCostPolicy::kStandard:
        bits = cost::kStandard;
        break;
      case ferry::DownloadCostPolicy::kNoRoaming:
        bits = cost::kNotRoaming;
        break;
      case ferry::DownloadCostPolicy::kNoSurcharge:
        bits = cost::kNoSurcharge;
        break;
      case ferry::DownloadCostPolicy::kNoCellular:
        bits = cost::kAlways | kCostNoCellular;
        break;
    }
  }
  if (disallow_on_cellular) bits |= kCostNoCellular;
  return bits;
}

namespace {
bool Holds(const ScheduleEntry& e, int weekday, uint32_t minute) {
  auto day = [&](int d) { return (e.days >> ((d + 7) % 7)) & 1; };
  if (e.from < e.to) return day(weekday) && minute >= e.from && minute < e.to;
  if (e.from == e.to) return false;
  // Past midnight: the evening of a listed day, or the morning after it.
  return (day(weekday) && minute >= e.from) || (day(weekday - 1) && minute < e.to);
}
}  // namespace

std::optional<uint64_t> ScheduleLimit(const std::vector<ScheduleEntry>& schedule, int weekday,
                                      uint32_t minute) {
  std::optional<uint64_t> limit;
  for (const ScheduleEntry& e : schedule)
    if (Holds(e, weekday, minute))
      limit = limit ? std::min(*limit, e.bytes_per_second) : e.bytes_per_second;
  return limit;
}

std::optional<uint64_t> ScheduleLimitAt(const std::vector<ScheduleEntry>& schedule,
                                        sys::WallTime now) {
  if (schedule.empty()) return std::nullopt;
  time_t t = std::chrono::system_clock::to_time_t(now);
  struct tm local {};
  localtime_r(&t, &local);
  return ScheduleLimit(schedule, local.tm_wday,
                       static_cast<uint32_t>(local.tm_hour * 60 + local.tm_min));
}

sys::WallTime NextMinute(sys::WallTime now) {
  time_t t = std::chrono::system_clock::to_time_t(now);
  struct tm local {};
  localtime_r(&t, &local);
  time_t next = t - local.tm_sec + 60;
  return std::chrono::system_clock::from_time_t(next);
}

}  // namespace ferry::core
