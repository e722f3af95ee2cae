// NetCounters: what each host of the swarm bed received, by sender, counted by
// the kernel (nftables) inside the host's network namespace, the same way
// for ferry and for the libtorrent anchor.
//
// Install(netns, sources) adds, in that namespace only, a table
// `ip ferrybench` with one input-hook chain and, per source (a label such as
// "o" for the origin or "h3" for host 3, and its IPv4 address), two named
// counters: tcp_<label> (every TCP packet from that address) and udp_<label>
// (every unicast UDP packet from it: uTP, libtorrent's default peer
// transport; multicast, i.e. local service discovery, is left out). The
// table goes away with the namespace (the swarm fixture deletes it).
//
// Packets and bytes are IP packets as the input hook sees them (after GRO, so
// one "packet" may carry several segments, each counted with one IP header).
// Payload() estimates the bytes the sender's application wrote: IP bytes
// minus one IPv4+TCP header with timestamps (52 bytes) per TCP packet and one
// IPv4+UDP+uTP header (48 bytes) per UDP packet. Measured on this bed: 50 MB
// over TCP came out 8 bytes high (the SYN's options). Options beyond that
// (SACK blocks, uTP extensions) make it a few bytes high per packet that
// carries them; pure ACKs count about 0.
//
// Needs /usr/sbin/nft (Debian nftables) and root. Every call is bounded
// (RunCommand, 10 s). Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ferry/status.h"

namespace ferry::bench {

constexpr const char* kNftPath = "/usr/sbin/nft";

struct SourceCount {
  uint64_t tcp_packets = 0, tcp_bytes = 0;
  uint64_t udp_packets = 0, udp_bytes = 0;

  uint64_t Bytes() const { return tcp_bytes + udp_bytes; }
  uint64_t Packets() const { return tcp_packets + udp_packets; }
  // The application payload, estimated as above (never below 0).
  uint64_t Payload() const;
};

// Label -> counts.
using Counts = std::map<std::string, SourceCount>;

// Adds the table to `netns`; `sources` are (label, IPv4 address) pairs,
// labels made of [a-z0-9_]. E_UNEXPECTED with nft's output on failure.
Status InstallCounters(const std::string& netns,
                       const std::vector<std::pair<std::string, std::string>>& sources);

// Reads the counters of `netns` (nft -j list counters). On failure returns
// an empty map and sets *error when given.
Counts ReadCounters(const std::string& netns, std::string* error = nullptr);

// Sum of Payload() over every label.
uint64_t TotalPayload(const Counts& counts);

}  // namespace ferry::bench
