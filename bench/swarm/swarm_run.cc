#include "swarm/swarm_run.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ferry::bench {

std::atomic<bool> g_stop{false};

namespace {

double Median(std::vector<double> xs) {
  if (xs.empty()) return -1;
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

nlohmann::json CountsJson(const Counts& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [label, c] : counts)
    j[label] = {{"tcp_bytes", c.tcp_bytes},
                {"tcp_packets", c.tcp_packets},
                {"udp_bytes", c.udp_bytes},
                {"udp_packets", c.udp_packets},
                {"payload", c.Payload()}};
  return j;
}

uint64_t FromOrigin(const HostRun& h) {
  auto it = h.in.find("o");
  return it == h.in.end() ? 0 : it->second.Payload();
}

// Bytes and packets each group received from the other (all TCP and
// unicast UDP, headers included): 0 when nothing crossed.
nlohmann::json GroupsJson(const Run& run) {
  uint64_t bytes = 0, packets = 0, payload = 0;
  uint64_t origin[2] = {0, 0};
  for (size_t i = 0; i < run.hosts.size(); ++i) {
    const int g = run.GroupOf(static_cast<int>(i));
    origin[g] += FromOrigin(run.hosts[i]);
    for (size_t j = 0; j < run.hosts.size(); ++j) {
      if (run.GroupOf(static_cast<int>(j)) == g) continue;
      auto it = run.hosts[i].in.find("h" + std::to_string(j));
      if (it == run.hosts[i].in.end()) continue;
      bytes += it->second.Bytes();
      packets += it->second.Packets();
      payload += it->second.Payload();
    }
  }
  return {{"crossing_bytes", bytes},
          {"crossing_packets", packets},
          {"crossing_payload", payload},
          {"origin_payload_by_group", {origin[0], origin[1]}}};
}

// What the kill cost the restarted host, in pieces, against one piece per
// source that was sending to it at the kill:
// - re-fetched: its payload beyond the file over the whole run less the
//   median other host's (every host receives some blocks twice, and protocol
//   messages: what the kill added to that);
// - lost, an upper bound: at the progress read after the restart where it is
//   least (KillInfo), the payload it had received (counters; the mean of the
//   reads just before and after) less the bytes its job counted = bytes
//   received and not kept (thrown away by the kill, blocks of pieces not
//   complete yet, and the blocks it had received twice before, as every host
//   does).
nlohmann::json KillJson(const Run& run) {
  const KillInfo& k = run.kill;
  nlohmann::json j = {{"killed", k.killed},
                      {"at_s", k.at_s},
                      {"restart_s", k.restart_s},
                      {"progress_at_kill", k.progress},
                      {"progress_after_restart", k.progress_after},
                      {"active_sources", k.active_sources},
                      {"before", CountsJson(k.before)}};
  if (!k.killed || run.hosts.empty()) return j;
  std::vector<double> others, other_times;
  for (size_t i = 0; i + 1 < run.hosts.size(); ++i) {
    others.push_back(static_cast<double>(TotalPayload(run.hosts[i].in)) -
                     static_cast<double>(run.size));
    if (run.hosts[i].time_s >= 0) other_times.push_back(run.hosts[i].time_s);
  }
  const uint64_t before = TotalPayload(k.before);
  j["payload_before_kill"] = before;
  j["victim_payload_total"] = TotalPayload(run.hosts.back().in);
  j["victim_excess_bytes"] =
      static_cast<double>(TotalPayload(run.hosts.back().in)) - static_cast<double>(run.size);
  j["others_excess_median_bytes"] = Median(others);
  if (k.progress_after >= 0 && run.piece_length) {
    const double lo = double(k.received_before_read) - double(k.progress_after);
    const double hi = double(k.received_after_read) - double(k.progress_after);
    j["lost_bytes"] = std::max(0.0, (lo + hi) / 2);
    j["lost_pieces"] = std::max(0.0, (lo + hi) / 2) / run.piece_length;
    j["lost_pieces_range"] = {std::max(0.0, lo) / run.piece_length,
                              std::max(0.0, hi) / run.piece_length};
  }
  if (run.piece_length && !others.empty()) {
    const double extra =
        double(TotalPayload(run.hosts.back().in)) - double(run.size) - Median(others);
    j["refetched_bytes"] = std::max(0.0, extra);
    j["refetched_pieces"] = std::max(0.0, extra) / run.piece_length;
  }
  j["allowance_pieces"] = std::max<size_t>(1, k.active_sources.size());
  j["others_max_time_s"] =
      other_times.empty() ? -1 : *std::max_element(other_times.begin(), other_times.end());
  j["others_finished"] = other_times.size();
  return j;
}

}  // namespace

// eth0's transmitted bytes in the namespace of `pid`; 0 when unreadable.
static uint64_t TxBytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/net/dev");
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find("eth0") == std::string::npos)
      continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v = 0;
    for (int f = 0; f < 9 && fields >> v; ++f) {
    }
    return v;  // field 9: transmitted bytes
  }
  return 0;
}

void Run::MarkStart() {
  t0 = std::chrono::steady_clock::now();
  busy0 = MachineBusySeconds();
  origin_pid = swarm->origin().pid();
  origin_tx0 = TxBytes(origin_pid);
  origin_tx.clear();
  origin_first_s = -1;
}

void Run::SampleOrigin() {
  const double t = Now();
  const uint64_t tx = TxBytes(origin_pid) - origin_tx0;
  if (origin_first_s < 0 && tx > (256u << 10)) origin_first_s = t;
  if (origin_tx.empty() || t - origin_tx.back().first >= 0.5) origin_tx.push_back({t, tx});
}

void Run::EndCase() {
  wall_s = Now();
  busy_s = MachineBusySeconds() - busy0;
}

double Run::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double Run::StartAt(int i) const {
  return options->kase == "staggered" ? i * options->stagger_s : 0;
}

int Run::GroupOf(int i) const {
  return options->kase == "groups" && i >= static_cast<int>(hosts.size()) / 2 ? 1 : 0;
}

double ProcessCpu(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int f = 3; f <= 15 && rest >> field; ++f) {  // fields 14, 15: utime, stime
    if (f == 14) utime = std::stoull(field);
    if (f == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t v[10] = {};
  in >> cpu;
  for (uint64_t& x : v) in >> x;  // user nice system idle iowait irq softirq steal guest guest_nice
  const uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void ReadAllCounters(Run* run) {
  for (int i = 0; i < static_cast<int>(run->hosts.size()); ++i) {
    std::string error;
    run->hosts[i].in = ReadCounters(run->swarm->host(i).netns, &error);
    if (!error.empty() && run->error.empty()) run->error = error;
  }
}

nlohmann::json ToJson(const Run& run, uint64_t origin_bytes) {
  const BenchOptions& o = *run.options;
  const double wall_s = run.wall_s, busy_s = run.busy_s;
  nlohmann::json j = {{"case", o.kase},
                      {"tool", o.tool},
                      {"hosts", o.hosts},
                      {"file_size", run.size},
                      {"piece_length", run.piece_length},
                      {"origin_rate", o.origin_rate},
                      {"host_rate", o.host_rate},
                      {"stagger_s", o.stagger_s},
                      {"priority", static_cast<int>(o.priority)},
                      {"origin_bytes", origin_bytes},
                      {"origin_ratio", run.size ? double(origin_bytes) / double(run.size) : -1},
                      {"wall_s", wall_s},
                      {"machine_cpu_s", busy_s},
                      {"cores_busy", wall_s > 0 ? busy_s / wall_s : -1}};
  std::vector<double> times;
  nlohmann::json detail = nlohmann::json::array(), tlist = nlohmann::json::array();
  double clients_cpu = 0;
  uint64_t origin_payload = 0;
  std::string error = run.error;
  for (const HostRun& h : run.hosts) {
    if (h.time_s >= 0) times.push_back(h.time_s);
    tlist.push_back(h.time_s >= 0 ? nlohmann::json(h.time_s) : nlohmann::json(nullptr));
    if (error.empty() && !h.error.empty()) error = h.error;
    clients_cpu += std::max(0.0, h.cpu_s);
    origin_payload += FromOrigin(h);
    const uint64_t total = TotalPayload(h.in);
    detail.push_back({{"start_s", h.start_s},
                      {"time_s", h.time_s},
                      {"error", h.error},
                      {"cpu_s", h.cpu_s},
                      {"from_origin", FromOrigin(h)},
                      {"from_peers", total - FromOrigin(h)},
                      {"in", CountsJson(h.in)},
                      {"report", h.report}});
  }
  j["ok"] = error.empty() && times.size() == run.hosts.size();
  j["error"] = error;
  j["host_times_s"] = tlist;
  j["max_time_s"] = times.empty() ? -1 : *std::max_element(times.begin(), times.end());
  j["median_time_s"] = Median(times);
  j["origin_payload_counted"] = origin_payload;
  j["clients_cpu_s"] = clients_cpu;
  j["host_detail"] = detail;
  if (o.kase == "groups") j["groups"] = GroupsJson(run);
  if (o.kase == "kill") j["kill"] = KillJson(run);
  j["origin_first_s"] = run.origin_first_s;
  j["origin_tx"] = run.origin_tx;
  j["extra"] = run.extra;
  return j;
}

}  // namespace ferry::bench
