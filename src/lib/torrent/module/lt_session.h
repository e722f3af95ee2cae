// LtSession: torrent::Session on libtorrent-rasterbar 2.0.8. Only the module
// (libferry-torrent.so) compiles this; nothing outside src/lib/torrent/module
// sees a libtorrent type.
//
// One lt::session with the posix disk backend, auto-management off, DHT/UPnP/
// NAT-PMP as the settings say (off by default), local service discovery on.
// libtorrent's alert notify writes an eventfd; DispatchEvents, on ferry's
// loop, pops the alerts and turns them into events. Only libtorrent's
// asynchronous calls are used (async_add_torrent, post_torrent_updates, the
// handle's posted commands); no sync_call (status(), get_peer_info(),
// torrent_file()) ever runs on the loop.
#pragma once

#include <functional>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "lib/torrent/module/origin_board.h"
#include "lib/torrent/module/convert.h"
#include "lib/torrent/session.h"

namespace ferry::torrent {

class LtSession final : public Session {
 public:
  // nullptr, with *error set, when libtorrent refuses the settings or the
  // eventfd cannot be made.
  static std::unique_ptr<LtSession> Create(const SessionSettings& settings, std::string* error);
  ~LtSession() override;

  void SetEventHandler(EventHandler handler) override { handler_ = std::move(handler); }
  int NotifyFd() const override { return event_fd_; }
  void DispatchEvents() override;

  Result<TorrentId> Add(const AddParams& params) override;
  Result<TorrentId> Seed(const SeedParams& params) override;
  ferry::Status Pause(TorrentId id) override;
  ferry::Status Resume(TorrentId id) override;
  ferry::Status Remove(TorrentId id, bool delete_files) override;
  ferry::Status SaveResumeData(TorrentId id) override;
  ferry::Status SaveTorrentFile(TorrentId id) override;
  ferry::Status AddPiece(TorrentId id, int piece, std::string data) override;
  Result<DerivedTorrent> ContentTorrent(const ContentSpec& spec) const override;
  ferry::Status SetUploadOnly(TorrentId id, bool upload_only) override;
  ferry::Status SetOriginReport(TorrentId id, OriginReport report) override;
  OriginView GetOriginView(TorrentId id) const override;
  ferry::Status ConnectPeer(TorrentId id, const std::string& address, uint16_t port) override;
  ferry::Status SetTorrentLimits(TorrentId id, RateLimits limits) override;
  void SetLocalPeerLimits(RateLimits limits) override;
  void SetGlobalLimits(RateLimits limits) override;
  void RequestStatus() override;
  const TorrentStatus* GetStatus(TorrentId id) const override;
  const PeerLedger* Ledger(TorrentId id) const override;
  SentTotals Sent() const override { return sent_; }

 private:
  // One torrent as ferry knows it. Lives from Add until libtorrent confirms
  // its removal (or refuses the add); `userdata` of libtorrent points here.
  struct Torrent {
    explicit Torrent(TorrentId i, int ban_after) : id(i), ledger(ban_after) {}
    TorrentId id;
    lt::torrent_handle handle;  // invalid until the add_torrent_alert
    bool removed = false;       // Remove was called: unknown to the caller
    int torrent_files_wanted = 0;  // SaveTorrentFile calls not answered yet
    lt::info_hash_t hashes;        // what libtorrent tells duplicates by
    bool seed_copy = false;        // added by Seed: a fetch of the same torrent replaces it
    std::vector<std::function<void(const lt::torrent_handle&)>> pending;  // until added
    std::optional<std::string> chosen_file;
    std::optional<std::string> store_as;           // AddParams::store_as
    std::shared_ptr<const lt::torrent_info> info;  // once the metadata is known
    // Blocks and piece results that came before `info` (a magnet's metadata
    // is known from the status update after metadata_received_alert).
    struct Early {
      enum Kind { kBlock, kPassed, kFailed } kind;
      std::string peer;
      int piece;
      int block;
      uint16_t port = 0;
    };
    std::vector<Early> early;
    TorrentStatus status;
    PeerLedger ledger;
    std::shared_ptr<OriginBoard> board;  // content torrents only
    bool group = false;                  // a group's content torrent (SentTotals)
    bool order_by_peers = false;         // AddParams::in_order_while_alone
    bool in_order = false;               // its sequential_download flag as set
    // The web seeds' hosts and ports (BEP 19), to tell their blocks from peers'.
    WebSeeds web_seeds;
  };

  LtSession(std::unique_ptr<lt::session> session, int event_fd, const SessionSettings& settings);

  Result<TorrentId> Start(lt::add_torrent_params params, std::optional<std::string> chosen_file,
                          bool seed_copy = false);
  Torrent* Find(TorrentId id) const;
  // A torrent still in the session with a v1 or v2 info-hash in common.
  Torrent* FindSame(const lt::info_hash_t& hashes) const;
  Torrent* FromHandle(const lt::torrent_handle& handle) const;
  // Runs `command` on the torrent's handle now, or once libtorrent has added it.
  ferry::Status Command(TorrentId id, std::function<void(const lt::torrent_handle&)> command);
  void Emit(Event event);
  void FollowPeerCount(Torrent& t, int peers);
  void Ban(Torrent& t, const std::string& address);
  void LearnInfo(Torrent& t, std::shared_ptr<const lt::torrent_info> info);
  void ApplyChosenFile(Torrent& t);
  // A web seed's URL: in the status, and its host and port told apart.
  void NoteWebSeed(Torrent& t, const std::string& url);
  void CountBlock(Torrent& t, const std::string& peer, uint16_t port, int piece, int block);
  void PiecePassed(Torrent& t, int piece);
  void PieceFailed(Torrent& t, int piece);
  void CountSent(Torrent& t, const std::string& peer, int piece, int block);

  // Alert handlers (lt_session_alerts.cc).
  void OnAlert(lt::alert* a);
  bool OnTorrentAlert(lt::alert* a);
  bool OnPieceAlert(lt::alert* a);
  bool OnSessionAlert(lt::alert* a);
  void OnAdded(lt::alert* a);
  void OnStateUpdate(lt::alert* a);
  void OnResumeData(lt::alert* a);

  std::unique_ptr<lt::session> session_;
  int event_fd_;
  int ban_after_;
  bool libtorrent_web_seeds_;  // SessionSettings::libtorrent_web_seeds
  EventHandler handler_;
  TorrentId next_id_ = 1;
  std::map<TorrentId, std::unique_ptr<Torrent>> torrents_;
  std::unordered_map<lt::torrent_handle, Torrent*> by_handle_;
  lt::ip_filter ip_filter_;
  SentTotals sent_;
  uint64_t rank_number_;  // random, this session's place in OriginView::rank
};

}  // namespace ferry::torrent
