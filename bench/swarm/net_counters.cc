#include "swarm/net_counters.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "util/status_codes.h"

namespace ferry::bench {
namespace {

constexpr uint64_t kTcpHeader = 20 + 32;      // IPv4 + TCP with timestamps
constexpr uint64_t kUdpHeader = 20 + 8 + 20;  // IPv4 + UDP + uTP

uint64_t Minus(uint64_t bytes, uint64_t packets, uint64_t header) {
  return bytes > packets * header ? bytes - packets * header : 0;
}

test::CommandResult Nft(const std::string& netns, const std::vector<std::string>& args,
                        const std::string& input = "") {
  test::RunOptions o;
  o.netns = netns;
  o.stdin_data = input;
  o.timeout = std::chrono::seconds(10);
  std::vector<std::string> argv = {kNftPath};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::RunCommand(argv, o);
}

}  // namespace

uint64_t SourceCount::Payload() const {
  return Minus(tcp_bytes, tcp_packets, kTcpHeader) + Minus(udp_bytes, udp_packets, kUdpHeader);
}

Status InstallCounters(const std::string& netns,
                       const std::vector<std::pair<std::string, std::string>>& sources) {
  std::string rules = "table ip ferrybench {\n";
  for (const auto& [label, address] : sources)
    rules += "  counter tcp_" + label + " { }\n  counter udp_" + label + " { }\n";
  rules += "  chain in {\n    type filter hook input priority 0; policy accept;\n";
  for (const auto& [label, address] : sources) {
    rules += "    ip saddr " + address + " ip protocol tcp counter name tcp_" + label + "\n";
    rules += "    ip saddr " + address +
             " ip daddr != 224.0.0.0/4 ip protocol udp counter name udp_" + label + "\n";
  }
  rules += "  }\n}\n";
  test::CommandResult r = Nft(netns, {"-f", "-"}, rules);
  if (r.exit_code != 0) return Status(code::kUnexpected, "nft in " + netns + ": " + r.Describe());
  return Status::OK();
}

Counts ReadCounters(const std::string& netns, std::string* error) {
  Counts out;
  test::CommandResult r = Nft(netns, {"-j", "list", "counters", "table", "ip", "ferrybench"});
  if (r.exit_code != 0) {
    if (error) *error = "nft in " + netns + ": " + r.Describe();
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("nftables")) {
    if (error) *error = "nft in " + netns + ": unreadable JSON";
    return out;
  }
  for (const auto& item : j["nftables"]) {
    if (!item.contains("counter")) continue;
    const auto& c = item["counter"];
    const std::string name = c.value("name", "");
    const uint64_t packets = c.value("packets", uint64_t{0}), bytes = c.value("bytes", uint64_t{0});
    if (name.rfind("tcp_", 0) == 0) {
      out[name.substr(4)].tcp_packets = packets;
      out[name.substr(4)].tcp_bytes = bytes;
    } else if (name.rfind("udp_", 0) == 0) {
      out[name.substr(4)].udp_packets = packets;
      out[name.substr(4)].udp_bytes = bytes;
    }
  }
  return out;
}

uint64_t TotalPayload(const Counts& counts) {
  uint64_t sum = 0;
  for (const auto& [label, c] : counts) sum += c.Payload();
  return sum;
}

}  // namespace ferry::bench
