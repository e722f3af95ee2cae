#include "cli/stats_command.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <vector>

namespace ferry::cli {

namespace {

using nlohmann::json;

json TotalsJson(const TransferTotals& t) {
  return {{"total_bytes_downloaded", t.total_bytes_downloaded},
          {"bytes_from_http", t.bytes_from_http},
          {"bytes_from_lan_peers", t.bytes_from_lan_peers},
          {"bytes_from_group_peers", t.bytes_from_group_peers},
          {"bytes_from_internet_peers", t.bytes_from_internet_peers},
          {"bytes_from_cache_server", t.bytes_from_cache_server},
          {"bytes_to_lan_peers", t.bytes_to_lan_peers},
          {"bytes_to_group_peers", t.bytes_to_group_peers},
          {"bytes_to_internet_peers", t.bytes_to_internet_peers},
          {"downloads", t.downloads},
          {"uploads", t.uploads}};
}

json FileStatsJson(const FileStats& s) {
  auto ns = static_cast<uint64_t>(s.duration.count());
  return {{"file_size", s.file_size == kSizeUnknown ? json(nullptr) : json(s.file_size)},
          {"total_bytes_downloaded", s.total_bytes_downloaded},
          {"bytes_from_http", s.bytes_from_http},
          {"bytes_from_lan_peers", s.bytes_from_lan_peers},
          {"bytes_from_group_peers", s.bytes_from_group_peers},
          {"bytes_from_internet_peers", s.bytes_from_internet_peers},
          {"bytes_from_cache_server", s.bytes_from_cache_server},
          {"bytes_to_peers", s.bytes_to_peers},
          {"bytes_to_lan_peers", s.bytes_to_lan_peers},
          {"bytes_to_group_peers", s.bytes_to_group_peers},
          {"bytes_to_internet_peers", s.bytes_to_internet_peers},
          {"http_connections", s.http_connections},
          {"lan_connections", s.lan_connections},
          {"group_connections", s.group_connections},
          {"internet_connections", s.internet_connections},
          {"cache_server_connections", s.cache_server_connections},
          {"duration_ns", ns},
          {"duration_ms", ns / 1'000'000},
          {"download_mode", static_cast<uint32_t>(s.download_mode)},
          {"status", std::string(FileStatsStatusName(s.status))},
          {"background", s.background}};
}

std::string Month(uint32_t yyyymm) {
  return yyyymm == 0 ? "-" : fmt::format("{:04}-{:02}", yyyymm / 100, yyyymm % 100);
}

void PrintTotals(const ServiceStatistics& st) {
  const TransferTotals& m = st.this_month;
  const TransferTotals& a = st.all_time;
  std::printf("%-28s %16s %16s\n", "", fmt::format("month {}", Month(st.month)).c_str(), "all time");
  auto bytes = [](const char* what, uint64_t x, uint64_t y) {
    std::printf("%-28s %16s %16s\n", what, HumanBytes(x).c_str(), HumanBytes(y).c_str());
  };
  auto count = [](const char* what, uint64_t x, uint64_t y) {
    std::printf("%-28s %16llu %16llu\n", what, static_cast<unsigned long long>(x),
                static_cast<unsigned long long>(y));
  };
  bytes("Downloaded", m.total_bytes_downloaded, a.total_bytes_downloaded);
  bytes("  from HTTP (origin)", m.bytes_from_http, a.bytes_from_http);
  bytes("  from LAN peers", m.bytes_from_lan_peers, a.bytes_from_lan_peers);
  bytes("  from group peers", m.bytes_from_group_peers, a.bytes_from_group_peers);
  bytes("  from internet peers", m.bytes_from_internet_peers, a.bytes_from_internet_peers);
  bytes("  from cache server", m.bytes_from_cache_server, a.bytes_from_cache_server);
  bytes("Uploaded to LAN peers", m.bytes_to_lan_peers, a.bytes_to_lan_peers);
  bytes("Uploaded to group peers", m.bytes_to_group_peers, a.bytes_to_group_peers);
  bytes("Uploaded to internet peers", m.bytes_to_internet_peers, a.bytes_to_internet_peers);
  count("Downloads (files)", m.downloads, a.downloads);
  count("Uploads (files)", m.uploads, a.uploads);
  std::printf("%-28s %s in %llu entries\n", "Cache", HumanBytes(st.cache_size_bytes).c_str(),
              static_cast<unsigned long long>(st.cache_entries));
}

int ServiceTotals(const Globals& g, Manager& m) {
  ServiceStatistics st;
  if (Status s = m.GetStatistics(&st); !s.ok()) return Fail(g, s, "reading the statistics");
  if (g.json) {
    json j = {{"month", Month(st.month)},
              {"this_month", TotalsJson(st.this_month)},
              {"all_time", TotalsJson(st.all_time)},
              {"cache_size_bytes", st.cache_size_bytes},
              {"cache_entries", st.cache_entries}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    PrintTotals(st);
  }
  return kOk;
}

void PrintFile(size_t index, const std::string& local, const std::string& remote, const FileStats& s) {
  auto size = [](uint64_t n) {
    return n == kSizeUnknown ? std::string("unknown") : fmt::format("{} ({} bytes)", HumanBytes(n), n);
  };
  std::printf("File %zu: %s\n", index, local.c_str());
  std::printf("  %-26s %s\n", "SourceURL", remote.c_str());
  std::printf("  %-26s %s\n", "Status", std::string(FileStatsStatusName(s.status)).c_str());
  std::printf("  %-26s %s\n", "FileSize", size(s.file_size).c_str());
  std::printf("  %-26s %s\n", "TotalBytesDownloaded", size(s.total_bytes_downloaded).c_str());
  std::printf("  %-26s %s\n", "BytesFromHttp", size(s.bytes_from_http).c_str());
  std::printf("  %-26s %llu / %llu / %llu / %llu\n", "BytesFromPeers (LAN/grp/inet/cache)",
              static_cast<unsigned long long>(s.bytes_from_lan_peers),
              static_cast<unsigned long long>(s.bytes_from_group_peers),
              static_cast<unsigned long long>(s.bytes_from_internet_peers),
              static_cast<unsigned long long>(s.bytes_from_cache_server));
  std::printf("  %-26s %llu\n", "BytesToPeers", static_cast<unsigned long long>(s.bytes_to_peers));
  std::printf("  %-26s %u\n", "HttpConnectionCount", s.http_connections);
  std::printf("  %-26s %u / %u / %u\n", "PeerConnections (LAN/grp/inet)", s.lan_connections,
              s.group_connections, s.internet_connections);
  std::printf("  %-26s %.3f s\n", "DownloadDuration",
              std::chrono::duration<double>(s.duration).count());
  std::printf("  %-26s %u\n", "DownloadMode", static_cast<uint32_t>(s.download_mode));
  std::printf("  %-26s %s\n", "Background", s.background ? "yes" : "no");
}

int JobFiles(const Globals& g, Manager& m, const std::string& ref) {
  std::unique_ptr<Job> job;
  if (Status s = ResolveJob(m, ref, &job); !s.ok())
    return Fail(g, s, fmt::format("finding job '{}'", ref));
  Guid id;
  std::vector<std::unique_ptr<File>> files;
  if (Status s = job->GetId(&id); !s.ok()) return Fail(g, s, "reading the job");
  if (Status s = job->EnumFiles(&files); !s.ok()) return Fail(g, s, "listing the files");
  json out = json::array();
  for (size_t i = 0; i < files.size(); ++i) {
    FileStats st;
    std::string local, remote;
    Status s = files[i]->GetStats(&st);
    if (s.ok()) s = files[i]->GetLocalName(&local);
    if (s.ok()) s = files[i]->GetRemoteName(&remote);
    if (!s.ok()) return Fail(g, s, fmt::format("reading file {}'s statistics", i));
    if (g.json) {
      json f = FileStatsJson(st);
      f["index"] = i;
      f["local_name"] = local;
      f["remote_name"] = remote;
      out.push_back(std::move(f));
    } else {
      PrintFile(i, local, remote, st);
    }
  }
  if (g.json) std::printf("%s\n", json({{"id", id.ToString()}, {"files", out}}).dump(2).c_str());
  return kOk;
}

}  // namespace

int CmdStats(const Globals& g, const std::string& job) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  return job.empty() ? ServiceTotals(g, *m) : JobFiles(g, *m, job);
}

void RegisterStatsCommand(CLI::App& app, const Globals& g, int* exit_code) {
  auto job = std::make_shared<std::string>();
  auto* c = app.add_subcommand(
      "stats", "statistics: the service's totals, or with JOB each file's (bytes by source, connections)");
  c->add_option("job", *job, "GUID, unique prefix, or display name (none: the service's totals)");
  c->callback([&g, exit_code, job] { *exit_code = CmdStats(g, *job); });
}

}  // namespace ferry::cli
