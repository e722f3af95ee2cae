// SwarmFixture: a small private network of hosts for peer-to-peer tests
// (p2p.md §5): N network namespaces joined by a Linux bridge, an nginx origin
// in a namespace of its own, and in each host namespace a ferryd with its own
// private bus and state dir.
//
// Topology (every name starts with prefix() = "ferry-sw<pid>-<n>", n counting
// the fixtures of this process, so parallel ctest runs never clash):
//
//   <prefix>-sw   the switch: bridge br0, one veth end per host ("v-h<i>")
//                 and one for the origin ("v-o"); no address
//   <prefix>-o    the origin: eth0 = <subnet>.1, nginx on port 80 serving
//                 SwarmOptions::docroot with limit_rate and an access log
//                 with $bytes_sent (NginxFixture)
//   <prefix>-h<i> host i: eth0 = <subnet>.(10 + i), lo up, a multicast route
//                 (224.0.0.0/4 on eth0, for local service discovery); its bus
//                 (BusFixture: a unix socket path, reachable from every
//                 namespace) and ferryd (FerrydFixture, started inside the
//                 namespace: SpawnOptions::netns)
//
// The bridge lives in a namespace of its own, so the machine's own namespace
// never gets an interface, address or route: `ip link` there shows nothing
// the fixture made, and two runs cannot collide even on the same subnet (the
// third octet of 10.77.X.0/24 still follows the pid, so logs tell runs
// apart). The test process itself stays in its namespace; it reaches the
// ferryds through their buses (SDK, or the CLI with RunOptions::netns) and
// the origin through CanConnectIn/InNetns (support/netns.h).
//
// Links can be shaped with tbf (SwarmOptions::host_link_rate,
// origin_link_rate, or ShapeHost later): the same rate both ways, on the
// namespace's eth0 (egress) and on its switch port (ingress). netem is absent
// on the CI machine, so there is no latency or loss emulation.
//
// Stop() (and the destructor, so also after a failed assertion or a Start that
// failed half-way) stops every ferryd, bus and nginx by PID (SIGTERM, then
// SIGKILL to its group; bounded), then deletes every namespace it added, which
// removes the veths and the bridge inside them. Start() first deletes
// namespaces left by a dead process's fixture ("ferry-sw<pid>-…" whose pid is
// gone), so a crashed run does not accumulate them.
//
// Needs root, iproute2, nginx, dbus-daemon and the built ferryd: Supported()
// says what is missing, for GTEST_SKIP. Not thread-safe; use from the test's
// thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/ferry.h"
#include "ferry/status.h"
#include "support/child_process.h"
#include "support/nginx_fixture.h"
#include "support/service_env.h"

namespace ferry::test {

struct SwarmOptions {
  int hosts = 4;  // 1..200
  // The origin's document root (an absolute directory, made readable by
  // nginx); "" = no origin.
  std::string docroot;
  // nginx's per-connection limit_rate in bytes/s (0: unlimited).
  uint64_t origin_limit_rate = 0;
  // tbf on each host's link and on the origin's link, bytes/s (0: unshaped).
  uint64_t host_link_rate = 0;
  uint64_t origin_link_rate = 0;
  // Start a ferryd (and its bus) in every host namespace.
  bool start_ferryd = true;
  // ferryd's config ("" = DefaultConfigJson()).
  std::string ferryd_config_json;
  // When set, host i's config instead (called once the network is built, so
  // it may use origin_address()).
  std::function<std::string(int host)> ferryd_config_for;
  std::string ferryd_log_level = "debug";
  // The first two octets of the swarm's /24 ("10.77": private addresses,
  // LAN peers). "198.18" (RFC 2544's benchmarking range, never routed on
  // the internet) makes every host an internet peer to the others: neither
  // libtorrent's local peer class nor ferry's IsLanAddress includes it.
  std::string network = "10.77";
};

// One host of the swarm. `env` is null when SwarmOptions::start_ferryd is
// false.
struct SwarmHost {
  std::string netns;    // "<prefix>-h<i>"
  std::string address;  // "10.77.X.(10 + i)"
  std::unique_ptr<ServiceEnv> env;

  // Manager::Connect to this host's bus.
  Status Connect(std::unique_ptr<Manager>* manager) const;
  // The ferry CLI inside this host's namespace, on its bus.
  CommandResult RunCli(const std::vector<std::string>& args, RunOptions options = {}) const;
};

class SwarmFixture {
 public:
  SwarmFixture();
  ~SwarmFixture();  // Stop()
  SwarmFixture(const SwarmFixture&) = delete;
  SwarmFixture& operator=(const SwarmFixture&) = delete;

  // True when a swarm can be built here; otherwise *why names what is
  // missing (root, iproute2, network namespaces, nginx, dbus-daemon, ferryd).
  static bool Supported(std::string* why);

  // Builds the network, then the origin (when docroot is set), then the
  // ferryds. E_INVALIDARG when started or options are out of range; the
  // failing step's status otherwise (everything made so far is torn down).
  Status Start(const SwarmOptions& options);
  // Tears everything down (see above). Idempotent; bounded.
  void Stop();

  const std::string& prefix() const { return prefix_; }
  int host_count() const { return static_cast<int>(hosts_.size()); }
  // For a failed test's message: the last `bytes` of each host's ferryd log,
  // under "ferryd on <netns>, log tail:" (hosts without a ferryd left out).
  std::string FerrydLogTails(size_t bytes = 4000) const;
  SwarmHost& host(int i) { return hosts_.at(i); }

  // The origin: its namespace, address, "http://<address>/<path>".
  const std::string& origin_netns() const { return origin_netns_; }
  const std::string& origin_address() const { return origin_address_; }
  std::string OriginUrl(const std::string& path) const;
  NginxFixture& origin() { return origin_; }
  // Sum of $bytes_sent over the origin's access log (head + body of every
  // request answered so far).
  uint64_t OriginBytesSent() const;

  // tbf on host i's link, both directions, `rate` bytes/s (0: remove).
  Status ShapeHost(int i, uint64_t rate);

  // What the fixture made, for teardown checks: the namespaces it has now (in
  // the order added; empty after Stop) and the PIDs of every process the last
  // Start started (nginx, each bus and ferryd; kept after Stop).
  const std::vector<std::string>& namespaces() const { return namespaces_; }
  const std::vector<pid_t>& started_pids() const { return started_pids_; }

 private:
  Status BuildNetwork(int hosts);
  Status AddNamespace(const std::string& name);
  Status AttachToSwitch(const std::string& netns, const std::string& port,
                        const std::string& address);
  Status Shape(const std::string& netns, const std::string& port, uint64_t rate);
  Status StartFerryds(const SwarmOptions& options);

  std::string prefix_;
  std::string subnet_;  // "10.77.X."
  std::string switch_netns_;
  std::string origin_netns_;
  std::string origin_address_;
  std::vector<std::string> namespaces_;
  std::vector<SwarmHost> hosts_;
  std::vector<pid_t> started_pids_;
  NginxFixture origin_;
  bool started_ = false;
};

}  // namespace ferry::test
