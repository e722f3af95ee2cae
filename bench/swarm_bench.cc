// swarm_bench: one run of `make bench`'s scenario 7 (the swarm; bench/README.md
// and bench/swarm/swarm_run.h) on the swarm bed of tests/support.
//
//   swarm_bench --case alone|together|staggered|groups|kill [--tool ferry|lt]
//               --file PATH [--content-id CID] [--hosts 8] [--origin-rate B/s]
//               [--host-rate B/s] [--stagger S] [--timeout S] [--kill-at F]
//               [--priority foreground|normal] [--torrent PATH --lt-script PATH]
//               [--module PATH] [--log-level LEVEL]
//
// Builds the bed (hosts + origin namespaces on a bridge, nginx serving the
// file's directory, tbf: --origin-rate on the origin's link, --host-rate on
// each host's), adds the nftables counters to every host namespace
// (swarm/net_counters.h), runs the case with ferry or the libtorrent anchor,
// and prints one JSON line (swarm_run.h ToJson): origin bytes (nginx's
// $bytes_sent), every host's time, counters and report, and the case's
// summary. Always tears the bed down (also on SIGTERM/SIGINT, which end the
// run early). Exit 0 when every host finished, 1 when not, 2 on bad usage or
// a bed that cannot be built here (root, nft, nginx, the module...).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "ferry/content_id.h"
#include "support/swarm_fixture.h"
#include "swarm/swarm_run.h"

namespace {

using ferry::bench::BenchOptions;

void OnSignal(int) { ferry::bench::g_stop = true; }

bool Parse(int argc, char** argv, BenchOptions* o) {
  using Set = std::function<void(const std::string&)>;
  auto u64 = [](const std::string& v) { return std::strtoull(v.c_str(), nullptr, 10); };
  const std::map<std::string, Set> flags = {
      {"--case", [&](const std::string& v) { o->kase = v; }},
      {"--tool", [&](const std::string& v) { o->tool = v; }},
      {"--file", [&](const std::string& v) { o->file = v; }},
      {"--content-id", [&](const std::string& v) { o->content_id = v; }},
      {"--hosts", [&](const std::string& v) { o->hosts = std::atoi(v.c_str()); }},
      {"--origin-rate", [&](const std::string& v) { o->origin_rate = u64(v); }},
      {"--host-rate", [&](const std::string& v) { o->host_rate = u64(v); }},
      {"--stagger", [&](const std::string& v) { o->stagger_s = std::atof(v.c_str()); }},
      {"--timeout", [&](const std::string& v) { o->timeout_s = std::atof(v.c_str()); }},
      {"--kill-at", [&](const std::string& v) { o->kill_at = std::atof(v.c_str()); }},
      {"--priority",
       [&](const std::string& v) {
         o->priority =
             v == "normal" ? ferry::JobPriority::kNormal : ferry::JobPriority::kForeground;
       }},
      {"--torrent", [&](const std::string& v) { o->torrent = v; }},
      {"--lt-script", [&](const std::string& v) { o->lt_script = v; }},
      {"--module", [&](const std::string& v) { o->module = v; }},
      {"--log-level", [&](const std::string& v) { o->log_level = v; }},
  };
  for (int i = 1; i + 1 < argc; i += 2) {
    auto it = flags.find(argv[i]);
    if (it == flags.end()) return false;
    it->second(argv[i + 1]);
  }
  const bool known_case = o->kase == "alone" || o->kase == "together" || o->kase == "staggered" ||
                          o->kase == "groups" || o->kase == "kill";
  const bool ferry_only = o->kase == "groups" || o->kase == "kill";
  return argc % 2 == 1 && known_case && (o->tool == "ferry" || (o->tool == "lt" && !ferry_only)) &&
         o->hosts >= 1 && o->hosts <= 64 && !o->file.empty() && o->file[0] == '/' &&
         o->origin_rate > 0 && (o->kase != "groups" || o->hosts >= 2);
}

// Why the bed cannot run here, or "".
std::string Missing(const BenchOptions& o) {
  std::string why;
  if (!ferry::test::SwarmFixture::Supported(&why)) return why;
  if (::access(ferry::bench::kNftPath, X_OK) != 0) return "nft is missing (Debian nftables)";
  if (o.tool == "lt" &&
      (::access("/usr/bin/python3", X_OK) != 0 || o.torrent.empty() || o.lt_script.empty()))
    return "the anchor needs /usr/bin/python3, --torrent and --lt-script";
  if (o.tool == "ferry" && ::access(o.module.c_str(), R_OK) != 0)
    return "no torrent module at " + o.module;
  return "";
}

void Fail(const BenchOptions& o, const std::string& error, int code) {
  std::cout
      << nlohmann::json{{"case", o.kase}, {"tool", o.tool}, {"ok", false}, {"error", error}}.dump()
      << std::endl;
  std::exit(code);
}

// Every host's counters: the origin and every other host, by label.
ferry::Status InstallAll(ferry::test::SwarmFixture& swarm) {
  for (int i = 0; i < swarm.host_count(); ++i) {
    std::vector<std::pair<std::string, std::string>> sources = {{"o", swarm.origin_address()}};
    for (int j = 0; j < swarm.host_count(); ++j)
      if (j != i) sources.push_back({"h" + std::to_string(j), swarm.host(j).address});
    if (ferry::Status s = ferry::bench::InstallCounters(swarm.host(i).netns, sources); !s.ok())
      return s;
  }
  return ferry::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
#ifdef FERRY_TORRENT_MODULE_BUILT
  o.module = FERRY_TORRENT_MODULE_BUILT;
#endif
  if (!Parse(argc, argv, &o)) {
    std::fprintf(stderr, "usage: see the header of bench/swarm_bench.cc\n");
    return 2;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  if (std::string why = Missing(o); !why.empty()) Fail(o, "not supported here: " + why, 2);
  struct stat st = {};
  if (::stat(o.file.c_str(), &st) != 0 || st.st_size <= 0) Fail(o, "no file " + o.file, 2);
  if (o.tool == "ferry" && o.content_id.empty())
    if (ferry::Status s = ferry::ContentIdOfFile(o.file, &o.content_id); !s.ok())
      Fail(o, "content id: " + s.ToString(), 2);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (o.timeout_s <= 0)
    o.timeout_s = o.hosts * double(size) / double(o.origin_rate) * 1.5 +
                  (o.kase == "staggered" ? o.stagger_s * (o.hosts - 1) : 0) + 60;

  ferry::test::SwarmFixture swarm;
  ferry::test::SwarmOptions so;
  so.hosts = o.hosts;
  so.docroot = o.file.substr(0, o.file.rfind('/'));
  so.origin_link_rate = o.origin_rate;
  so.host_link_rate = o.host_rate;
  so.start_ferryd = false;
  ferry::Status s = swarm.Start(so);
  if (s.ok()) s = InstallAll(swarm);
  if (!s.ok()) {
    swarm.Stop();
    Fail(o, "bed: " + s.ToString(), 2);
  }

  ferry::bench::Run run;
  run.options = &o;
  run.swarm = &swarm;
  run.size = size;
  run.deadline_s = o.timeout_s;
  run.hosts.resize(o.hosts);
  run.MarkStart();
  if (o.tool == "ferry")
    ferry::bench::RunFerryCase(&run);
  else
    ferry::bench::RunLtCase(&run);
  if (run.wall_s < 0) run.EndCase();  // a bed failure before the case started
  const nlohmann::json j = ferry::bench::ToJson(run, swarm.OriginBytesSent());
  swarm.Stop();
  std::cout << j.dump() << std::endl;
  return j.value("ok", false) ? 0 : 1;
}
