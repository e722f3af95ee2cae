// OriginBeacon: while a host fetches a content id's file from its origin
// (ContentFetch's phase 2), the torrent derived from the id stays in the
// session in upload mode, and the host's OriginReport says "fetching, N bytes
// so far", so that peers that want the same content wait for this host
// instead of asking the origin too (docs/peering.md "Who asks the origin").
//
// The torrent requests and writes nothing (upload mode). Either it is the
// torrent the host's peers phase used (Adopt: the peers stay connected, and
// the pieces verified then are still served), or one added now (Start, after
// a restart in phase 2) with no piece, its file a path next to the staging
// file that never exists. The destructor removes it.
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lib/torrent/session.h"
#include "util/result.h"

namespace ferry::transfer {

class OriginBeacon {
 public:
  // Adds the derived torrent of `spec` to `session`; `staging_path` is the
  // file's staging file. The add's own error otherwise (the caller fetches
  // from the origin anyway, unseen).
  static Result<std::unique_ptr<OriginBeacon>> Start(torrent::Session& session,
                                                     const torrent::ContentSpec& spec,
                                                     const std::string& staging_path);
  // Takes over torrent `id` of `session` (a content torrent) and puts it in
  // upload mode.
  static std::unique_ptr<OriginBeacon> Adopt(torrent::Session& session, torrent::TorrentId id);
  ~OriginBeacon();
  OriginBeacon(const OriginBeacon&) = delete;
  OriginBeacon& operator=(const OriginBeacon&) = delete;

  // What the peers are told: fetching from the origin, `bytes` so far (only
  // grows), or done.
  void Fetching(uint64_t bytes);
  void Done(uint64_t bytes);

 private:
  OriginBeacon(torrent::Session& session, torrent::TorrentId id) : session_(session), id_(id) {}

  torrent::Session& session_;
  torrent::TorrentId id_;
};

}  // namespace ferry::transfer
