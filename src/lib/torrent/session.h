// torrent::Session: ferry's view of one BitTorrent session (libtorrent-rasterbar
// 2.0.8 inside a loadable module, lib/torrent/module.h). No libtorrent type
// appears here: the rest of ferry sees only these plain types, so that it can
// be compiled, linked and started without libtorrent, and load it at first use.
//
// Threads: every method is called on one thread (ferry's event loop), which
// also calls DispatchEvents() when NotifyFd() is readable (lib/torrent/
// loop_binding.h does that). No method blocks on libtorrent's network thread:
// commands are posted to it and their outcome comes back as an Event.
//
// Torrents are named by TorrentId, ferry's own handle (never 0, never reused
// within a session). A torrent is added paused unless AddParams says
// otherwise; nothing is auto-managed: the caller decides what runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ferry/status.h"
#include "lib/torrent/peer_ledger.h"
#include "util/result.h"

namespace ferry::torrent {

using TorrentId = uint64_t;

// How a session is set up. Defaults are ferryd's: DO's port, peers found on
// the local network only.
struct SessionSettings {
  // Addresses to listen on ("0.0.0.0", "[::]", "127.0.0.2", or an interface
  // name such as "eth0") and the TCP/uTP port (0: one the system picks; the
  // ListenSucceeded event says which).
  std::vector<std::string> listen_addresses = {"0.0.0.0", "[::]"};
  uint16_t listen_port = 7680;
  bool local_service_discovery = true;  // BEP 14 multicast on the LAN
  // The address (or interface name) outgoing peer connections come from;
  // "" lets the system choose. Sessions on several loopback addresses need
  // it: the kernel sends TCP to 127.0.0.x from 127.0.0.1 by default, and one
  // IP address is one peer (a second host's connection looks like the first
  // host's).
  std::string outgoing_address;
  bool dht = false;
  bool upnp = false;
  bool natpmp = false;
  // This session opens peer connections over uTP (BEP 29) as well as TCP
  // (it accepts both either way). Off by default: on a LAN its LEDBAT control
  // backs off from the queueing delay of any shaped link, and libtorrent's
  // uTP costs far more CPU per byte than TCP (bench scenario 7: 8 hosts took
  // 51 s with uTP, 40 s over TCP, each ferryd 6.4 s of CPU against 4.0 s).
  bool utp = false;
  // Caps on peer connections: in total (inbound included; libtorrent refuses
  // connections beyond it) and per torrent.
  int connections_limit = 200;
  int max_connections_per_torrent = 50;
  // Pending TCP connections the kernel queues for accept.
  int listen_queue_size = 16;
  // When false (the default) one IP address is one peer. Tests running
  // several sessions on one address set it.
  bool allow_multiple_connections_per_ip = false;
  // A peer that sent data of this many pieces that failed their hash is
  // banned (the session refuses its address from then on). libtorrent itself
  // bans a peer at once when it alone sent a failed piece.
  int ban_after_bad_pieces = 2;
  // Alerts libtorrent keeps between two DispatchEvents. One per 16 KiB block
  // is needed for exact accounting; an overflow is reported (AlertsDropped).
  int alert_queue_size = 1 << 15;
  // Sent in the handshake and to trackers.
  std::string user_agent = "ferry";
  // false: libtorrent is given no web seed (BEP 19) of any torrent; they are
  // listed in TorrentStatus::web_seeds (and kept in resume data) for the
  // caller, which fetches their pieces itself and hands them over with
  // AddPiece (ferryd does, so that they go through its HTTP settings:
  // proxies, TLS).
  bool libtorrent_web_seeds = true;
};

// Bytes per second; 0 means no limit.
struct RateLimits {
  int upload = 0;
  int download = 0;
};

// The torrent ferry derives from a content id (docs/content-id.md, "The
// torrent of an id"): v2 only, one file, its info dictionary fixed by the id
// (and the group), so that hosts with the same id find each other with no
// file passed around. Pieces are verified against the id's pieces root; the
// piece layer comes from peers that have it (BEP 52 hash requests).
struct ContentSpec {
  uint64_t size = 0;  // > 0
  std::string root;   // the id's pieces root: 64 lowercase hex digits
  // "" outside a group; else the group id, which changes the info-hash
  // (hosts of different groups share nothing). Only its SHA-256 is in the
  // info dictionary.
  std::string group;
  // Announce URLs (Group mode); in the .torrent, not in its info dictionary.
  std::vector<std::string> trackers;
};

// Who asks the origin (docs/peering.md "Who asks the origin"): ferry hosts on
// a content torrent tell each other, in a BitTorrent extension message
// ("ferry_origin", about once a second), whether they are fetching the
// content from its origin now and how many bytes of it they have fetched, so
// that a host waits for a peer that is fetching instead of asking the origin
// too. Only content torrents (AddParams::content) speak it.
struct OriginReport {
  bool fetching = false;
  uint64_t bytes = 0;  // fetched from the origin so far; only grows
};
// What this host knows of the others on one content torrent, now.
struct OriginView {
  int ferry_peers = 0;  // connected peers that speak the extension
  int fetching = 0;     // of them, those fetching from the origin
  // Sum over the connected peers of the bytes they reported fetched from
  // the origin: it grows while someone's origin fetch makes progress.
  uint64_t fetched = 0;
  // Connected ferry peers that rank before this host (a random number each
  // session draws): hosts that start together stagger their turn to ask the
  // origin by it.
  int rank = 0;
};

// Payload bytes this session sent to peers, by kind of peer: "group" = peers
// on private addresses (IsLanAddress) of a group's content torrent (its info
// dictionary has ContentSpec::group's hash, however it was added: content,
// resume data or a seed); "lan" = other peers on private addresses;
// "internet" = the rest. A block counts when libtorrent puts it in the
// peer's send buffer (block_uploaded_alert); one cut off by a disconnect
// still counts.
struct SentTotals {
  uint64_t lan = 0;
  uint64_t group = 0;
  uint64_t internet = 0;
};

struct DerivedTorrent {
  std::string torrent;    // .torrent bytes
  std::string info_hash;  // v2, 64 hex digits
};

// What to add. Exactly one of `magnet`, `torrent`, `resume_data`, `content`
// is set, except that `content` may come with the `resume_data` of its
// torrent (a content fetch resumed: the extension and the peer fence of a
// content torrent are kept).
struct AddParams {
  std::string magnet;       // "magnet:?xt=urn:btih:…" (v1), urn:btmh (v2) or both
  std::string torrent;      // the bytes of a .torrent file
  std::string resume_data;  // bytes from a ResumeDataSaved event
  std::optional<ContentSpec> content;
  // Where the torrent's files go (ferry's staging directory). Required,
  // except with resume_data, which remembers it (a non-empty value here
  // replaces the remembered one).
  std::string save_dir;
  // When set, only this file is downloaded: its path in the torrent, with or
  // without the torrent's top directory ("dir/a.bin" or "a.bin" in torrent
  // "dir"). For a magnet it is resolved once the metadata arrives (a
  // TorrentError names it when the torrent has no such file).
  std::optional<std::string> file;
  // When set, an absolute path where the chosen file (or the torrent's only
  // file, when none is chosen) is written instead of under save_dir: ferry's
  // staging file of it. A torrent of several files with no chosen file is
  // E_INVALIDARG (a magnet's: a TorrentError once the metadata arrives).
  std::optional<std::string> store_as;
  // Only the file list is wanted (a torrent of several files that ferry
  // turns into one job file each): the torrent stays in upload mode and
  // requests no piece; `file` and `store_as` must be unset. The files are in
  // GetStatus(id)->files once the metadata is known (a magnet: after
  // MetadataReceived).
  bool metadata_only = false;
  // Pieces in order while the torrent has at most one peer connection,
  // rarest first (libtorrent's default) with more. With one peer order buys
  // nothing but costs nothing either, and what came is a prefix a fetch
  // handing the rest to HTTP keeps (a LAN seed that goes away mid-file);
  // hosts fetching together need rarest first to have pieces to trade.
  bool in_order_while_alone = false;
  // No piece is requested, none written: the torrent is there to be seen
  // (a content torrent whose host fetches from the origin: OriginReport).
  bool upload_only = false;
  // Content torrents only: peers not on a private address (IsLanAddress)
  // are disconnected at their handshake, before anything is exchanged (DO's
  // LAN mode: peers on the local network only).
  bool local_peers_only = false;
  bool paused = true;
};

// Seeding an existing file (ferry's cache) without re-hashing it: ferry
// already knows the bytes are right (libtorrent's seed_mode checks each piece
// when a peer first asks for it). A v2 torrent without its piece layers (one
// ContentTorrent made) cannot seed that way: libtorrent checks the file once
// (~0.25 s per 128 MiB, on its disk threads), which also builds the layers.
struct SeedParams {
  std::string torrent;  // the bytes of a .torrent file of one file
  std::string path;     // the existing file; its name may differ from the torrent's
  bool paused = false;
  // Peers not on a private address are disconnected at their handshake
  // (AddParams::local_peers_only), for a content id's torrent in LAN mode.
  bool local_peers_only = false;
};

enum class TorrentState {
  kAdding,  // the add is posted, libtorrent has not confirmed it
  kCheckingResumeData,
  kCheckingFiles,
  kDownloadingMetadata,  // a magnet without its info dictionary yet
  kDownloading,
  kFinished,  // every wanted piece is here (others are not wanted)
  kSeeding,   // every piece is here
};
const char* StateName(TorrentState state);

// One file of a torrent (pad files are left out; `index` is the torrent's).
struct FileEntry {
  int index = 0;
  std::string path;  // relative to the save directory, '/'-separated
  uint64_t size = 0;
  uint64_t offset = 0;  // of its first byte in the torrent (pieces count from 0)
};

// A snapshot of one torrent, as of its last status update (RequestStatus).
struct TorrentStatus {
  TorrentState state = TorrentState::kAdding;
  bool paused = true;
  bool has_metadata = false;
  std::string name;
  std::string info_hash_v1;  // 40 hex digits, empty for a v2-only torrent
  std::string info_hash_v2;  // 64 hex digits, empty for a v1-only torrent
  std::string error;         // libtorrent's error on this torrent, if any
  std::string save_dir;
  float progress = 0;  // of the wanted bytes, 0..1
  uint64_t total_wanted = 0;
  uint64_t total_wanted_done = 0;
  uint64_t all_time_download = 0;  // payload bytes, across resumes
  uint64_t all_time_upload = 0;
  int download_rate = 0;  // bytes/s
  int upload_rate = 0;
  int num_peers = 0;
  int num_seeds = 0;
  int piece_length = 0;
  uint64_t total_size = 0;   // every byte of the torrent, pad files included
  std::vector<bool> pieces;  // verified pieces; empty without metadata
  std::vector<FileEntry> files;
  // The torrent's web seeds (BEP 19 "url-list", a magnet's ws=, or kept in
  // resume data), in that order, each once.
  std::vector<std::string> web_seeds;
};

// Events, delivered by DispatchEvents in the order libtorrent produced them.
namespace event {
struct Added {  // libtorrent accepted the torrent
  TorrentId id;
};
struct AddFailed {  // the torrent is gone again (duplicate, bad resume data…)
  TorrentId id;
  std::string message;
};
struct MetadataReceived {  // a magnet's info dictionary arrived; files are known
  TorrentId id;
};
struct StatusChanged {  // GetStatus(id) has a new snapshot
  TorrentId id;
};
struct Finished {  // every wanted piece is verified and written
  TorrentId id;
};
struct Removed {
  TorrentId id;
};
struct ResumeDataSaved {
  TorrentId id;
  std::string data;  // opaque: give it back in AddParams::resume_data
};
struct ResumeDataFailed {
  TorrentId id;
  std::string message;
};
struct TorrentFileSaved {  // answers SaveTorrentFile
  TorrentId id;
  std::string data;  // a .torrent file: the torrent's info dictionary as libtorrent has it
};
struct TorrentFileFailed {
  TorrentId id;
  std::string message;
};
struct TorrentError {  // the torrent stopped (disk error, unknown file…)
  TorrentId id;
  std::string message;
};
struct PieceFailed {  // a piece failed its hash; `peers` sent its blocks
  TorrentId id;
  int piece;
  std::vector<std::string> peers;
};
struct PeerBanned {  // no more connections with this address
  TorrentId id;
  std::string address;
};
struct ListenSucceeded {
  std::string address;
  uint16_t port;
};
struct ListenFailed {
  std::string address;
  uint16_t port;
  std::string message;
};
struct AlertsDropped {};  // the alert queue overflowed: accounting may be short
}  // namespace event

using Event =
    std::variant<event::Added, event::AddFailed, event::MetadataReceived, event::StatusChanged,
                 event::Finished, event::Removed, event::ResumeDataSaved, event::ResumeDataFailed,
                 event::TorrentFileSaved, event::TorrentFileFailed, event::TorrentError, event::PieceFailed, event::PeerBanned, event::ListenSucceeded,
                 event::ListenFailed, event::AlertsDropped>;
using EventHandler = std::function<void(const Event&)>;

class Session {
 public:
  virtual ~Session() = default;

  // Events go to `handler` (replacing an earlier one), from DispatchEvents.
  virtual void SetEventHandler(EventHandler handler) = 0;
  // Readable when libtorrent has events; then call DispatchEvents(). The fd
  // belongs to the session (valid until it is destroyed).
  virtual int NotifyFd() const = 0;
  // Reads NotifyFd, takes libtorrent's pending alerts and delivers them as
  // events. Never blocks.
  virtual void DispatchEvents() = 0;

  // E_INVALIDARG (nothing added) when the magnet, torrent or resume data does
  // not parse, when save_dir is missing, or when `file` is not in the torrent.
  // Otherwise the id; an Added or AddFailed event follows.
  virtual Result<TorrentId> Add(const AddParams& params) = 0;
  // As Add, for a finished file to seed; E_INVALIDARG also for a torrent of
  // several files; DO_E_INVALID_STATE while the session fetches the same
  // torrent (same v1 or v2 info-hash). One torrent per info-hash: an Add of
  // a torrent that is seeded removes the seed (its Removed event follows),
  // and an Add of a torrent that is being fetched fails (AddFailed).
  virtual Result<TorrentId> Seed(const SeedParams& params) = 0;

  // code::kNotSet (ERROR_NOT_FOUND) for an unknown id, else S_OK.
  virtual Status Pause(TorrentId id) = 0;
  virtual Status Resume(TorrentId id) = 0;
  // The id is unknown from now on; a Removed event follows. With
  // `delete_files` libtorrent deletes what it wrote.
  virtual Status Remove(TorrentId id, bool delete_files) = 0;
  // Asks for a ResumeDataSaved (or ResumeDataFailed) event. Call it on a
  // paused torrent for data that matches what is on disk.
  virtual Status SaveResumeData(TorrentId id) = 0;
  // Asks for a TorrentFileSaved (or TorrentFileFailed) event: the torrent as
  // a .torrent file (v1, v2 or hybrid, its info dictionary byte for byte; a
  // magnet's once its metadata is here, v2 piece layers included when every
  // piece is). A ResumeDataSaved event comes too (same libtorrent call).
  virtual Status SaveTorrentFile(TorrentId id) = 0;
  // The .torrent of a content id (ContentSpec): its info dictionary and the
  // trackers; E_INVALIDARG for a size of 0 or a root that is not 64 hex
  // digits. Pure: the same spec gives the same bytes on every host.
  virtual Result<DerivedTorrent> ContentTorrent(const ContentSpec& spec) const = 0;
  // Upload mode on or off: a torrent in upload mode requests no piece and
  // writes none (blocks already on their way may still land).
  virtual Status SetUploadOnly(TorrentId id, bool upload_only) = 0;
  // What this host tells the peers of content torrent `id` (OriginReport);
  // the peers learn it within about a second. kNotSet for an unknown id,
  // E_INVALIDARG for a torrent that is not a content torrent.
  virtual Status SetOriginReport(TorrentId id, OriginReport report) = 0;
  // What the peers of content torrent `id` said; an empty view for an
  // unknown id. Safe to call at any time on the session's thread.
  virtual OriginView GetOriginView(TorrentId id) const = 0;
  // Writes `data`, all of piece `piece` (its exact size; pad bytes zero), as
  // if a peer had sent it: libtorrent checks its hash, then a PieceFailed
  // event (no peers) or the piece in the next status. Data of a piece that
  // is verified already is dropped. E_INVALIDARG for a piece out of range or
  // data of another size; kNotSet for an unknown id.
  virtual Status AddPiece(TorrentId id, int piece, std::string data) = 0;
  // Connects to a peer (an IPv4 or IPv6 address, no name lookup).
  virtual Status ConnectPeer(TorrentId id, const std::string& address, uint16_t port) = 0;

  // Per torrent (all its peers).
  virtual Status SetTorrentLimits(TorrentId id, RateLimits limits) = 0;
  // Peers on private and loopback addresses (libtorrent's "local" peer class,
  // which the session's own limits skip).
  virtual void SetLocalPeerLimits(RateLimits limits) = 0;
  // Every other peer (the session's global class).
  virtual void SetGlobalLimits(RateLimits limits) = 0;

  // Asks libtorrent for the status of the torrents that changed; a
  // StatusChanged event per torrent follows.
  virtual void RequestStatus() = 0;
  // The last snapshot; nullptr for an unknown id.
  virtual const TorrentStatus* GetStatus(TorrentId id) const = 0;
  // Bytes by peer address, exact (one entry per 16 KiB block received or
  // sent); nullptr for an unknown id.
  virtual const PeerLedger* Ledger(TorrentId id) const = 0;
  // Everything sent since the session started, over every torrent it ever
  // had (seeds and removed torrents included); only grows.
  virtual SentTotals Sent() const = 0;
};

}  // namespace ferry::torrent
