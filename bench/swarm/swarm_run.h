// Scenario 7 (bench/README.md): one run of one case on the swarm bed of
// tests/support (SwarmFixture: network namespaces on a bridge, an nginx
// origin, tbf-shaped links). bench/swarm_bench.cc parses the options, builds
// the bed, calls RunFerryCase or RunLtCase, and prints the Run as one JSON
// line (ToJson).
//
// Cases (which hosts start when, and how they are set up):
//   alone      one host fetches the URL over plain HTTP (no content id): the
//              baseline of "each host's time"
//   together   every host starts at once
//   staggered  host i starts at i × stagger seconds
//   groups     ferry only: Group mode, hosts split into two groups (first
//              half, second half) with different group ids, announced to an
//              opentracker in the origin's namespace; all start at once
//   kill       ferry only: all start at once; when the last host has
//              kill_at of the file, its ferryd is killed with SIGKILL and
//              restarted on the same state dir, and the job continues
//
// Times are seconds on the steady clock from the Run's t0 (just before the
// first host starts). A host's time is from its start to the end of its
// fetch: ferry, the job's Resume to TRANSFERRED as polled every 100 ms; the
// anchor, what the libtorrent host reports (from just before its session is
// made to every piece verified).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/types.h"
#include "support/swarm_fixture.h"
#include "swarm/net_counters.h"

namespace ferry::bench {

struct BenchOptions {
  std::string kase = "together";  // alone | together | staggered | groups | kill
  std::string tool = "ferry";     // ferry | lt
  int hosts = 8;
  std::string file;                    // the content (its directory is the origin's docroot)
  std::string content_id;              // "" = computed from `file`
  std::string torrent;                 // lt: the .torrent (swarm_lt.py make)
  std::string lt_script;               // lt: bench/swarm_lt.py
  std::string module;                  // the torrent module ferryd loads
  uint64_t origin_rate = 20ull << 20;  // tbf on the origin's link, bytes/s
  uint64_t host_rate = 100ull << 20;   // tbf on every host's link, bytes/s
  double stagger_s = 2;
  double timeout_s = 0;  // 0: hosts × size / origin_rate × 1.5 + stagger + 60
  JobPriority priority = JobPriority::kForeground;
  double kill_at = 0.5;
  std::string log_level = "warn";  // ferryd's
};

// One host of a run.
struct HostRun {
  double start_s = -1;  // -1: never started
  double time_s = -1;   // its fetch time; -1: did not finish
  std::string error;    // why it failed, when it did
  double cpu_s = -1;    // CPU of the host's ferryd / libtorrent process
  Counts in;            // what it received, by sender ("o", "h<j>")
  nlohmann::json report = nlohmann::json::object();  // FileStats / lt's report
};

struct KillInfo {
  bool killed = false;
  double at_s = -1;       // when ferryd was killed
  double restart_s = -1;  // how long the restart took (until ready)
  uint64_t progress = 0;  // the job's bytes_transferred at the last poll
  Counts before;          // the victim's counters just after the kill
  // Reads of the job's bytes_transferred (every verified byte) in the
  // kKeptWindow after the restart, each between two reads of the victim's
  // payload counters: the restarted ferryd takes back pieces from staging
  // and fetches new ones meanwhile, so what it received and does not hold
  // is bracketed by the two. Kept: the read where that is least (-1: never
  // read), i.e. once everything it kept is counted.
  int64_t progress_after = -1;
  uint64_t received_before_read = 0, received_after_read = 0;
  int reads_after = 0;
  // Sources that sent it >= 16 KiB of payload in the 1-1.5 s before the kill:
  // the connections that had a transfer running.
  std::vector<std::string> active_sources;
};

struct Run {
  const BenchOptions* options = nullptr;
  test::SwarmFixture* swarm = nullptr;
  uint64_t size = 0;
  uint32_t piece_length = 0;  // the derived torrent's (ferry) or the .torrent's (lt)
  std::chrono::steady_clock::time_point t0;
  double deadline_s = 0;  // s after t0
  double busy0 = 0;       // MachineBusySeconds() at t0
  double wall_s = -1;     // t0 to the end of the case (EndCase)
  double busy_s = -1;     // CPU seconds the whole machine spent in that time
  std::vector<HostRun> hosts;
  KillInfo kill;
  std::string error;  // a failure of the bed itself
  nlohmann::json extra = nlohmann::json::object();
  // The origin's eth0 transmit counter (/proc/<nginx>/net/dev, no exec):
  // SampleOrigin() keeps one sample per 0.5 s and the time its egress first
  // passed 256 KiB (the first origin bytes of the run, to 100 ms).
  int origin_pid = -1;
  uint64_t origin_tx0 = 0;
  double origin_first_s = -1;
  std::vector<std::pair<double, uint64_t>> origin_tx;  // (s, bytes since t0)

  // t0 = now, and the machine's CPU from here (just before the first host
  // starts); EndCase() ends both (when every host is done or at the deadline).
  void MarkStart();
  void EndCase();
  void SampleOrigin();
  double Now() const;
  // When host i is due to start (s after t0).
  double StartAt(int i) const;
  // The group (0 or 1) of host i in the groups case; 0 otherwise.
  int GroupOf(int i) const;
};

// Set by SIGTERM/SIGINT: every loop ends early and the bed is torn down.
extern std::atomic<bool> g_stop;

// Runs the case with ferryds (one per host, started here); fills run->hosts.
void RunFerryCase(Run* run);
// Runs the case with the libtorrent anchor (bench/swarm_lt.py host).
void RunLtCase(Run* run);

// utime + stime of a process in seconds; -1 when it cannot be read.
double ProcessCpu(int pid);
// CPU seconds the machine has been busy since boot (/proc/stat: every state
// but idle and iowait, over all cores).
double MachineBusySeconds();
// Reads every host's counters into run->hosts[i].in.
void ReadAllCounters(Run* run);
// The JSON line: options, origin bytes, every host, the case's summary.
nlohmann::json ToJson(const Run& run, uint64_t origin_bytes);

}  // namespace ferry::bench
