#include "lib/torrent/peer_ledger.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace ferry::torrent {

namespace {

bool IsLanV4(const uint8_t* a) {
  return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
         (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
}

bool IsLanV6(const uint8_t* a) {
  static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(a, kLoopback, 16) == 0) return true;
  if (std::memcmp(a, kMappedPrefix, 12) == 0) return IsLanV4(a + 12);
  if ((a[0] & 0xFE) == 0xFC) return true;        // fc00::/7
  return a[0] == 0xFE && (a[1] & 0xC0) == 0x80;  // fe80::/10
}

}  // namespace

bool IsLanAddress(const std::string& address) {
  uint8_t bytes[16];
  if (::inet_pton(AF_INET, address.c_str(), bytes) == 1) return IsLanV4(bytes);
  if (::inet_pton(AF_INET6, address.c_str(), bytes) == 1) return IsLanV6(bytes);
  return false;
}

PeerBytes& PeerLedger::Peer(const std::string& peer) {
  auto [it, inserted] = peers_.try_emplace(peer);
  if (inserted) it->second.lan = IsLanAddress(peer);
  return it->second;
}

void PeerLedger::BlockReceived(const std::string& peer, int piece, uint64_t bytes) {
  Peer(peer).received += bytes;
  unchecked_[piece].emplace_back(peer, bytes);
}

void PeerLedger::BlockSent(const std::string& peer, uint64_t bytes) { Peer(peer).sent += bytes; }

void PeerLedger::PiecePassed(int piece) {
  auto it = unchecked_.find(piece);
  if (it == unchecked_.end()) return;
  for (const auto& [peer, bytes] : it->second) Peer(peer).verified += bytes;
  unchecked_.erase(it);
}

std::vector<std::string> PeerLedger::PieceFailed(int piece, std::vector<std::string>* to_ban) {
  std::vector<std::string> senders;
  auto it = unchecked_.find(piece);
  if (it == unchecked_.end()) return senders;
  for (const auto& block : it->second) senders.push_back(block.first);
  unchecked_.erase(it);
  std::sort(senders.begin(), senders.end());
  senders.erase(std::unique(senders.begin(), senders.end()), senders.end());
  // A banned sender explains the failure: the others are not charged.
  const bool known_bad = std::any_of(senders.begin(), senders.end(),
                                     [this](const std::string& s) { return Peer(s).banned; });
  for (const std::string& peer : senders) {
    PeerBytes& p = Peer(peer);
    if (known_bad && !p.banned) continue;
    ++p.bad_pieces;
    if (!p.banned && p.bad_pieces >= ban_after_) {
      p.banned = true;
      to_ban->push_back(peer);
    }
  }
  return senders;
}

void PeerLedger::MarkBanned(const std::string& peer) { Peer(peer).banned = true; }

LedgerTotals PeerLedger::Totals() const {
  LedgerTotals t;
  t.web_received = web_received_;
  for (const auto& [address, p] : peers_) {
    (p.lan ? t.lan_received : t.internet_received) += p.received;
    (p.lan ? t.lan_verified : t.internet_verified) += p.verified;
    (p.lan ? t.lan_sent : t.internet_sent) += p.sent;
  }
  return t;
}

}  // namespace ferry::torrent
