#include "service/job_info.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ferry::service {

std::string UserName(uint32_t uid) {
  // ListJobs asks once per job: look each uid up at most once a minute
  // (getpwuid_r reads /etc/passwd or NSS every time).
  using Clock = std::chrono::steady_clock;
  static std::mutex mu;
  static std::unordered_map<uint32_t, std::pair<std::string, Clock::time_point>> cache;
  auto now = Clock::now();
  {
    std::lock_guard<std::mutex> l(mu);
    auto it = cache.find(uid);
    if (it != cache.end() && now - it->second.second < std::chrono::minutes(1)) return it->second.first;
  }
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  std::string name = std::to_string(uid);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_name)
    name = found->pw_name;
  std::lock_guard<std::mutex> l(mu);
  if (cache.size() > 4096) cache.clear();
  cache[uid] = {name, now};
  return name;
}

uint64_t ToNanos(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns > 0 ? static_cast<uint64_t>(ns) : 0;
}

VariantMap JobInfo(const core::JobSnapshot& snap) {
  const core::JobRecord& r = snap.job;
  const JobProgress& p = snap.progress;
  VariantMap m;
  m["id"] = sdbus::Variant(r.id.ToString());
  m["type"] = sdbus::Variant(static_cast<uint32_t>(r.type));
  m["display_name"] = sdbus::Variant(r.display_name);
  m["description"] = sdbus::Variant(r.description);
  m["state"] = sdbus::Variant(std::string(JobStateName(r.state)));
  m["state_code"] = sdbus::Variant(static_cast<uint32_t>(r.state));
  m["priority"] = sdbus::Variant(std::string(JobPriorityName(r.priority)));
  m["priority_code"] = sdbus::Variant(static_cast<uint32_t>(r.priority));
  m["owner"] = sdbus::Variant(r.owner_uid);
  m["owner_name"] = sdbus::Variant(UserName(r.owner_uid));
  m["bytes_total"] = sdbus::Variant(p.bytes_total);
  m["bytes_transferred"] = sdbus::Variant(p.bytes_transferred);
  m["files_total"] = sdbus::Variant(p.files_total);
  m["files_transferred"] = sdbus::Variant(p.files_transferred);
  m["error_count"] = sdbus::Variant(r.error_count);
  m["creation_ns"] = sdbus::Variant(ToNanos(r.creation));
  m["modification_ns"] = sdbus::Variant(ToNanos(r.modification));
  m["transfer_completion_ns"] = sdbus::Variant(ToNanos(r.transfer_completion));
  m["notify_flags"] = sdbus::Variant(r.notify_flags);
  m["notify_program"] = sdbus::Variant(r.notify_program);
  m["notify_parameters"] = sdbus::Variant(r.notify_parameters);
  m["min_retry_delay"] = sdbus::Variant(r.min_retry_delay_s);
  m["no_progress_timeout"] = sdbus::Variant(r.no_progress_timeout_s);
  m["proxy_usage"] = sdbus::Variant(static_cast<uint32_t>(r.proxy_usage));
  m["proxy_list"] = sdbus::Variant(r.proxy_list);
  m["proxy_bypass"] = sdbus::Variant(r.proxy_bypass);
  m["custom_headers"] = sdbus::Variant(r.custom_headers);
  m["cost_policy"] = sdbus::Variant(r.cost_policy);
  m["live"] = sdbus::Variant(snap.live);
  if (r.error) {
    m["error_code"] = sdbus::Variant(r.error->code);
    m["error_context"] = sdbus::Variant(static_cast<uint32_t>(r.error->context));
    m["error_message"] = sdbus::Variant(r.error->message);
    m["error_file"] = sdbus::Variant(r.error->file_index);
    m["error_protocol"] = sdbus::Variant(r.error->protocol);
  }
  return m;
}

}  // namespace ferry::service
