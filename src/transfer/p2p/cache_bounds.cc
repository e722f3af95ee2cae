#include "transfer/p2p/cache_bounds.h"

#include <algorithm>
#include <tuple>

namespace ferry::transfer {

uint64_t CacheBound(const CacheLimits& limits, uint64_t fs_size) {
  // fs_size / 100 * percent: no overflow for any file system size.
  uint64_t bound = fs_size / 100 * limits.max_size_percent + fs_size % 100 * limits.max_size_percent / 100;
  if (limits.absolute_max_size != 0) bound = std::min(bound, limits.absolute_max_size);
  return bound;
}

std::vector<std::string> Evictions(const std::vector<core::SeedRecord>& entries, sys::WallTime now,
                                   const CacheLimits& limits, uint64_t bound) {
  std::vector<const core::SeedRecord*> lru;
  for (const core::SeedRecord& r : entries) lru.push_back(&r);
  std::sort(lru.begin(), lru.end(), [](const core::SeedRecord* a, const core::SeedRecord* b) {
    return std::tie(a->entry.last_used, a->entry.created, a->key) <
           std::tie(b->entry.last_used, b->entry.created, b->key);
  });
  uint64_t total = 0;
  for (const core::SeedRecord* r : lru) total += r->entry.size_bytes;
  std::vector<std::string> out;
  for (const core::SeedRecord* r : lru) {
    bool expired = limits.max_age.count() != 0 && now - r->entry.last_used > limits.max_age;
    if (!expired && total <= bound) break;
    out.push_back(r->key);
    total -= r->entry.size_bytes;
  }
  return out;
}

}  // namespace ferry::transfer
