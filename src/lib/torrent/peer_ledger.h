// PeerLedger: exact bytes by source for one torrent, built from the blocks
// libtorrent reports (its block_finished_alert names the peer of every 16 KiB
// block), and the hash-failure count that gets a peer banned.
//
// Peers are keyed by IP address ("192.168.1.4", "fe80::1"): a ban refuses the
// address. Not thread-safe; lib/torrent's module keeps one per torrent on the
// event loop's thread. No libtorrent type: it is plain bookkeeping, unit-tested
// on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ferry::torrent {

// True for addresses that cannot be on the internet: loopback, RFC 1918
// private, link-local (IPv4 169.254/16, IPv6 fe80::/10), IPv6 unique local
// (fc00::/7), and IPv4-mapped IPv6 forms of those. False for anything that
// does not parse.
bool IsLanAddress(const std::string& address);

struct PeerBytes {
  bool lan = false;       // IsLanAddress
  uint64_t received = 0;  // payload of every block it sent, good or bad
  uint64_t verified = 0;  // payload of its blocks in pieces that passed the hash check
  // Payload of every block this host put on the wire to it (libtorrent's
  // block_uploaded_alert: the block entered the peer's send buffer; a block
  // cut off by a disconnect still counts).
  uint64_t sent = 0;
  int bad_pieces = 0;     // pieces that failed their hash check with a block of it
  bool banned = false;
};

struct LedgerTotals {
  uint64_t lan_received = 0;
  uint64_t internet_received = 0;
  uint64_t lan_verified = 0;
  uint64_t internet_verified = 0;
  uint64_t lan_sent = 0;
  uint64_t internet_sent = 0;
  // From the torrent's web seeds (BEP 19: HTTP servers, not peers).
  uint64_t web_received = 0;
};

class PeerLedger {
 public:
  // A peer is to be banned once it has `ban_after_bad_pieces` (>= 1) bad pieces.
  explicit PeerLedger(int ban_after_bad_pieces) : ban_after_(ban_after_bad_pieces) {}

  // `bytes` of payload of piece `piece` came from `peer`.
  void BlockReceived(const std::string& peer, int piece, uint64_t bytes);
  // `bytes` of payload went to `peer`.
  void BlockSent(const std::string& peer, uint64_t bytes);
  // `bytes` of payload came from one of the torrent's web seeds (an HTTP
  // server: no peer, no ban; libtorrent drops a web seed that serves bad
  // data by itself).
  void WebSeedBlockReceived(uint64_t bytes) { web_received_ += bytes; }
  // The piece passed its hash check: its blocks' bytes count as verified.
  void PiecePassed(int piece);
  // The piece failed its hash check: each peer that sent a block of it gets a
  // bad piece, except that when one of them is banned already, only the
  // banned ones do (a good peer that completed a bad peer's piece is not
  // charged for it). Returns those peers (sorted, each once); the ones that reached
  // the ban threshold now, and are not banned yet, are appended to *to_ban.
  std::vector<std::string> PieceFailed(int piece, std::vector<std::string>* to_ban);
  // Records that `peer` is banned (by this ledger's count or by libtorrent).
  void MarkBanned(const std::string& peer);

  const std::map<std::string, PeerBytes>& peers() const { return peers_; }
  LedgerTotals Totals() const;

 private:
  PeerBytes& Peer(const std::string& peer);

  int ban_after_;
  uint64_t web_received_ = 0;
  std::map<std::string, PeerBytes> peers_;
  // Blocks of pieces not yet checked: piece -> (peer, bytes).
  std::map<int, std::vector<std::pair<std::string, uint64_t>>> unchecked_;
};

}  // namespace ferry::torrent
