// RunLtCase (swarm_run.h): the anchor. In each host namespace, on the case's
// schedule, `/usr/bin/python3 swarm_lt.py host TORRENT DIR ADDRESS URL T`
// (plain libtorrent, the origin's URL as web seed; swarm_lt.py's header).
// A host is done when its log has the "finished" line; finished hosts keep
// seeding until every host is done (or the deadline), then all get SIGTERM
// and print their counters.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/temp_dir.h"
#include "swarm/swarm_run.h"

namespace ferry::bench {
namespace {

struct LtHost {
  test::ChildProcess child;
  std::string log;
  bool started = false, done = false, failed = false;
};

// The last JSON line of `path` whose "event" is `event`; null when none.
nlohmann::json EventLine(const std::string& path, const std::string& event) {
  std::ifstream in(path);
  std::string line;
  nlohmann::json found;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == event) found = j;
  }
  return found;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

Status Spawn(Run* run, int i, const test::TempDir& dir, LtHost* h) {
  const BenchOptions& o = *run->options;
  const test::SwarmHost& sh = run->swarm->host(i);
  const std::string name = o.file.substr(o.file.rfind('/') + 1);
  const std::string save = dir.Path("h" + std::to_string(i));
  h->log = save + ".log";
  ::mkdir(save.c_str(), 0755);
  test::SpawnOptions so;
  so.netns = sh.netns;
  so.output_path = h->log;
  return h->child.Spawn({"/usr/bin/python3", o.lt_script, "host", o.torrent, save, sh.address,
                         run->swarm->OriginUrl(name), std::to_string(run->deadline_s + 30)},
                        so);
}

void PollHost(Run* run, int i, LtHost* h) {
  HostRun& hr = run->hosts[i];
  nlohmann::json fin = EventLine(h->log, "finished");
  if (!fin.is_null()) {
    hr.time_s = fin.value("t", -1.0);
    run->piece_length = fin.value("piece_length", 0u);
    h->done = true;
  } else if (h->child.Exited()) {
    hr.error = "libtorrent host " + std::to_string(i) + " exited: " + Tail(h->log);
    h->failed = true;
  }
}

// Starts each host at its time; polls the logs every 100 ms until every host
// is done or failed, the deadline, or g_stop.
void Drive(Run* run, const test::TempDir& dir, std::vector<LtHost>& hs) {
  const int n = static_cast<int>(hs.size());
  run->MarkStart();
  while (!g_stop) {
    bool all_over = true;
    for (int i = 0; i < n; ++i) {
      LtHost& h = hs[i];
      if (!h.started) {
        all_over = false;
        if (run->Now() < run->StartAt(i)) continue;
        run->hosts[i].start_s = run->Now();
        h.started = true;
        if (Status s = Spawn(run, i, dir, &h); !s.ok()) {
          run->hosts[i].error = "spawn: " + s.ToString();
          h.failed = true;
        }
        continue;
      }
      if (h.done || h.failed) continue;
      all_over = false;
      PollHost(run, i, &h);
    }
    run->SampleOrigin();
    if (all_over) return;
    if (run->Now() > run->deadline_s) {
      for (int i = 0; i < n; ++i)
        if (!hs[i].done && run->hosts[i].error.empty())
          run->hosts[i].error =
              "libtorrent host " + std::to_string(i) + " not done at the deadline";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void RunLtCase(Run* run) {
  test::TempDir dir("ferry-swarm-lt");
  if (!dir.ok()) {
    run->error = "no temp dir";
    return;
  }
  std::vector<LtHost> hs(run->hosts.size());
  Drive(run, dir, hs);
  run->EndCase();
  // SIGTERM to every host first (each closes its session, which takes a
  // moment), then wait for each: 5 s, then SIGKILL to its group.
  for (int i = 0; i < static_cast<int>(hs.size()); ++i) {
    if (!hs[i].child.running()) continue;
    run->hosts[i].cpu_s = ProcessCpu(hs[i].child.pid());
    ::kill(hs[i].child.pid(), SIGTERM);
  }
  for (LtHost& h : hs)
    if (h.child.running()) h.child.Terminate(std::chrono::seconds(5));
  for (int i = 0; i < static_cast<int>(hs.size()); ++i) {
    nlohmann::json exit = hs[i].log.empty() ? nlohmann::json() : EventLine(hs[i].log, "exit");
    if (!exit.is_null()) run->hosts[i].report = exit;
  }
  ReadAllCounters(run);
}

}  // namespace ferry::bench
