#include "ferry/content_id.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "lib/crypto/pieces_root.h"
#include "lib/crypto/sha256.h"
#include "util/content_id.h"
#include "util/status_codes.h"

namespace ferry {

Status ContentIdOfFile(const std::string& path, std::string* id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(code::kInvalidArg, path + " is not a regular file");
  }
  crypto::PiecesRoot root;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      Status s = ErrnoStatus(errno, "read " + path);
      ::close(fd);
      return s;
    }
    if (got == 0) break;
    root.Update(std::span(buf.data(), static_cast<size_t>(got)));
  }
  ::close(fd);
  uint64_t size = root.size();
  *id = FormatContentId({size, root.FinalHex()});
  return Status::OK();
}

Status ValidateContentId(std::string_view id) {
  auto parsed = ParseContentId(id);
  return parsed.ok() ? Status::OK() : parsed.status();
}

namespace {

std::string Bytes(std::string_view s) { return std::to_string(s.size()) + ":" + std::string(s); }
std::string Int(uint64_t n) { return "i" + std::to_string(n) + "e"; }

std::string Unhex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

// The bencoded info dictionary of the derived torrent, keys in byte order as
// bencoding requires (the same bytes libtorrent's encoder makes: checked by
// torrent_tests' ContentTorrentTest).
std::string InfoDictionary(const ContentId& id, std::string_view group) {
  const std::string name = ContentTorrentName(id.root);
  std::string d = "d";
  if (!group.empty()) d += Bytes("ferry group") + Bytes(Unhex(crypto::Sha256Hex(group)));
  d += Bytes("file tree") + "d" + Bytes(name) + "d" + Bytes("") + "d" + Bytes("length") +
       Int(id.size) + Bytes("pieces root") + Bytes(Unhex(id.root)) + "eee";
  d += Bytes("meta version") + Int(2);
  d += Bytes("name") + Bytes(name);
  d += Bytes("piece length") + Int(ContentPieceLength(id.size));
  return d + "e";
}

}  // namespace

Status ContentInfoHash(std::string_view id, std::string_view group, std::string* info_hash) {
  auto parsed = ParseContentId(id);
  if (!parsed.ok()) return parsed.status();
  if (parsed->size == 0)
    return Status(code::kInvalidArg, "a content id of an empty file has no torrent");
  *info_hash = crypto::Sha256Hex(InfoDictionary(*parsed, group));
  return Status::OK();
}

}  // namespace ferry
