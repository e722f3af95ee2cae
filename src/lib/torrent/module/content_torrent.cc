#include "lib/torrent/module/content_torrent.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/sha1_hash.hpp>

#include "util/content_id.h"

namespace ferry::torrent {
namespace {

bool IsRoot(const std::string& root) {
  if (root.size() != 64) return false;
  for (char c : root)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

int Nibble(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

std::string Unhex(const std::string& hex) {  // IsRoot's digits
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(Nibble(hex[i]) * 16 + Nibble(hex[i + 1]));
  return out;
}

// The info dictionary (BEP 52, v2 only, one file). A group adds
// "ferry group": SHA-256 of the group id, so that groups differ in
// info-hash without the id itself being sent to peers.
lt::entry Info(const ContentSpec& spec) {
  const std::string name = ContentTorrentName(spec.root);
  lt::entry info(lt::entry::dictionary_t);
  info["name"] = name;
  info["piece length"] = static_cast<std::int64_t>(ContentPieceLength(spec.size));
  info["meta version"] = 2;
  lt::entry& file = info["file tree"][name][""];
  file["length"] = static_cast<std::int64_t>(spec.size);
  file["pieces root"] = Unhex(spec.root);
  if (!spec.group.empty()) {
    lt::sha256_hash h = lt::hasher256(spec.group.data(), static_cast<int>(spec.group.size())).final();
    info["ferry group"] = std::string(h.data(), h.size());
  }
  return info;
}

}  // namespace

Result<std::string> BuildContentTorrent(const ContentSpec& spec) {
  if (spec.size == 0) return Status(code::kInvalidArg, "a content id of an empty file has no torrent");
  if (!IsRoot(spec.root))
    return Status(code::kInvalidArg, "a pieces root is 64 lowercase hex digits");
  lt::entry torrent(lt::entry::dictionary_t);
  torrent["info"] = Info(spec);
  if (!spec.trackers.empty()) {
    lt::entry::list_type tiers;
    for (const std::string& url : spec.trackers) tiers.emplace_back(lt::entry::list_type{url});
    torrent["announce-list"] = tiers;
    torrent["announce"] = spec.trackers.front();
  }
  std::string out;
  lt::bencode(std::back_inserter(out), torrent);
  return out;
}

bool IsGroupTorrent(const lt::torrent_info& info) {
  lt::error_code ec;
  lt::bdecode_node dict = lt::bdecode(info.info_section(), ec);
  return !ec && dict.type() == lt::bdecode_node::dict_t &&
         dict.dict_find_string("ferry group").type() == lt::bdecode_node::string_t;
}

}  // namespace ferry::torrent
