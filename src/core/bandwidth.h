// A token bucket for a global bandwidth limit (semantics.md §5). Bytes are
// debited as they arrive; when the balance goes negative, transfers pause
// until DelayUntilPositive() has passed. The burst (bucket depth) is a tenth
// of a second of the rate (at least 64 KiB), so that a measured rate over a
// few seconds stays within a few percent of the limit.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "sys/clock.h"

namespace ferry::core {

class TokenBucket {
 public:
  // rate 0 = unlimited.
  void SetRate(uint64_t bytes_per_second, sys::WallTime now) {
    Refill(now);
    rate_ = bytes_per_second;
    burst_ = std::max<int64_t>(static_cast<int64_t>(rate_ / 10), 64 * 1024);
    tokens_ = std::min(tokens_, burst_);
  }
  uint64_t rate() const { return rate_; }
  bool limited() const { return rate_ != 0; }

  // Takes n bytes. Returns true while the balance stays >= 0.
  bool Consume(uint64_t n, sys::WallTime now) {
    if (!rate_) return true;
    Refill(now);
    tokens_ -= static_cast<int64_t>(n);
    return tokens_ >= 0;
  }
  // The balance now (negative after an overdraft).
  int64_t Available(sys::WallTime now) {
    Refill(now);
    return tokens_;
  }
  // How long until the balance is at least `n` (capped at the burst).
  sys::Duration DelayUntilTokens(int64_t n, sys::WallTime now) {
    if (!rate_) return sys::Duration(0);
    Refill(now);
    n = std::min(n, burst_);
    if (tokens_ >= n) return sys::Duration(0);
    double secs = static_cast<double>(n - tokens_) / static_cast<double>(rate_);
    return std::chrono::duration_cast<sys::Duration>(std::chrono::duration<double>(secs));
  }
  // How long until the balance is back to >= 0 (0 when it already is).
  sys::Duration DelayUntilPositive(sys::WallTime now) {
    if (!rate_) return sys::Duration(0);
    Refill(now);
    if (tokens_ >= 0) return sys::Duration(0);
    double secs = static_cast<double>(-tokens_) / static_cast<double>(rate_);
    return std::chrono::duration_cast<sys::Duration>(std::chrono::duration<double>(secs));
  }

 private:
  void Refill(sys::WallTime now) {
    if (last_ == sys::WallTime{}) last_ = now;
    if (now <= last_) return;
    if (rate_) {
      double add = std::chrono::duration<double>(now - last_).count() * static_cast<double>(rate_);
      tokens_ = std::min<int64_t>(burst_, tokens_ + static_cast<int64_t>(add));
    }
    last_ = now;
  }
  uint64_t rate_ = 0;
  int64_t burst_ = 64 * 1024;
  int64_t tokens_ = 0;
  sys::WallTime last_{};
};

// The bytes an attempt may take in one bandwidth round: `global_share`, its
// part of the global bucket of its priority (INT64_MAX when that bucket is
// unlimited), capped by what its job's own bucket holds when the job has a
// limit (Job::SetMaximumRate). <= 0: the attempt stays paused this round.
inline int64_t RoundQuota(int64_t global_share, TokenBucket& job_bucket, sys::WallTime now) {
  if (!job_bucket.limited()) return global_share;
  return std::min(global_share, job_bucket.Available(now));
}

}  // namespace ferry::core
