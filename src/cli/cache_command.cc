// ferry cache [list] [--json]: the service's seeding cache (docs/p2p.md "Seeding
// cache"), least recently used first; ferry cache clear empties it
// (administrators only in system mode).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/verbs.h"

namespace ferry::cli {
namespace {

using Clock = std::chrono::system_clock;

uint64_t Ns(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::string Age(Clock::time_point since) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - since).count();
  if (s < 0) s = 0;
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 172800) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

int CmdCache(const Globals& g) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  std::vector<CacheEntry> entries;
  if (Status s = m->ListCache(&entries); !s.ok()) return Fail(g, s, "listing the cache");
  if (g.json) {
    nlohmann::json out = nlohmann::json::array();
    auto now = Clock::now();
    for (const CacheEntry& e : entries)
      out.push_back({{"content", e.content},
                     {"info_hash_v1", e.info_hash_v1},
                     {"info_hash_v2", e.info_hash_v2},
                     {"name", e.name},
                     {"size_bytes", e.size_bytes},
                     {"created_ns", Ns(e.created)},
                     {"last_used_ns", Ns(e.last_used)},
                     {"age_seconds",
                      std::chrono::duration_cast<std::chrono::seconds>(now - e.created).count()},
                     {"bytes_uploaded", e.bytes_uploaded}});
    std::printf("%s\n", nlohmann::json({{"entries", out}}).dump(2).c_str());
    return kOk;
  }
  if (entries.empty()) {
    std::printf("The cache is empty.\n");
    return kOk;
  }
  size_t width = std::string_view("CONTENT").size();  // content ids differ in length
  for (const CacheEntry& e : entries) width = std::max(width, e.content.size());
  std::printf("%-*s %10s %6s %6s %10s  %s\n", static_cast<int>(width), "CONTENT", "SIZE", "AGE",
              "USED", "UPLOADED", "NAME");
  for (const CacheEntry& e : entries)
    std::printf("%-*s %10s %6s %6s %10s  %s\n", static_cast<int>(width), e.content.c_str(),
                HumanBytes(e.size_bytes).c_str(), Age(e.created).c_str(), Age(e.last_used).c_str(),
                HumanBytes(e.bytes_uploaded).c_str(), e.name.c_str());
  return kOk;
}

int CmdCacheClear(const Globals& g) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  if (Status s = m->ClearCache(); !s.ok()) return Fail(g, s, "clearing the cache");
  if (g.json)
    std::printf("%s\n", nlohmann::json({{"cleared", true}}).dump().c_str());
  else
    std::printf("The cache is empty.\n");
  return kOk;
}

}  // namespace

void AddCacheVerb(Verbs& v) {
  auto* c = v.app.add_subcommand(
      "cache",
      "the seeding cache: files ferryd keeps and seeds to peers (content, size, age, "
      "bytes uploaded)");
  auto* clear = c->add_subcommand("clear", "empty the cache (administrators in system mode)");
  clear->callback(v.Run([&g = v.globals] { return CmdCacheClear(g); }));
  // `ferry cache list` is `ferry cache`, as `ferry download list` lists.
  c->add_subcommand("list", "list the cache (the same as `ferry cache`)");
  c->require_subcommand(0, 1);
  c->callback([run = v.Run([&g = v.globals] { return CmdCache(g); }), clear] {
    if (!clear->parsed()) run();
  });
}

}  // namespace ferry::cli
