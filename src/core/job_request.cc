#include "core/job_request.h"

#include <string_view>

namespace ferry::core {
namespace {

std::vector<std::string> SplitHeaders(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

}  // namespace

ByteRequest JobRequest(FetchHost& host, std::string url) {
  const JobRecord& r = host.Job();
  const EngineConfig& cfg = host.Config();
  ByteRequest req;
  req.url = std::move(url);
  req.headers = SplitHeaders(r.custom_headers);
  req.proxy_usage = r.proxy_usage;
  req.proxy_list = r.proxy_list;
  req.proxy_bypass = r.proxy_bypass;
  req.ca_file = cfg.ca_file;
  req.allow_https_to_http = r.allow_https_to_http;
  req.security_flags = r.security_flags;
  req.connect_timeout = cfg.connect_timeout;
  auto npt = host.NoProgressTimeout();
  req.low_speed_time = cfg.max_low_speed_time;
  if (npt.count() > 0 && npt < req.low_speed_time) req.low_speed_time = npt;
  return req;
}

}  // namespace ferry::core
