#include "lib/torrent/module/lt_session.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <libtorrent/address.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <libtorrent/extensions/ut_pex.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/peer_class.hpp>
#include <libtorrent/posix_disk_io.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session_params.hpp>
#include <random>

#include "lib/torrent/module/content_torrent.h"
#include "lib/torrent/module/convert.h"
#include "lib/torrent/module/lan_fence.h"
#include "lib/torrent/staged_pieces.h"

namespace ferry::torrent {

namespace {

ferry::Status Invalid(std::string message) {
  return ferry::Status(code::kInvalidArg, std::move(message));
}

ferry::Status NotFound(TorrentId id) {
  return ferry::Status(code::kNotSet, "no torrent " + std::to_string(id));
}

lt::span<const char> Bytes(const std::string& s) {
  return {s.data(), static_cast<std::ptrdiff_t>(s.size())};
}

// What ferry wants of every torrent: not auto-managed, in the state updates,
// subject to the session's IP filter (bans).
void SetFlags(lt::add_torrent_params& p, bool paused) {
  p.flags &= ~lt::torrent_flags::auto_managed;
  p.flags |= lt::torrent_flags::update_subscribe | lt::torrent_flags::apply_ip_filter;
  if (paused)
    p.flags |= lt::torrent_flags::paused;
  else
    p.flags &= ~lt::torrent_flags::paused;
}

std::vector<lt::download_priority_t> OnlyFile(const lt::torrent_info& info, int index) {
  std::vector<lt::download_priority_t> prio(static_cast<size_t>(info.num_files()),
                                            lt::dont_download);
  prio[static_cast<size_t>(index)] = lt::default_priority;
  return prio;
}

// The file AddParams::file names, else the torrent's only file; -1 if none.
int TargetFile(const lt::torrent_info& info, const std::optional<std::string>& chosen) {
  if (chosen) return FindFile(info, *chosen);
  std::vector<FileEntry> files = ListFiles(info);
  return files.size() == 1 ? files[0].index : -1;
}

// Resume data of a one-file torrent: the blocks its file holds of pieces
// the data does not name become unfinished pieces, which libtorrent hashes
// before they count (StagedPieces).
void TakeBackStagedPieces(lt::add_torrent_params& p) {
  if (!p.ti || p.ti->num_files() != 1) return;
  lt::file_storage files = p.ti->files();
  const lt::file_index_t only{0};
  if (auto r = p.renamed_files.find(only); r != p.renamed_files.end())
    files.rename_file(only, r->second);
  const int pieces = p.ti->num_pieces();
  std::vector<bool> have(static_cast<size_t>(pieces), false);
  for (lt::piece_index_t i{0}; i < p.have_pieces.end_index() && static_cast<int>(i) < pieces; ++i)
    have[static_cast<size_t>(static_cast<int>(i))] = p.have_pieces[i];
  const auto found = BlocksInRanges(DataRanges(files.file_path(only, p.save_path)),
                                    static_cast<uint64_t>(p.ti->piece_length()),
                                    lt::default_block_size, files.file_size(only), have);
  for (const auto& [piece, flags] : found) {
    lt::bitfield bits(static_cast<int>(flags.size()), false);
    for (size_t i = 0; i < flags.size(); ++i)
      if (flags[i]) bits.set_bit(static_cast<int>(i));
    p.unfinished_pieces[lt::piece_index_t(piece)] = std::move(bits);
  }
}

std::string NoTargetMessage(const std::optional<std::string>& chosen) {
  if (chosen) return "the torrent has no file " + *chosen;
  return "the torrent has several files: choose one (#file=) or give a directory";
}

}  // namespace

std::unique_ptr<LtSession> LtSession::Create(const SessionSettings& settings, std::string* error) {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    *error = std::string("eventfd: ") + std::strerror(errno);
    return nullptr;
  }
  // Plugins: ut_metadata (magnets) and ut_pex, not smart_ban: it bans
  // silently (no peer_ban_alert) and, in end-game on fast links, banned a
  // good peer that shared a failed piece with a bad one (docs/p2p.md).
  lt::session_params params(ToSettingsPack(settings), {});
  params.disk_io_constructor = lt::posix_disk_io_constructor;
  std::unique_ptr<lt::session> session;
  try {
    session = std::make_unique<lt::session>(std::move(params));
  } catch (const std::exception& e) {
    ::close(fd);
    *error = std::string("libtorrent session: ") + e.what();
    return nullptr;
  }
  session->add_extension(&lt::create_ut_metadata_plugin);
  session->add_extension(&lt::create_ut_pex_plugin);
  // Runs on libtorrent's thread when its alert queue stops being empty.
  session->set_alert_notify([fd] {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
  });
  return std::unique_ptr<LtSession>(new LtSession(std::move(session), fd, settings));
}

LtSession::LtSession(std::unique_ptr<lt::session> session, int event_fd,
                     const SessionSettings& settings)
    : session_(std::move(session)),
      event_fd_(event_fd),
      ban_after_(settings.ban_after_bad_pieces),
      libtorrent_web_seeds_(settings.libtorrent_web_seeds),
      rank_number_(std::random_device{}() * uint64_t{0x100000000} + std::random_device{}()) {
  if (ban_after_ < 1) ban_after_ = 1;
}

LtSession::~LtSession() {
  session_->set_alert_notify([] {});
  session_.reset();  // joins libtorrent's threads
  ::close(event_fd_);
}

Result<DerivedTorrent> LtSession::ContentTorrent(const ContentSpec& spec) const {
  auto bytes = BuildContentTorrent(spec);
  if (!bytes.ok()) return bytes.status();
  lt::error_code ec;
  lt::torrent_info info(Bytes(*bytes), ec, lt::from_span);
  if (ec) return Invalid("bad content torrent: " + ec.message());
  const lt::sha256_hash& h = info.info_hashes().v2;
  return DerivedTorrent{std::move(*bytes), HexOf(h.data(), h.size())};
}

Result<TorrentId> LtSession::Add(const AddParams& in) {
  const int sources = !in.magnet.empty() + !in.torrent.empty() +
                      (!in.resume_data.empty() && !in.content) + in.content.has_value();
  if (sources != 1)
    return Invalid("give exactly one of a magnet, a torrent, resume data or a content id");
  if (in.local_peers_only && !in.content) return Invalid("only a content torrent is local-only");
  lt::error_code ec;
  lt::add_torrent_params p;
  std::shared_ptr<OriginBoard> board;
  if (in.content) {
    auto bytes = BuildContentTorrent(*in.content);
    if (!bytes.ok()) return bytes.status();
    auto info = std::make_shared<lt::torrent_info>(Bytes(*bytes), ec, lt::from_span);
    if (ec) return Invalid("bad content torrent: " + ec.message());
    if (!in.resume_data.empty()) {
      p = lt::read_resume_data(Bytes(in.resume_data), ec);
      if (ec || p.info_hashes.v2 != info->info_hashes().v2)
        return Invalid("bad resume data for the content torrent");
      p.upload_limit = p.download_limit = -1;
    }
    p.ti = std::move(info);
    board = std::make_shared<OriginBoard>(rank_number_, in.local_peers_only);
    p.extensions.push_back(board->Extension());
  } else if (!in.magnet.empty()) {
    p = lt::parse_magnet_uri(in.magnet, ec);
    if (ec) return Invalid("bad magnet link: " + ec.message());
  } else if (!in.torrent.empty()) {
    auto info = std::make_shared<lt::torrent_info>(Bytes(in.torrent), ec, lt::from_span);
    if (ec) return Invalid("bad torrent: " + ec.message());
    p.ti = std::move(info);
  } else {
    p = lt::read_resume_data(Bytes(in.resume_data), ec);
    if (ec) return Invalid("bad resume data: " + ec.message());
    // Resume data remembers the torrent's rate limits; ferry sets them anew.
    p.upload_limit = -1;
    p.download_limit = -1;
  }
  if (!in.save_dir.empty()) p.save_path = in.save_dir;
  if (p.save_path.empty()) return Invalid("no save directory");
  const bool targeted = in.file || in.store_as;
  if (in.metadata_only && targeted) return Invalid("a metadata-only torrent has no chosen file");
  if (targeted && p.ti) {
    const int index = TargetFile(*p.ti, in.file);
    if (index < 0) return Invalid(NoTargetMessage(in.file));
    if (in.file) p.file_priorities = OnlyFile(*p.ti, index);
    if (in.store_as) p.renamed_files[lt::file_index_t(index)] = *in.store_as;
  }
  if (!in.resume_data.empty()) TakeBackStagedPieces(p);
  SetFlags(p, in.paused);
  if (in.in_order_while_alone) p.flags |= lt::torrent_flags::sequential_download;
  // One torrent per info-hash in a session: a seed of ferry's cache gives
  // way to a fetch (remove_torrent is posted before the add, so libtorrent
  // sees them in that order); a second fetch fails (AddFailed, transient for
  // ferry) instead of sharing the first one's handle.
  const lt::info_hash_t hashes = p.ti ? p.ti->info_hashes() : p.info_hashes;
  if (Torrent* same = FindSame(hashes); same != nullptr && same->seed_copy) Remove(same->id, false);
  p.flags |= lt::torrent_flags::duplicate_is_error;
  // A magnet's chosen file is known only with the metadata: until then the
  // torrent requests no piece (ApplyChosenFile lifts upload mode).
  if ((targeted && !p.ti) || in.metadata_only || in.upload_only)
    p.flags |= lt::torrent_flags::upload_mode;
  auto id = Start(std::move(p), in.file);
  if (id.ok()) {
    torrents_[*id]->store_as = in.store_as;
    torrents_[*id]->board = std::move(board);
    torrents_[*id]->order_by_peers = torrents_[*id]->in_order = in.in_order_while_alone;
  }
  return id;
}

Result<TorrentId> LtSession::Seed(const SeedParams& in) {
  lt::error_code ec;
  auto info = std::make_shared<lt::torrent_info>(Bytes(in.torrent), ec, lt::from_span);
  if (ec) return Invalid("bad torrent: " + ec.message());
  if (ListFiles(*info).size() != 1) return Invalid("only a torrent of one file can seed a file");
  const std::filesystem::path path(in.path);
  if (!path.is_absolute() || !path.has_filename()) return Invalid("not an absolute file path");
  lt::add_torrent_params p;
  p.save_path = path.parent_path().string();
  if (info->files().file_path(lt::file_index_t(0)) != path.filename().string())
    p.renamed_files[lt::file_index_t(0)] = path.filename().string();
  p.ti = std::move(info);
  if (FindSame(p.ti->info_hashes()) != nullptr)
    return ferry::Status(code::kInvalidState, "the session has this torrent already (a fetch)");
  SetFlags(p, in.paused);
  if (in.local_peers_only) p.extensions.push_back(LanFenceExtension());
  // seed_mode needs the piece layers of a v2 torrent; without them
  // libtorrent checks the file, which also builds them.
  if (!p.ti->info_hashes().has_v2() || p.ti->v2_piece_hashes_verified())
    p.flags |= lt::torrent_flags::seed_mode;
  return Start(std::move(p), std::nullopt, /*seed_copy=*/true);
}

Result<TorrentId> LtSession::Start(lt::add_torrent_params p, std::optional<std::string> file,
                                   bool seed_copy) {
  const TorrentId id = next_id_++;
  auto t = std::make_unique<Torrent>(id, ban_after_);
  t->chosen_file = std::move(file);
  t->hashes = p.ti ? p.ti->info_hashes() : p.info_hashes;
  t->seed_copy = seed_copy;
  t->status.paused = static_cast<bool>(p.flags & lt::torrent_flags::paused);
  t->status.save_dir = p.save_path;
  for (const std::string& url : p.url_seeds) NoteWebSeed(*t, url);
  // A copy: libtorrent may change its own (renamed files) on its thread.
  if (p.ti) LearnInfo(*t, std::make_shared<const lt::torrent_info>(*p.ti));
  if (!libtorrent_web_seeds_) {
    // libtorrent never learns of them (its max_web_seed_connections does not
    // keep it off): the caller fetches them; resume data keeps them
    // (OnResumeData).
    p.url_seeds.clear();
    p.http_seeds.clear();
    if (p.ti) p.ti->set_web_seeds({});
  }
  p.userdata = lt::client_data_t(t.get());
  torrents_.emplace(id, std::move(t));
  session_->async_add_torrent(std::move(p));
  return id;
}

LtSession::Torrent* LtSession::Find(TorrentId id) const {
  auto it = torrents_.find(id);
  return it == torrents_.end() || it->second->removed ? nullptr : it->second.get();
}

LtSession::Torrent* LtSession::FindSame(const lt::info_hash_t& h) const {
  for (const auto& [id, t] : torrents_) {
    if (t->removed) continue;
    if ((h.has_v1() && t->hashes.has_v1() && h.v1 == t->hashes.v1) ||
        (h.has_v2() && t->hashes.has_v2() && h.v2 == t->hashes.v2))
      return t.get();
  }
  return nullptr;
}

LtSession::Torrent* LtSession::FromHandle(const lt::torrent_handle& handle) const {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second;
}

ferry::Status LtSession::Command(TorrentId id,
                                 std::function<void(const lt::torrent_handle&)> command) {
  Torrent* t = Find(id);
  if (t == nullptr) return NotFound(id);
  if (t->handle.is_valid())
    command(t->handle);
  else
    t->pending.push_back(std::move(command));
  return ferry::Status::OK();
}

ferry::Status LtSession::Pause(TorrentId id) {
  return Command(id, [](const lt::torrent_handle& h) { h.pause(); });
}

ferry::Status LtSession::Resume(TorrentId id) {
  return Command(id, [](const lt::torrent_handle& h) { h.resume(); });
}

ferry::Status LtSession::Remove(TorrentId id, bool delete_files) {
  lt::remove_flags_t flags = delete_files ? lt::session::delete_files : lt::remove_flags_t{};
  ferry::Status s = Command(
      id, [this, flags](const lt::torrent_handle& h) { session_->remove_torrent(h, flags); });
  if (s.ok()) Find(id)->removed = true;
  return s;
}

ferry::Status LtSession::SaveResumeData(TorrentId id) {
  return Command(id, [](const lt::torrent_handle& h) {
    h.save_resume_data(lt::torrent_handle::save_info_dict);
  });
}

ferry::Status LtSession::AddPiece(TorrentId id, int piece, std::string data) {
  Torrent* t = Find(id);
  if (t == nullptr) return NotFound(id);
  if (!t->info || piece < 0 || piece >= t->info->num_pieces())
    return Invalid("no piece " + std::to_string(piece));
  if (data.size() != static_cast<size_t>(t->info->piece_size(lt::piece_index_t(piece))))
    return Invalid("piece " + std::to_string(piece) + " has another size");
  return Command(id, [piece, bytes = std::vector<char>(data.begin(), data.end())](
                         const lt::torrent_handle& h) mutable {
    h.add_piece(lt::piece_index_t(piece), std::move(bytes));
  });
}

ferry::Status LtSession::SaveTorrentFile(TorrentId id) {
  ferry::Status s = SaveResumeData(id);
  if (s.ok()) ++Find(id)->torrent_files_wanted;
  return s;
}

ferry::Status LtSession::SetUploadOnly(TorrentId id, bool upload_only) {
  return Command(id, [upload_only](const lt::torrent_handle& h) {
    if (upload_only)
      h.set_flags(lt::torrent_flags::upload_mode);
    else
      h.unset_flags(lt::torrent_flags::upload_mode);
  });
}

ferry::Status LtSession::SetOriginReport(TorrentId id, OriginReport report) {
  Torrent* t = Find(id);
  if (t == nullptr) return NotFound(id);
  if (!t->board) return Invalid("not a content torrent");
  t->board->SetReport(report);
  return ferry::Status::OK();
}

OriginView LtSession::GetOriginView(TorrentId id) const {
  const Torrent* t = Find(id);
  return t == nullptr || !t->board ? OriginView{} : t->board->View();
}

ferry::Status LtSession::ConnectPeer(TorrentId id, const std::string& address, uint16_t port) {
  lt::error_code ec;
  const lt::address a = lt::make_address(address, ec);
  if (ec) return Invalid("not an IP address: " + address);
  return Command(
      id, [ep = lt::tcp::endpoint(a, port)](const lt::torrent_handle& h) { h.connect_peer(ep); });
}

ferry::Status LtSession::SetTorrentLimits(TorrentId id, RateLimits limits) {
  return Command(id, [limits](const lt::torrent_handle& h) {
    h.set_upload_limit(limits.upload);
    h.set_download_limit(limits.download);
  });
}

void LtSession::SetLocalPeerLimits(RateLimits limits) {
  // libtorrent's own defaults for this class (session_impl's constructor);
  // set_peer_class replaces all of them.
  lt::peer_class_info info{};
  info.label = "local";
  info.ignore_unchoke_slots = true;
  info.connection_limit_factor = 150;
  info.upload_priority = 1;
  info.download_priority = 1;
  info.upload_limit = limits.upload;
  info.download_limit = limits.download;
  session_->set_peer_class(lt::session::local_peer_class_id, info);
}

void LtSession::SetGlobalLimits(RateLimits limits) {
  lt::settings_pack p;
  p.set_int(lt::settings_pack::upload_rate_limit, limits.upload);
  p.set_int(lt::settings_pack::download_rate_limit, limits.download);
  session_->apply_settings(std::move(p));
}

void LtSession::RequestStatus() { session_->post_torrent_updates(); }

const TorrentStatus* LtSession::GetStatus(TorrentId id) const {
  const Torrent* t = Find(id);
  return t == nullptr ? nullptr : &t->status;
}

const PeerLedger* LtSession::Ledger(TorrentId id) const {
  const Torrent* t = Find(id);
  return t == nullptr ? nullptr : &t->ledger;
}

void LtSession::Emit(Event event) {
  if (handler_) handler_(event);
}

void LtSession::Ban(Torrent& t, const std::string& address) {
  lt::error_code ec;
  const lt::address a = lt::make_address(address, ec);
  if (ec) return;
  ip_filter_.add_rule(a, a, lt::ip_filter::blocked);
  session_->set_ip_filter(ip_filter_);
  Emit(event::PeerBanned{t.id, address});
}

void LtSession::LearnInfo(Torrent& t, std::shared_ptr<const lt::torrent_info> info) {
  t.info = std::move(info);
  t.status.has_metadata = true;
  t.status.piece_length = t.info->piece_length();
  t.status.files = ListFiles(*t.info);
  if (t.status.name.empty()) t.status.name = t.info->name();
  t.group = IsGroupTorrent(*t.info);
  t.status.total_size = static_cast<uint64_t>(t.info->total_size());
  for (const lt::web_seed_entry& w : t.info->web_seeds())
    if (w.type == lt::web_seed_entry::url_seed) NoteWebSeed(t, w.url);
  std::vector<Torrent::Early> early;
  early.swap(t.early);
  for (const Torrent::Early& e : early) {
    if (e.kind == Torrent::Early::kBlock) CountBlock(t, e.peer, e.port, e.piece, e.block);
    if (e.kind == Torrent::Early::kPassed) PiecePassed(t, e.piece);
    if (e.kind == Torrent::Early::kFailed) PieceFailed(t, e.piece);
  }
}

// For a magnet: the chosen file is known by path only once the metadata is.
void LtSession::ApplyChosenFile(Torrent& t) {
  if ((!t.chosen_file && !t.store_as) || !t.handle.is_valid()) return;
  const int index = TargetFile(*t.info, t.chosen_file);
  if (index < 0) {
    t.handle.pause();
    Emit(event::TorrentError{t.id, NoTargetMessage(t.chosen_file)});
    return;
  }
  // Posted in this order: the rename reaches the disk before any piece does.
  if (t.store_as) t.handle.rename_file(lt::file_index_t(index), *t.store_as);
  if (t.chosen_file) t.handle.prioritize_files(OnlyFile(*t.info, index));
  t.handle.unset_flags(lt::torrent_flags::upload_mode);
}

void LtSession::NoteWebSeed(Torrent& t, const std::string& url) {
  std::vector<std::string>& list = t.status.web_seeds;
  if (std::find(list.begin(), list.end(), url) != list.end()) return;
  list.push_back(url);
  AddWebSeed(&t.web_seeds, url);
}

void LtSession::CountBlock(Torrent& t, const std::string& peer, uint16_t port, int piece,
                           int block) {
  if (!t.info) {
    t.early.push_back({Torrent::Early::kBlock, peer, piece, block, port});
    return;
  }
  const uint64_t bytes = BlockPayload(*t.info, piece, block);
  if (IsWebSeed(t.web_seeds, peer, port))
    t.ledger.WebSeedBlockReceived(bytes);
  else
    t.ledger.BlockReceived(peer, piece, bytes);
}

// A block uploaded: no metadata, no upload, so `info` is known here.
void LtSession::CountSent(Torrent& t, const std::string& peer, int piece, int block) {
  if (!t.info) return;
  const uint64_t bytes = BlockPayload(*t.info, piece, block);
  t.ledger.BlockSent(peer, bytes);
  if (!IsLanAddress(peer))
    sent_.internet += bytes;
  else
    (t.group ? sent_.group : sent_.lan) += bytes;
}

void LtSession::PiecePassed(Torrent& t, int piece) {
  if (!t.info) {
    t.early.push_back({Torrent::Early::kPassed, {}, piece, 0});
    return;
  }
  t.ledger.PiecePassed(piece);
}

// Blames the peers that sent blocks of the piece; bans those with too many
// bad pieces (libtorrent bans a sole sender by itself: peer_ban_alert).
void LtSession::PieceFailed(Torrent& t, int piece) {
  if (!t.info) {
    t.early.push_back({Torrent::Early::kFailed, {}, piece, 0});
    return;
  }
  std::vector<std::string> to_ban;
  std::vector<std::string> senders = t.ledger.PieceFailed(piece, &to_ban);
  Emit(event::PieceFailed{t.id, piece, std::move(senders)});
  for (const std::string& address : to_ban) Ban(t, address);
}

}  // namespace ferry::torrent
