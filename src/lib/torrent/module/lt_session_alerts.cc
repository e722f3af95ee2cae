// LtSession's alert handling: libtorrent's alerts in, ferry's events out.
#include <unistd.h>

#include <libtorrent/alert_types.hpp>
#include <libtorrent/write_resume_data.hpp>

#include "lib/torrent/module/convert.h"
#include "lib/torrent/module/lt_session.h"

namespace ferry::torrent {

void LtSession::DispatchEvents() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(event_fd_, &count, sizeof count);
  std::vector<lt::alert*> alerts;
  session_->pop_alerts(&alerts);
  for (lt::alert* a : alerts) OnAlert(a);
}

void LtSession::OnAlert(lt::alert* a) {
  if (OnTorrentAlert(a) || OnPieceAlert(a)) return;
  OnSessionAlert(a);
}

// The torrent's life: added, metadata, state, finished, resume data, removed.
bool LtSession::OnTorrentAlert(lt::alert* a) {
  if (lt::alert_cast<lt::add_torrent_alert>(a)) {
    OnAdded(a);
  } else if (lt::alert_cast<lt::state_update_alert>(a)) {
    OnStateUpdate(a);
  } else if (lt::alert_cast<lt::metadata_received_alert>(a) ||
             lt::alert_cast<lt::state_changed_alert>(a)) {
    session_->post_torrent_updates();
  } else if (auto* f = lt::alert_cast<lt::torrent_finished_alert>(a)) {
    if (Torrent* t = FromHandle(f->handle)) Emit(event::Finished{t->id});
    session_->post_torrent_updates();
  } else if (lt::alert_cast<lt::save_resume_data_alert>(a) ||
             lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
    OnResumeData(a);
  } else if (auto* e = lt::alert_cast<lt::torrent_error_alert>(a)) {
    if (Torrent* t = FromHandle(e->handle)) Emit(event::TorrentError{t->id, e->message()});
  } else if (auto* fe = lt::alert_cast<lt::file_error_alert>(a)) {
    if (Torrent* t = FromHandle(fe->handle)) Emit(event::TorrentError{t->id, fe->message()});
  } else if (auto* rm = lt::alert_cast<lt::torrent_removed_alert>(a)) {
    Torrent* t = rm->userdata.get<Torrent>();
    if (t == nullptr) return true;
    const TorrentId id = t->id;
    by_handle_.erase(t->handle);
    torrents_.erase(id);
    Emit(event::Removed{id});
  } else {
    return false;
  }
  return true;
}

// Blocks and pieces: the exact accounting and the bans.
bool LtSession::OnPieceAlert(lt::alert* a) {
  if (auto* b = lt::alert_cast<lt::block_finished_alert>(a)) {
    // No peer (an unspecified address): a block of an AddPiece, which the
    // caller counts itself.
    if (b->endpoint.address().is_unspecified()) return true;
    if (Torrent* t = FromHandle(b->handle))
      CountBlock(*t, b->endpoint.address().to_string(), b->endpoint.port(),
                 static_cast<int>(b->piece_index), b->block_index);
  } else if (auto* u = lt::alert_cast<lt::block_uploaded_alert>(a)) {
    if (Torrent* t = FromHandle(u->handle))
      CountSent(*t, u->endpoint.address().to_string(), static_cast<int>(u->piece_index),
                u->block_index);
  } else if (auto* p = lt::alert_cast<lt::piece_finished_alert>(a)) {
    if (Torrent* t = FromHandle(p->handle)) PiecePassed(*t, static_cast<int>(p->piece_index));
  } else if (auto* h = lt::alert_cast<lt::hash_failed_alert>(a)) {
    if (Torrent* t = FromHandle(h->handle)) PieceFailed(*t, static_cast<int>(h->piece_index));
  } else if (auto* ban = lt::alert_cast<lt::peer_ban_alert>(a)) {
    Torrent* t = FromHandle(ban->handle);
    const std::string address = ban->endpoint.address().to_string();
    if (t == nullptr) return true;
    auto it = t->ledger.peers().find(address);
    if (it != t->ledger.peers().end() && it->second.banned) return true;
    t->ledger.MarkBanned(address);
    Ban(*t, address);
  } else {
    return false;
  }
  return true;
}

bool LtSession::OnSessionAlert(lt::alert* a) {
  if (auto* l = lt::alert_cast<lt::listen_succeeded_alert>(a)) {
    if (l->socket_type == lt::socket_type_t::tcp)
      Emit(event::ListenSucceeded{l->address.to_string(), static_cast<uint16_t>(l->port)});
  } else if (auto* lf = lt::alert_cast<lt::listen_failed_alert>(a)) {
    Emit(event::ListenFailed{lf->address.to_string(), static_cast<uint16_t>(lf->port),
                             lf->error.message()});
  } else if (lt::alert_cast<lt::alerts_dropped_alert>(a)) {
    Emit(event::AlertsDropped{});
  } else {
    return false;
  }
  return true;
}

void LtSession::OnAdded(lt::alert* a) {
  auto* added = lt::alert_cast<lt::add_torrent_alert>(a);
  Torrent* t = added->params.userdata.get<Torrent>();
  if (t == nullptr) return;
  if (added->error) {
    const TorrentId id = t->id;
    torrents_.erase(id);
    Emit(event::AddFailed{id, added->error.message()});
    return;
  }
  t->handle = added->handle;
  by_handle_[t->handle] = t;
  std::vector<std::function<void(const lt::torrent_handle&)>> pending;
  pending.swap(t->pending);
  for (auto& command : pending) command(t->handle);
  if (!t->removed) Emit(event::Added{t->id});
}

// Resume data, and the .torrent files SaveTorrentFile asked for (the same
// libtorrent call: save_resume_data with save_info_dict).
void LtSession::OnResumeData(lt::alert* a) {
  if (auto* rf = lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
    Torrent* t = FromHandle(rf->handle);
    if (t == nullptr) return;
    for (; t->torrent_files_wanted > 0; --t->torrent_files_wanted)
      Emit(event::TorrentFileFailed{t->id, rf->error.message()});
    Emit(event::ResumeDataFailed{t->id, rf->error.message()});
    return;
  }
  auto* r = lt::alert_cast<lt::save_resume_data_alert>(a);
  Torrent* t = FromHandle(r->handle);
  if (t == nullptr) return;
  for (; t->torrent_files_wanted > 0; --t->torrent_files_wanted) {
    try {
      std::vector<char> file = lt::write_torrent_file_buf(r->params, {});
      Emit(event::TorrentFileSaved{t->id, std::string(file.begin(), file.end())});
    } catch (const std::exception& e) {  // no metadata yet, v2 piece layers missing
      Emit(event::TorrentFileFailed{t->id, e.what()});
    }
  }
  // Web seeds libtorrent was not given stay in the resume data (BEP 19 URLs).
  if (!libtorrent_web_seeds_) r->params.url_seeds = t->status.web_seeds;
  std::vector<char> buf = lt::write_resume_data_buf(r->params);
  Emit(event::ResumeDataSaved{t->id, std::string(buf.begin(), buf.end())});
}

void LtSession::OnStateUpdate(lt::alert* a) {
  auto* update = lt::alert_cast<lt::state_update_alert>(a);
  for (const lt::torrent_status& st : update->status) {
    Torrent* t = FromHandle(st.handle);
    if (t == nullptr) continue;
    CopyStatus(st, &t->status);
    if (t->order_by_peers) FollowPeerCount(*t, st.num_peers);
    // Before its metadata a magnet's torrent_file is an empty torrent_info.
    if (!t->info && st.has_metadata) {
      if (auto info = st.torrent_file.lock(); info && info->is_valid()) {
        LearnInfo(*t, std::make_shared<const lt::torrent_info>(*info));
        ApplyChosenFile(*t);
        Emit(event::MetadataReceived{t->id});
      }
    }
    if (!t->removed) Emit(event::StatusChanged{t->id});
  }
}

// AddParams::in_order_while_alone, at each status update.
void LtSession::FollowPeerCount(Torrent& t, int peers) {
  const bool in_order = peers <= 1;
  if (in_order == t.in_order) return;
  t.in_order = in_order;
  (void)Command(t.id, [in_order](const lt::torrent_handle& h) {
    if (in_order)
      h.set_flags(lt::torrent_flags::sequential_download);
    else
      h.unset_flags(lt::torrent_flags::sequential_download);
  });
}

}  // namespace ferry::torrent
