// Engine configuration: limits (semantics.md §8), checkpoints (§6),
// scheduling and bandwidth (§5). Defaults are the documented ones; tests and
// the daemon's config file change them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/fetch_policy.h"
#include "core/policy.h"

namespace ferry::core {

struct EngineConfig {
  // Limits.
  uint32_t max_jobs_per_user = 300;   // non-administrators
  uint32_t max_files_per_job = 200;
  uint32_t max_ranges_per_file = 500;
  std::chrono::seconds max_job_age{30 * 24 * 3600};

  // Retry.
  std::chrono::seconds min_retry_delay_floor{5};  // smaller SetMinimumRetryDelay values are raised

  // Checkpoints: fdatasync staging, then commit the byte count.
  uint64_t checkpoint_bytes = 16ull << 20;
  std::chrono::milliseconds checkpoint_interval{5000};
  size_t write_buffer_bytes = 1u << 20;  // pwrite granularity (>= 64 KiB)

  // Scheduling.
  uint32_t max_background_transfers = 4;  // simultaneous background jobs
  std::chrono::seconds time_slice{300};   // same-priority rotation when others wait

  // Bandwidth, bytes/s; 0 = unlimited.
  uint64_t background_limit = 0;
  uint64_t foreground_limit = 0;

  // Notifications.
  std::chrono::milliseconds progress_coalesce{500};
  std::chrono::milliseconds redelivery_initial{1000};

  // Transfers.
  std::string ca_file;                          // extra trust anchor for HTTPS
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds max_low_speed_time{60};  // idle connection abort (capped by no-progress)

  // When adding files, checks with this process's rights that the local name
  // is not a directory and that its directory exists and is writable (user
  // mode). The system service turns this off: it cannot see users' homes
  // (ProtectHome=yes); the SDK checks with the caller's own rights.
  bool check_destination_writable = true;

  // Network-aware policy (policy.md §2-3; core/policy.h).
  PolicyConfig policy;

  // Cache servers (policy.md §4; core/fetch_policy.h).
  CacheConfig cache;

  // Peering for HTTP downloads with a content id (core/fetch_policy.h).
  PeeringConfig peering;
};

}  // namespace ferry::core
