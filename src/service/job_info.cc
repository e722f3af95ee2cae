#include "service/job_info.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <type_traits>
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

namespace {

// Every key of the job dictionary, once: `put(key, value)` is called with a
// uint32_t, int32_t, uint64_t, bool or std::string value.
template <typename Put>
void VisitJobInfo(const core::JobSnapshot& snap, Put&& put) {
  const core::JobRecord& r = snap.job;
  const JobProgress& p = snap.progress;
  put("id", r.id.ToString());
  put("type", static_cast<uint32_t>(r.type));
  put("display_name", r.display_name);
  put("description", r.description);
  put("state", std::string(JobStateName(r.state)));
  put("state_code", static_cast<uint32_t>(r.state));
  put("priority", std::string(JobPriorityName(r.priority)));
  put("priority_code", static_cast<uint32_t>(r.priority));
  put("owner", r.owner_uid);
  put("owner_name", UserName(r.owner_uid));
  put("bytes_total", p.bytes_total);
  put("bytes_transferred", p.bytes_transferred);
  put("files_total", p.files_total);
  put("files_transferred", p.files_transferred);
  put("error_count", r.error_count);
  put("creation_ns", ToNanos(r.creation));
  put("modification_ns", ToNanos(r.modification));
  put("transfer_completion_ns", ToNanos(r.transfer_completion));
  put("notify_flags", r.notify_flags);
  put("notify_program", r.notify_program);
  put("notify_parameters", r.notify_parameters);
  put("min_retry_delay", r.min_retry_delay_s);
  put("no_progress_timeout", r.no_progress_timeout_s);
  put("proxy_usage", static_cast<uint32_t>(r.proxy_usage));
  put("proxy_list", r.proxy_list);
  put("proxy_bypass", r.proxy_bypass);
  put("custom_headers", r.custom_headers);
  put("cost_policy", r.cost_policy);
  put("maximum_rate", r.max_rate);
  put("download_mode", r.download_mode ? static_cast<int32_t>(*r.download_mode) : int32_t{-1});
  put("effective_download_mode", static_cast<uint32_t>(snap.download_mode));
  put("live", snap.live);
  if (r.error) {
    put("error_code", r.error->code);
    put("error_context", static_cast<uint32_t>(r.error->context));
    put("error_message", r.error->message);
    put("error_file", r.error->file_index);
    put("error_protocol", r.error->protocol);
  }
}

}  // namespace

VariantMap JobInfo(const core::JobSnapshot& snap) {
  VariantMap m;
  VisitJobInfo(snap, [&m](const char* key, const auto& value) { m[key] = sdbus::Variant(value); });
  return m;
}

void AppendJobInfo(sdbus::Message& msg, const core::JobSnapshot& snap) {
  msg.openContainer("{sv}");
  VisitJobInfo(snap, [&msg](const char* key, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    msg.openDictEntry("sv");
    msg << key;
    msg.openVariant(sdbus::signature_of<T>::str());
    msg << value;
    msg.closeVariant();
    msg.closeDictEntry();
  });
  msg.closeContainer();
}

}  // namespace ferry::service
