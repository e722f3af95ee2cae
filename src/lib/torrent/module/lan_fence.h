// The peer fence of DO's LAN mode (docs/peering.md "LAN mode"): a peer not on
// a private address (IsLanAddress) is disconnected at its BitTorrent
// handshake, the first thing it says, so nothing is exchanged with it. A
// content fetch's torrent applies it in its ferry_origin extension
// (AddParams::local_peers_only); a seed of ferry's cache with
// SeedParams::local_peers_only gets it as an extension of its own.
// Runs on libtorrent's network thread.
#pragma once

#include <functional>
#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <memory>

namespace ferry::torrent {

// Disconnects `pc` when its peer is not on a private address; true if so.
bool FenceOutPublicPeer(lt::peer_connection_handle& pc);

// An extension for add_torrent_params::extensions that fences every
// BitTorrent connection of the torrent.
std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>
LanFenceExtension();

}  // namespace ferry::torrent
