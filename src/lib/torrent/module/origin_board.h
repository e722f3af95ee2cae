// OriginBoard: the "ferry_origin" BitTorrent extension of one content torrent
// (session.h OriginReport/OriginView; docs/peering.md "Who asks the origin").
//
// Wire format (BEP 10 extended messages): the extension handshake carries
//   "m": {"ferry_origin": 19}, "ferry_rank": R
// where R is the session's random rank number (0 .. 2^53); then, about once a
// second, each side sends an extended message with the id the other side
// gave, whose payload is the bencoded dictionary
//   {"b": BYTES, "o": 0|1}
// (at most kMaxMessage bytes; a longer or malformed one disconnects the
// peer). A peer without the extension is left alone (its plugin is dropped).
//
// Threads: the peer plugins run on libtorrent's network thread; SetReport and
// View on ferry's loop. The board's state is behind a mutex; the plugins hold
// the board by shared_ptr, so it lives as long as any of them.
#pragma once

#include <cstdint>
#include <functional>
#include <libtorrent/extensions.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "lib/torrent/session.h"

namespace ferry::torrent {

class OriginBoard : public std::enable_shared_from_this<OriginBoard> {
 public:
  static constexpr int kMessageId = 19;  // ours, in our handshake's "m"
  static constexpr int kMaxMessage = 256;
  static constexpr uint64_t kRankMask = (uint64_t{1} << 53) - 1;

  // Rank numbers are bencoded integers (signed 64-bit): only the low 53 bits
  // of `rank_number` are used, here and on the wire.
  // `local_only`: peers not on a private address are disconnected at their
  // handshake (AddParams::local_peers_only).
  OriginBoard(uint64_t rank_number, bool local_only)
      : rank_number_(rank_number & kRankMask), local_only_(local_only) {}

  void SetReport(OriginReport report);
  OriginView View() const;

  // The torrent plugin to give libtorrent (add_torrent_params::extensions).
  std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
  Extension();

  // --- for the peer plugins (libtorrent's thread) ---
  uint64_t rank_number() const { return rank_number_; }
  bool local_only() const { return local_only_; }
  OriginReport Report() const;
  // A peer spoke the extension (handshake) / said something / went away.
  void PeerJoined(const void* peer, uint64_t rank_number);
  void PeerSaid(const void* peer, OriginReport report);
  void PeerLeft(const void* peer);

 private:
  struct Peer {
    uint64_t rank_number = 0;
    OriginReport said;
  };

  const uint64_t rank_number_;
  const bool local_only_;
  mutable std::mutex mu_;
  OriginReport mine_;
  std::map<const void*, Peer> peers_;
  // Bytes reported by peers that have gone: View().fetched only grows.
  uint64_t departed_bytes_ = 0;
};

}  // namespace ferry::torrent
