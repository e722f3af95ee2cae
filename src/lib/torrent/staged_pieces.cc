#include "lib/torrent/staged_pieces.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace ferry::torrent {

std::vector<std::pair<uint64_t, uint64_t>> DataRanges(const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  off_t pos = 0;
  for (;;) {
    const off_t begin = ::lseek(fd, pos, SEEK_DATA);
    if (begin < 0) break;  // ENXIO: no data at or after pos
    const off_t end = ::lseek(fd, begin, SEEK_HOLE);
    if (end <= begin) break;
    out.emplace_back(static_cast<uint64_t>(begin), static_cast<uint64_t>(end));
    pos = end;
  }
  ::close(fd);
  return out;
}

std::map<int, std::vector<bool>> BlocksInRanges(
    const std::vector<std::pair<uint64_t, uint64_t>>& data, uint64_t piece_length,
    uint64_t block_size, uint64_t file_size, const std::vector<bool>& have) {
  std::map<int, std::vector<bool>> out;
  if (piece_length == 0 || block_size == 0 || piece_length % block_size != 0) return out;
  const uint64_t per_piece = piece_length / block_size;
  const uint64_t blocks = (file_size + block_size - 1) / block_size;
  for (const auto& [begin, end] : data) {
    // The blocks that start in [begin, end) and end by `end`.
    for (uint64_t b = (begin + block_size - 1) / block_size; b < blocks; ++b) {
      if (std::min((b + 1) * block_size, file_size) > end) break;
      const uint64_t piece = b / per_piece;
      if (piece < have.size() && have[piece]) continue;
      const uint64_t in_piece = std::min(per_piece, blocks - piece * per_piece);
      std::vector<bool>& flags = out[static_cast<int>(piece)];
      flags.resize(in_piece, false);
      flags[b % per_piece] = true;
    }
  }
  return out;
}

}  // namespace ferry::torrent
