#include "support/swarm_fixture.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "support/netns.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

constexpr std::string_view kPrefix = "ferry-sw";
constexpr int kMaxHosts = 200;
std::atomic<int> fixtures_made{0};

// Deletes "ferry-sw<pid>-…" (and the probe's "ferry-probe-<pid>")
// namespaces whose process is gone: left by a run that was killed before
// its destructors ran.
void SweepStaleNamespaces() {
  for (const std::string& name : ListNetns()) {
    std::string_view rest = name;
    if (rest.substr(0, kPrefix.size()) == kPrefix) {
      rest.remove_prefix(kPrefix.size());
    } else if (rest.substr(0, 12) == "ferry-probe-") {
      rest.remove_prefix(12);
    } else {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::atoll(std::string(rest).c_str()));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) RunIp({"netns", "del", name});
  }
}

// tbf's bucket: at least 32 KiB (a few full frames) and 50 ms of the rate.
std::string Burst(uint64_t rate) { return std::to_string(std::max<uint64_t>(rate / 20, 32768)); }

}  // namespace

Status SwarmHost::Connect(std::unique_ptr<Manager>* manager) const {
  if (!env) return Status(code::kInvalidArg, "no ferryd on " + netns);
  return env->Connect(manager);
}

CommandResult SwarmHost::RunCli(const std::vector<std::string>& args, RunOptions options) const {
  options.netns = netns;
  return ::ferry::test::RunCli(env ? env->address() : "", args, options);
}

SwarmFixture::SwarmFixture() = default;

SwarmFixture::~SwarmFixture() { Stop(); }

bool SwarmFixture::Supported(std::string* why) {
  if (!NetnsSupported(why)) return false;
  if (!NginxFixture::Available()) {
    *why = std::string(NginxFixture::kNginxPath) + " is missing (nginx-light)";
    return false;
  }
  if (!ServiceEnv::Available()) {
    *why = "dbus-daemon, dbus-send or the built ferryd is missing";
    return false;
  }
  return true;
}

std::string SwarmFixture::OriginUrl(const std::string& path) const {
  return "http://" + origin_address_ + (path.empty() || path[0] != '/' ? "/" : "") + path;
}

uint64_t SwarmFixture::OriginBytesSent() const {
  uint64_t sum = 0;
  for (const NginxLogEntry& e : origin_.AccessLog()) sum += e.bytes_sent;
  return sum;
}

Status SwarmFixture::Start(const SwarmOptions& options) {
  if (started_) return Status(code::kInvalidArg, "the swarm is already started");
  if (options.hosts < 1 || options.hosts > kMaxHosts)
    return Status(code::kInvalidArg, "hosts must be 1.." + std::to_string(kMaxHosts));
  started_ = true;
  started_pids_.clear();
  const int n = fixtures_made++;
  prefix_ = std::string(kPrefix) + std::to_string(::getpid()) + "-" + std::to_string(n);
  subnet_ = options.network + "." + std::to_string((::getpid() + 37 * n) % 256) + ".";
  SweepStaleNamespaces();
  Status s = BuildNetwork(options.hosts);
  if (s.ok() && options.origin_link_rate > 0)
    s = Shape(origin_netns_, "v-o", options.origin_link_rate);
  for (int i = 0; s.ok() && options.host_link_rate > 0 && i < options.hosts; ++i)
    s = ShapeHost(i, options.host_link_rate);
  if (s.ok() && !options.docroot.empty()) {
    ::chmod(options.docroot.c_str(), 0755);
    NginxOptions no;
    no.limit_rate = options.origin_limit_rate;
    no.netns = origin_netns_;
    no.address = origin_address_;
    no.port = 80;
    s = origin_.Start(options.docroot, no);
    if (s.ok()) started_pids_.push_back(origin_.pid());
  }
  if (s.ok() && options.start_ferryd) s = StartFerryds(options);
  if (!s.ok()) Stop();
  return s;
}

Status SwarmFixture::AddNamespace(const std::string& name) {
  Status s = RunIp({"netns", "add", name});
  if (!s.ok()) return s;
  namespaces_.push_back(name);
  return RunIp({"-n", name, "link", "set", "lo", "up"});
}

Status SwarmFixture::AttachToSwitch(const std::string& netns, const std::string& port,
                                    const std::string& address) {
  const std::string& sw = switch_netns_;
  if (Status s = RunIp(
          {"-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns});
      !s.ok())
    return s;
  if (Status s = RunIp({"-n", sw, "link", "set", port, "master", "br0", "up"}); !s.ok()) return s;
  if (Status s = RunIp({"-n", netns, "addr", "add", address + "/24", "dev", "eth0"}); !s.ok())
    return s;
  if (Status s = RunIp({"-n", netns, "link", "set", "eth0", "up"}); !s.ok()) return s;
  return RunIp({"-n", netns, "route", "add", "224.0.0.0/4", "dev", "eth0"});
}

Status SwarmFixture::BuildNetwork(int hosts) {
  switch_netns_ = prefix_ + "-sw";
  if (Status s = AddNamespace(switch_netns_); !s.ok()) return s;
  // No STP and no forwarding delay: ports forward as soon as they are up.
  if (Status s = RunIp({"-n", switch_netns_, "link", "add", "br0", "type", "bridge", "stp_state",
                        "0", "forward_delay", "0"});
      !s.ok())
    return s;
  if (Status s = RunIp({"-n", switch_netns_, "link", "set", "br0", "up"}); !s.ok()) return s;
  origin_netns_ = prefix_ + "-o";
  origin_address_ = subnet_ + "1";
  if (Status s = AddNamespace(origin_netns_); !s.ok()) return s;
  if (Status s = AttachToSwitch(origin_netns_, "v-o", origin_address_); !s.ok()) return s;
  for (int i = 0; i < hosts; ++i) {
    SwarmHost h;
    h.netns = prefix_ + "-h" + std::to_string(i);
    h.address = subnet_ + std::to_string(10 + i);
    if (Status s = AddNamespace(h.netns); !s.ok()) return s;
    if (Status s = AttachToSwitch(h.netns, "v-h" + std::to_string(i), h.address); !s.ok()) return s;
    hosts_.push_back(std::move(h));
  }
  return Status::OK();
}

Status SwarmFixture::Shape(const std::string& netns, const std::string& port, uint64_t rate) {
  for (const auto& [ns, dev] :
       {std::pair{netns, std::string("eth0")}, std::pair{switch_netns_, port}}) {
    if (rate == 0) {
      RunTc(ns, {"qdisc", "del", "dev", dev, "root"});  // absent already: fine
      continue;
    }
    Status s =
        RunTc(ns, {"qdisc", "replace", "dev", dev, "root", "tbf", "rate",
                   std::to_string(rate * 8) + "bit", "burst", Burst(rate), "latency", "100ms"});
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status SwarmFixture::ShapeHost(int i, uint64_t rate) {
  if (i < 0 || i >= host_count()) return Status(code::kInvalidArg, "no host " + std::to_string(i));
  return Shape(hosts_[i].netns, "v-h" + std::to_string(i), rate);
}

Status SwarmFixture::StartFerryds(const SwarmOptions& options) {
  for (int i = 0; i < host_count(); ++i) {
    SwarmHost& h = hosts_[i];
    h.env = std::make_unique<ServiceEnv>();
    FerrydOptions fo;
    fo.netns = h.netns;
    fo.config_json =
        options.ferryd_config_for ? options.ferryd_config_for(i) : options.ferryd_config_json;
    fo.log_level = options.ferryd_log_level;
    Status s = h.env->Start(fo);
    if (h.env->bus().running()) started_pids_.push_back(h.env->bus().pid());
    if (!s.ok()) return s;
    started_pids_.push_back(h.env->ferryd().pid());
  }
  return Status::OK();
}

std::string SwarmFixture::FerrydLogTails(size_t bytes) const {
  std::string out;
  for (const SwarmHost& h : hosts_) {
    if (!h.env) continue;
    std::string log = h.env->ferryd().Log();
    if (log.size() > bytes) log = log.substr(log.size() - bytes);
    out += "ferryd on " + h.netns + ", log tail:\n" + log + "\n";
  }
  return out;
}

void SwarmFixture::Stop() {
  for (SwarmHost& h : hosts_) h.env.reset();  // ferryd (SIGKILL), then its bus
  origin_.Stop();
  hosts_.clear();
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) RunIp({"netns", "del", *it});
  namespaces_.clear();
  started_ = false;
}

}  // namespace ferry::test
