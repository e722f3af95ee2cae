#include "lib/torrent/module/convert.h"

#include <algorithm>
#include <libtorrent/address.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/disk_interface.hpp>
#include <libtorrent/fingerprint.hpp>
#include <libtorrent/hex.hpp>

namespace ferry::torrent {

namespace {

std::string ListenInterfaces(const SessionSettings& s) {
  std::string out;
  for (const std::string& address : s.listen_addresses) {
    if (!out.empty()) out += ',';
    out += address + ':' + std::to_string(s.listen_port);
  }
  return out;
}

TorrentState ToState(lt::torrent_status::state_t state) {
  switch (state) {
    case lt::torrent_status::checking_files:
      return TorrentState::kCheckingFiles;
    case lt::torrent_status::downloading_metadata:
      return TorrentState::kDownloadingMetadata;
    case lt::torrent_status::downloading:
      return TorrentState::kDownloading;
    case lt::torrent_status::finished:
      return TorrentState::kFinished;
    case lt::torrent_status::seeding:
      return TorrentState::kSeeding;
    case lt::torrent_status::checking_resume_data:
      return TorrentState::kCheckingResumeData;
    default:
      return TorrentState::kDownloading;
  }
}

// Paths compare with '/' whatever libtorrent's separator.
std::string Slashed(std::string path) {
  std::replace(path.begin(), path.end(), '\\', '/');
  return path;
}

}  // namespace

std::string HexOf(const char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    const auto b = static_cast<unsigned char>(data[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

lt::settings_pack ToSettingsPack(const SessionSettings& s) {
  namespace cat = lt::alert_category;
  lt::settings_pack p;
  p.set_int(lt::settings_pack::alert_mask, cat::status | cat::error | cat::storage | cat::peer |
                                               cat::connect | cat::block_progress |
                                               cat::piece_progress | cat::upload);
  p.set_int(lt::settings_pack::alert_queue_size, s.alert_queue_size);
  p.set_str(lt::settings_pack::listen_interfaces, ListenInterfaces(s));
  if (!s.outgoing_address.empty())
    p.set_str(lt::settings_pack::outgoing_interfaces, s.outgoing_address);
  p.set_bool(lt::settings_pack::enable_dht, s.dht);
  p.set_bool(lt::settings_pack::enable_lsd, s.local_service_discovery);
  p.set_bool(lt::settings_pack::enable_upnp, s.upnp);
  p.set_bool(lt::settings_pack::enable_natpmp, s.natpmp);
  p.set_int(lt::settings_pack::connections_limit, s.connections_limit);
  p.set_int(lt::settings_pack::listen_queue_size, s.listen_queue_size);
  p.set_bool(lt::settings_pack::allow_multiple_connections_per_ip,
             s.allow_multiple_connections_per_ip);
  p.set_str(lt::settings_pack::user_agent, s.user_agent);
  p.set_str(lt::settings_pack::peer_fingerprint, lt::generate_fingerprint("FY", 0, 1));
  // ferry's scheduler decides what runs: libtorrent's queue never starts or
  // stops a torrent (torrents are added without auto_managed as well).
  p.set_int(lt::settings_pack::active_downloads, -1);
  p.set_int(lt::settings_pack::active_seeds, -1);
  p.set_int(lt::settings_pack::active_limit, -1);
  // A peer that went away is tried again after 2 s × (its failures + 1), not
  // libtorrent's 60: on a LAN a host's torrent is removed and added again
  // when it moves between its peers, the origin and its cache
  // (docs/peering.md), and the others should find it again at once.
  p.set_int(lt::settings_pack::min_reconnect_time, 1);
  // libtorrent drops a peer in upload mode that has nothing this host wants
  // ("uninteresting upload peer"): that is what a host fetching a content id
  // from the origin looks like (OriginBeacon), and its peers must stay
  // connected to see it fetching. Seeds connected to seeds stay too; a LAN
  // swarm is small.
  p.set_bool(lt::settings_pack::close_redundant_connections, false);
  // Incoming uTP stays on: other clients (libtorrent's default, qBittorrent)
  // try uTP first and would wait for a timeout before falling back to TCP.
  p.set_bool(lt::settings_pack::enable_outgoing_utp, s.utp);
  return p;
}

void CopyStatus(const lt::torrent_status& in, TorrentStatus* out) {
  out->state = ToState(in.state);
  out->paused = static_cast<bool>(in.flags & lt::torrent_flags::paused);
  out->has_metadata = in.has_metadata;
  if (!in.name.empty()) out->name = in.name;
  if (in.info_hashes.has_v1())
    out->info_hash_v1 = HexOf(in.info_hashes.v1.data(), in.info_hashes.v1.size());
  if (in.info_hashes.has_v2())
    out->info_hash_v2 = HexOf(in.info_hashes.v2.data(), in.info_hashes.v2.size());
  out->error = in.errc ? in.errc.message() : std::string();
  if (!in.save_path.empty()) out->save_dir = in.save_path;
  out->progress = in.progress;
  out->total_wanted = static_cast<uint64_t>(in.total_wanted);
  out->total_wanted_done = static_cast<uint64_t>(in.total_wanted_done);
  out->all_time_download = static_cast<uint64_t>(in.all_time_download);
  out->all_time_upload = static_cast<uint64_t>(in.all_time_upload);
  out->download_rate = in.download_payload_rate;
  out->upload_rate = in.upload_payload_rate;
  out->num_peers = in.num_peers;
  out->num_seeds = in.num_seeds;
  if (in.pieces.size() > 0) {
    out->pieces.assign(static_cast<size_t>(in.pieces.size()), false);
    for (lt::piece_index_t i{0}; i < in.pieces.end_index(); ++i)
      out->pieces[static_cast<size_t>(static_cast<int>(i))] = in.pieces.get_bit(i);
  }
}

std::vector<FileEntry> ListFiles(const lt::torrent_info& info) {
  const lt::file_storage& fs = info.files();
  std::vector<FileEntry> files;
  for (lt::file_index_t i : fs.file_range()) {
    if (fs.pad_file_at(i)) continue;
    files.push_back({static_cast<int>(i), Slashed(fs.file_path(i)),
                     static_cast<uint64_t>(fs.file_size(i)),
                     static_cast<uint64_t>(fs.file_offset(i))});
  }
  return files;
}

int FindFile(const lt::torrent_info& info, const std::string& path) {
  for (const FileEntry& f : ListFiles(info)) {
    if (f.path == path) return f.index;
    const size_t slash = f.path.find('/');
    if (slash != std::string::npos && f.path.compare(slash + 1, std::string::npos, path) == 0)
      return f.index;
  }
  return -1;
}

uint64_t BlockPayload(const lt::torrent_info& info, int piece, int block) {
  const lt::file_storage& fs = info.files();
  const int piece_size = info.piece_size(lt::piece_index_t(piece));
  const int offset = block * lt::default_block_size;
  const int length = std::min(lt::default_block_size, piece_size - offset);
  if (length <= 0) return 0;
  uint64_t payload = 0;
  for (const lt::file_slice& s : fs.map_block(lt::piece_index_t(piece), offset, length))
    if (!fs.pad_file_at(s.file_index)) payload += static_cast<uint64_t>(s.size);
  return payload;
}

// scheme://[user@]host[:port][/...], host a name, an IPv4 address or a
// bracketed IPv6 one (libtorrent's own URL parser is not exported).
void AddWebSeed(WebSeeds* seeds, const std::string& url) {
  const size_t colon = url.find("://");
  if (colon == std::string::npos) return;
  const std::string scheme = url.substr(0, colon);
  std::string rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  std::string host = rest, port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return;
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (size_t c = rest.find(':'); c != std::string::npos) {
    host = rest.substr(0, c);
    port = rest.substr(c + 1);
  }
  int number = scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return;
    number = std::stoi(port);
  }
  if (host.empty() || number <= 0 || number > 65535) return;
  std::pair<std::string, uint16_t> entry{host, static_cast<uint16_t>(number)};
  if (std::find(seeds->begin(), seeds->end(), entry) == seeds->end()) seeds->push_back(entry);
}

bool IsWebSeed(const WebSeeds& seeds, const std::string& address, uint16_t port) {
  for (const auto& [host, seed_port] : seeds) {
    if (seed_port != port) continue;
    lt::error_code ec;
    lt::make_address(host, ec);
    if (ec || host == address) return true;  // a name, or this very address
  }
  return false;
}

}  // namespace ferry::torrent
