// Network-aware transfer policy (policy.md §2-3): whether a job may transfer
// under the machine's current conditions, and which DO_E_BLOCKED_BY_* code
// holds it when not; the background bandwidth limit of business hours. Pure
// functions of (job, MachineState, PolicyConfig, time), unit-tested by rows;
// the engine applies them (core/engine_policy.cc, docs/policy.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/conditions.h"
#include "ferry/download_types.h"
#include "ferry/status.h"
#include "ferry/types.h"
#include "sys/clock.h"

namespace ferry::core {

struct JobRecord;

// A job whose cost policy was never set: foreground work transfers ALWAYS,
// background work under PolicyConfig::background_cost_policy.
constexpr uint32_t kCostPolicyDefault = 0;
// ferry's own bit beside a BITS policy in JobRecord::cost_policy: never on a
// cellular link (DO's DisallowOnCellular and CostPolicy NoCellular). Not a
// value a job's SetCostPolicy accepts; jobs of downloads carry it.
constexpr uint32_t kCostNoCellular = 0x00010000;

// One entry of background_limit_schedule: on the days in `days` (bit i =
// weekday i, 0 Sunday as in struct tm), from `from` to `to` (minutes after
// local midnight; from > to runs past midnight into the next day),
// background transfers share at most `bytes_per_second`.
struct ScheduleEntry {
  uint8_t days = 0x7F;
  uint32_t from = 0;  // minutes, 0-1439
  uint32_t to = 0;    // minutes, 0-1440
  uint64_t bytes_per_second = 0;
  friend bool operator==(const ScheduleEntry&, const ScheduleEntry&) = default;
};

struct PolicyConfig {
  // The cost policy of background jobs that have none of their own
  // (a BITS_JOB_TRANSFER_POLICY value).
  uint32_t background_cost_policy = cost::kUnrestricted;
  // On battery below this charge (percent), background jobs wait.
  uint32_t min_battery_percent_for_background = 20;
  // On battery, uploads to peers run only at this charge or more; 0: never.
  uint32_t min_battery_percent_to_upload = 0;
  // Bytes sent to internet peers per calendar month (the service's
  // this_month.bytes_to_internet_peers) before uploads to them stop until
  // the next month; 0: no cap. DO's default, 20 GiB.
  uint64_t monthly_upload_cap = 20ull << 30;
  std::vector<ScheduleEntry> background_limit_schedule;
};

// The cost policy that applies to `job`: its own, or the default for its
// priority; kCostNoCellular kept.
uint32_t EffectiveCostPolicy(const JobRecord& job, const PolicyConfig& config);

// The code of the block that holds `job` under `machine`, or 0 when it may
// transfer. In order: no connectivity (DO_E_BLOCKED_BY_NO_NETWORK, every
// job), a cellular link for a job with kCostNoCellular
// (DO_E_BLOCKED_BY_CELLULAR_POLICY), a cost policy without a bit of the
// network's state (DO_E_BLOCKED_BY_COST_TRANSFER_POLICY), a background job on
// battery below min_battery_percent_for_background (DO_E_BLOCKED_BY_POWER_STATE).
int32_t BlockOf(const JobRecord& job, const MachineState& machine, const PolicyConfig& config);

// True for the codes BlockOf returns.
constexpr bool IsPolicyBlock(int32_t c) {
  return c == code::kBlockedByNoNetwork || c == code::kBlockedByCellularPolicy ||
         c == code::kBlockedByCostPolicy || c == code::kBlockedByPowerState;
}

// Whether uploads to peers may run (the hook of the peer-to-peer code): on
// mains power always; on battery at min_battery_percent_to_upload or more.
bool UploadAllowed(const MachineState& machine, const PolicyConfig& config);

// Whether uploads to internet peers may run, with `sent_this_month` bytes
// sent to them this month: below monthly_upload_cap, or no cap.
bool InternetUploadAllowed(uint64_t sent_this_month, const PolicyConfig& config);

// The job's cost policy of a DO download's CostPolicy property (0-5,
// nullopt when unset) and DisallowOnCellular.
uint32_t CostPolicyOfDownload(std::optional<uint32_t> cost_policy, bool disallow_on_cellular);

// The limit of the schedule entries that hold at `weekday` (0 Sunday) and
// `minute` (after midnight): the smallest when several do; nullopt: none.
std::optional<uint64_t> ScheduleLimit(const std::vector<ScheduleEntry>& schedule, int weekday,
                                      uint32_t minute);
// The same at wall time `now`, in the machine's local time zone.
std::optional<uint64_t> ScheduleLimitAt(const std::vector<ScheduleEntry>& schedule,
                                        sys::WallTime now);
// The next whole local minute after `now` (when the schedule may change).
sys::WallTime NextMinute(sys::WallTime now);

}  // namespace ferry::core
