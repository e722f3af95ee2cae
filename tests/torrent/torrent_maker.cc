#include "torrent/torrent_maker.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/torrent_info.hpp>

namespace ferry::test {

std::string MakeTorrent(const std::string& path, TorrentKind kind, int piece_size) {
  lt::file_storage fs;
  lt::add_files(fs, path);
  if (fs.num_files() == 0) return {};
  const lt::create_flags_t flags =
      kind == TorrentKind::kV1 ? lt::create_torrent::v1_only : lt::create_flags_t{};
  lt::create_torrent t(fs, piece_size, flags);
  lt::error_code ec;
  lt::set_piece_hashes(t, std::filesystem::path(path).parent_path().string(), ec);
  if (ec) return {};
  std::string out;
  lt::bencode(std::back_inserter(out), t.generate());
  return out;
}

std::string MagnetOf(const std::string& torrent) {
  lt::error_code ec;
  lt::torrent_info info(lt::span<const char>(torrent.data(), static_cast<long>(torrent.size())), ec,
                        lt::from_span);
  return ec ? std::string() : lt::make_magnet_uri(info);
}

int DownloadLimitOf(const std::string& resume_data) {
  lt::error_code ec;
  const lt::add_torrent_params p = lt::read_resume_data(
      lt::span<const char>(resume_data.data(), static_cast<long>(resume_data.size())), ec);
  return ec ? -2 : p.download_limit;
}

bool CorruptEveryPiece(const std::string& path, uint64_t size, uint64_t piece) {
  const int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return false;
  bool ok = true;
  for (uint64_t offset = 100; offset < size && ok; offset += piece) {
    unsigned char b = 0;
    ok = ::pread(fd, &b, 1, static_cast<off_t>(offset)) == 1;
    b ^= 0xFF;
    ok = ok && ::pwrite(fd, &b, 1, static_cast<off_t>(offset)) == 1;
  }
  return ::close(fd) == 0 && ok;
}

}  // namespace ferry::test
