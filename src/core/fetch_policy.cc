#include "core/fetch_policy.h"

#include <algorithm>
#include <cctype>

#include "core/ports.h"
#include "util/content_id.h"
#include "util/torrent_source.h"
#include "util/url.h"

namespace ferry::core {

FetchBackend ChooseFetch(std::string_view remote_url, std::string_view local_name) {
  if (ParseTorrentSourceFor(remote_url, local_name).kind != TorrentSourceKind::kNone)
    return FetchBackend::kPeers;
  std::string scheme = UrlScheme(remote_url);
  if (scheme == "http" || scheme == "https") return FetchBackend::kHttp;
  if (scheme == "file") return FetchBackend::kFile;
  return FetchBackend::kUnsupported;
}

DownloadMode EffectiveMode(const PeeringConfig& config, std::optional<DownloadMode> job_mode) {
  return job_mode ? *job_mode : config.mode;
}

bool PeerFirst(const PeeringConfig& config, const FileRecord& file) {
  bool peering = config.mode == DownloadMode::kLan || config.mode == DownloadMode::kGroup ||
                 config.mode == DownloadMode::kInternet;
  if (!peering || file.content_id.empty() || !file.ranges.empty() ||
      ChooseFetch(file.remote_url, file.local_name) != FetchBackend::kHttp)
    return false;
  auto id = ParseContentId(file.content_id);
  return id.ok() && id->size > 0 && id->size >= config.min_file_size;
}

namespace {

struct UrlParts {
  std::string_view scheme, userinfo, authority, path, query;  // query without '?'
  bool has_query = false;
};

std::optional<UrlParts> SplitHttpUrl(std::string_view url) {
  if (ChooseFetch(url, "") != FetchBackend::kHttp) return std::nullopt;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    p.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  if (authority.empty()) return std::nullopt;
  p.authority = authority;
  size_t q = rest.find('?');
  p.path = rest.substr(0, q);
  if (q != std::string_view::npos) {
    p.has_query = true;
    p.query = rest.substr(q + 1);
  }
  return p;
}

bool NameIs(std::string_view line, std::string_view name) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view n = line.substr(0, colon);
  while (!n.empty() && (n.front() == ' ' || n.front() == '\t')) n.remove_prefix(1);
  while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
  return std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

}  // namespace

std::optional<std::string> CacheUrl(std::string_view url, std::string_view cache_host) {
  auto p = SplitHttpUrl(url);
  if (!p || cache_host.empty()) return std::nullopt;
  std::string out;
  out.append(p->scheme).append("://").append(cache_host);
  out.append(p->path.empty() ? std::string_view("/") : p->path);
  out.append("?");
  if (p->has_query && !p->query.empty()) out.append(p->query).append("&");
  out.append("cacheHostOrigin=").append(p->authority);
  return out;
}

bool CarriesCredentials(std::string_view custom_headers, std::string_view url) {
  size_t pos = 0;
  while (pos < custom_headers.size()) {
    size_t end = custom_headers.find('\n', pos);
    std::string_view line =
        custom_headers.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? custom_headers.size() : end + 1;
    for (std::string_view name : {"Authorization", "Proxy-Authorization", "Cookie"})
      if (NameIs(line, name)) return true;
  }
  auto p = SplitHttpUrl(url);
  return p && !p->userinfo.empty();
}

bool CacheEligible(const CacheConfig& config, std::string_view url,
                   std::string_view custom_headers) {
  if (config.hosts.empty() || ChooseFetch(url, "") != FetchBackend::kHttp) return false;
  if (!SplitHttpUrl(url)) return false;
  return config.allow_authorization || !CarriesCredentials(custom_headers, url);
}

void CacheHostBook::MarkFailed(const std::string& host, sys::WallTime now) {
  avoid_until_[host] = now + kCacheHostAvoidance;
}

bool CacheHostBook::Avoided(const std::string& host, sys::WallTime now) const {
  auto it = avoid_until_.find(host);
  return it != avoid_until_.end() && now < it->second;
}

SourceChoice NextSource(const CacheConfig& config, bool eligible, const CacheHostBook& book,
                        CacheTrail* trail, sys::WallTime now) {
  if (!eligible || trail->origin) return {};
  if (trail->current) return {SourceKind::kCache, *trail->current, {}};
  bool in_window = config.fallback.count() > 0 && trail->first_failure != sys::WallTime{} &&
                   now < trail->first_failure + config.fallback;
  for (size_t i = trail->next; i < config.hosts.size(); ++i) {
    if (!in_window && book.Avoided(config.hosts[i], now)) continue;
    trail->current = i;
    trail->next = i + 1;
    return {SourceKind::kCache, i, {}};
  }
  if (in_window) {
    trail->next = 0;
    auto until = std::min(now + kCacheRoundPause, trail->first_failure + config.fallback);
    return {SourceKind::kWait, 0, until};
  }
  trail->origin = true;
  return {};
}

void CacheFailed(const CacheConfig& config, bool host_fault, CacheHostBook* book, CacheTrail* trail,
                 sys::WallTime now) {
  if (!trail->current) return;
  size_t host = *trail->current;
  if (host_fault && host < config.hosts.size()) book->MarkFailed(config.hosts[host], now);
  if (trail->first_failure == sys::WallTime{}) trail->first_failure = now;
  trail->current.reset();
  trail->next = host + 1;
}

}  // namespace ferry::core
