// The manager's seeding-cache calls (docs/dbus-api.md "ListCache",
// "ClearCache"; docs/p2p.md "Seeding cache").
#include "service/errors.h"
#include "service/guard.h"
#include "service/job_info.h"
#include "service/service_impl.h"
#include "util/log.h"

namespace ferry::service {

// Every caller may list the cache, as every caller may read the statistics:
// it holds content the service fetched, not anyone's job.
std::vector<std::map<std::string, sdbus::Variant>> ManagerObject::ListCache() {
  return Guarded("ListCache", [&] {
    std::vector<std::map<std::string, sdbus::Variant>> out;
    if (svc_.options.cache == nullptr) return out;
    for (const CacheEntry& e : svc_.options.cache->ListCache()) {
      std::map<std::string, sdbus::Variant>& m = out.emplace_back();
      m["content"] = sdbus::Variant(e.content);
      m["info_hash_v1"] = sdbus::Variant(e.info_hash_v1);
      m["info_hash_v2"] = sdbus::Variant(e.info_hash_v2);
      m["name"] = sdbus::Variant(e.name);
      m["size_bytes"] = sdbus::Variant(e.size_bytes);
      m["created_ns"] = sdbus::Variant(ToNanos(e.created));
      m["last_used_ns"] = sdbus::Variant(ToNanos(e.last_used));
      m["bytes_uploaded"] = sdbus::Variant(e.bytes_uploaded);
    }
    return out;
  });
}

void ManagerObject::ClearCache() {
  Guarded("ClearCache", [&] {
    CallContext c = svc_.Who(getObject());
    if (svc_.options.system_mode && !svc_.IsAdmin(c))
      throw StatusError(
          Status(code::kAccessDenied, "clearing the seeding cache needs administrator rights"));
    if (svc_.options.cache == nullptr) return;
    Status s = svc_.options.cache->ClearCache();
    if (!s.ok()) throw StatusError(s);
    log::Info("seeding cache cleared (uid {})", c.uid);
  });
}

}  // namespace ferry::service
