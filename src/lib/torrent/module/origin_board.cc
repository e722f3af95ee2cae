#include "lib/torrent/module/origin_board.h"

#include <algorithm>
#include <iterator>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_connection_interface.hpp>
#include <string>
#include <vector>

#include "lib/torrent/module/lan_fence.h"

namespace ferry::torrent {
namespace {

constexpr char kName[] = "ferry_origin";
constexpr char kRankKey[] = "ferry_rank";
constexpr int kMsgExtended = 20;  // BEP 10

// One connection's side of the extension.
class OriginPeer final : public lt::peer_plugin {
 public:
  OriginPeer(std::shared_ptr<OriginBoard> board, lt::bt_peer_connection_handle pc)
      : board_(std::move(board)), pc_(std::move(pc)) {}
  ~OriginPeer() override { board_->PeerLeft(this); }

  lt::string_view type() const override { return kName; }

  // The peer fence of a local-only board: nothing is exchanged with a peer
  // on a public address (its handshake is the first thing it says).
  bool on_handshake(lt::span<const char>) override {
    if (board_->local_only()) FenceOutPublicPeer(pc_);
    return true;
  }

  void add_handshake(lt::entry& h) override {
    h["m"][kName] = OriginBoard::kMessageId;
    h[kRankKey] = static_cast<std::int64_t>(board_->rank_number());
  }

  bool on_extension_handshake(const lt::bdecode_node& h) override {
    if (h.type() != lt::bdecode_node::dict_t) return false;
    lt::bdecode_node m = h.dict_find_dict("m");
    if (!m) return false;
    const std::int64_t index = m.dict_find_int_value(kName, -1);
    if (index <= 0 || index > 255) return false;  // not a ferry peer: drop the plugin
    their_id_ = static_cast<int>(index);
    const std::int64_t rank = h.dict_find_int_value(kRankKey, 0);
    board_->PeerJoined(this, static_cast<uint64_t>(rank < 0 ? 0 : rank));
    Send();
    return true;
  }

  bool on_extended(int length, int msg, lt::span<const char> body) override {
    if (msg != OriginBoard::kMessageId || their_id_ == 0) return false;
    if (length > OriginBoard::kMaxMessage) return Drop();
    if (!pc_.packet_finished()) return true;
    lt::error_code ec;
    lt::bdecode_node d = lt::bdecode(body, ec, nullptr, 10, 10);
    if (ec || d.type() != lt::bdecode_node::dict_t) return Drop();
    const std::int64_t bytes = d.dict_find_int_value("b", -1);
    const std::int64_t fetching = d.dict_find_int_value("o", -1);
    if (bytes < 0 || (fetching != 0 && fetching != 1)) return Drop();
    board_->PeerSaid(this, OriginReport{fetching == 1, static_cast<uint64_t>(bytes)});
    return true;
  }

  void tick() override { Send(); }

 private:
  bool Drop() {
    pc_.disconnect(lt::errors::invalid_message, lt::operation_t::bittorrent,
                   lt::peer_connection_interface::peer_error);
    return true;
  }

  void Send() {
    if (their_id_ == 0 || pc_.is_disconnecting()) return;
    OriginReport r = board_->Report();
    lt::entry e;
    e["b"] = static_cast<std::int64_t>(r.bytes);
    e["o"] = r.fetching ? 1 : 0;
    std::vector<char> payload;
    lt::bencode(std::back_inserter(payload), e);
    const uint32_t n = static_cast<uint32_t>(payload.size() + 2);
    std::vector<char> msg = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                             static_cast<char>(n >> 8), static_cast<char>(n),
                             static_cast<char>(kMsgExtended), static_cast<char>(their_id_)};
    msg.insert(msg.end(), payload.begin(), payload.end());
    pc_.send_buffer(msg.data(), static_cast<int>(msg.size()));
  }

  std::shared_ptr<OriginBoard> board_;
  lt::bt_peer_connection_handle pc_;
  int their_id_ = 0;  // the id the peer gave ferry_origin; 0 until its handshake
};

class OriginTorrentPlugin final : public lt::torrent_plugin {
 public:
  explicit OriginTorrentPlugin(std::shared_ptr<OriginBoard> board) : board_(std::move(board)) {}
  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle& pc) override {
    if (pc.type() != lt::connection_type::bittorrent) return {};
    return std::make_shared<OriginPeer>(board_, lt::bt_peer_connection_handle(pc));
  }

 private:
  std::shared_ptr<OriginBoard> board_;
};

}  // namespace

void OriginBoard::SetReport(OriginReport report) {
  std::lock_guard lock(mu_);
  mine_ = report;
}

OriginReport OriginBoard::Report() const {
  std::lock_guard lock(mu_);
  return mine_;
}

OriginView OriginBoard::View() const {
  std::lock_guard lock(mu_);
  OriginView v;
  v.fetched = departed_bytes_;
  for (const auto& [key, p] : peers_) {
    ++v.ferry_peers;
    if (p.said.fetching) ++v.fetching;
    v.fetched += p.said.bytes;
    if (p.rank_number < rank_number_) ++v.rank;
  }
  return v;
}

void OriginBoard::PeerJoined(const void* peer, uint64_t rank_number) {
  std::lock_guard lock(mu_);
  peers_[peer].rank_number = rank_number;
}

void OriginBoard::PeerSaid(const void* peer, OriginReport report) {
  std::lock_guard lock(mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  // A peer's count only grows (a restarted peer is a new connection).
  it->second.said.fetching = report.fetching;
  it->second.said.bytes = std::max(it->second.said.bytes, report.bytes);
}

void OriginBoard::PeerLeft(const void* peer) {
  std::lock_guard lock(mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  departed_bytes_ += it->second.said.bytes;
  peers_.erase(it);
}

std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
OriginBoard::Extension() {
  std::shared_ptr<OriginBoard> self = shared_from_this();
  return [self](const lt::torrent_handle&, lt::client_data_t) {
    return std::make_shared<OriginTorrentPlugin>(self);
  };
}

}  // namespace ferry::torrent
