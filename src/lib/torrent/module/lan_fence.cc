#include "lib/torrent/module/lan_fence.h"

#include <libtorrent/error_code.hpp>
#include <libtorrent/peer_connection_interface.hpp>
#include <string>

#include "lib/torrent/peer_ledger.h"

namespace ferry::torrent {
namespace {

class FencePeer final : public lt::peer_plugin {
 public:
  explicit FencePeer(lt::peer_connection_handle pc) : pc_(std::move(pc)) {}
  lt::string_view type() const override { return "ferry_lan_fence"; }
  bool on_handshake(lt::span<const char>) override {
    FenceOutPublicPeer(pc_);
    return true;
  }

 private:
  lt::peer_connection_handle pc_;
};

class FenceTorrent final : public lt::torrent_plugin {
 public:
  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle& pc) override {
    if (pc.type() != lt::connection_type::bittorrent) return {};
    return std::make_shared<FencePeer>(pc);
  }
};

}  // namespace

bool FenceOutPublicPeer(lt::peer_connection_handle& pc) {
  if (IsLanAddress(pc.remote().address().to_string())) return false;
  pc.disconnect(lt::errors::banned_by_ip_filter, lt::operation_t::bittorrent,
                lt::peer_connection_interface::normal);
  return true;
}

std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
LanFenceExtension() {
  return
      [](const lt::torrent_handle&, lt::client_data_t) { return std::make_shared<FenceTorrent>(); };
}

}  // namespace ferry::torrent
