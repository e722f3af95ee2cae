#include "transfer/p2p/origin_beacon.h"

#include <filesystem>

namespace ferry::transfer {

Result<std::unique_ptr<OriginBeacon>> OriginBeacon::Start(torrent::Session& session,
                                                          const torrent::ContentSpec& spec,
                                                          const std::string& staging_path) {
  torrent::AddParams p;
  p.content = spec;
  p.save_dir = std::filesystem::path(staging_path).parent_path().string();
  p.store_as = staging_path + ".origin";
  p.upload_only = true;
  p.paused = false;
  auto id = session.Add(p);
  if (!id.ok()) return id.status();
  std::unique_ptr<OriginBeacon> beacon(new OriginBeacon(session, *id));
  beacon->Fetching(0);
  return beacon;
}

std::unique_ptr<OriginBeacon> OriginBeacon::Adopt(torrent::Session& session,
                                                  torrent::TorrentId id) {
  session.SetUploadOnly(id, true);
  std::unique_ptr<OriginBeacon> beacon(new OriginBeacon(session, id));
  beacon->Fetching(0);
  return beacon;
}

OriginBeacon::~OriginBeacon() { session_.Remove(id_, false); }

void OriginBeacon::Fetching(uint64_t bytes) {
  session_.SetOriginReport(id_, torrent::OriginReport{true, bytes});
}

void OriginBeacon::Done(uint64_t bytes) {
  session_.SetOriginReport(id_, torrent::OriginReport{false, bytes});
}

}  // namespace ferry::transfer
