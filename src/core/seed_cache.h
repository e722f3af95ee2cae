// The seeding cache's ports (docs/p2p.md "Seeding cache"). transfer/p2p keeps
// the cache (copies, bounds, seeding); store/ keeps its index (SeedIndex, in
// the job database); service/ lists and clears it (SeedCacheControl). core
// only names the shapes, so that none of them depends on another.
#pragma once

#include <string>
#include <vector>

#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry::core {

// One cached file as the index keeps it.
struct SeedRecord {
  std::string key;      // info_hash_v1 when the torrent has one, else info_hash_v2
  CacheEntry entry;     // what ListCache shows (times, uploads)
  std::string path;     // the cache's own copy (absolute)
  std::string torrent;  // the .torrent bytes it is seeded with
  friend bool operator==(const SeedRecord&, const SeedRecord&) = default;
};

// The index of cached files; durable when a call returns OK. Engine thread
// only.
class SeedIndex {
 public:
  virtual ~SeedIndex() = default;
  virtual Status LoadSeeds(std::vector<SeedRecord>* out) = 0;  // oldest first
  virtual Status PutSeed(const SeedRecord& record) = 0;        // insert or replace by key
  virtual Status RemoveSeed(const std::string& key) = 0;       // no such key: OK
};

// What the service may do with the cache. Engine thread only.
class SeedCacheControl {
 public:
  virtual ~SeedCacheControl() = default;
  // Least recently used first.
  virtual std::vector<CacheEntry> ListCache() = 0;
  // Stops seeding and deletes every entry (files and index rows).
  virtual Status ClearCache() = 0;
  virtual uint64_t CacheBytes() = 0;
  virtual uint64_t CacheEntries() = 0;
};

}  // namespace ferry::core
