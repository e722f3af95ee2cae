#include "transfer/p2p/seed_cache.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "transfer/p2p/peer_backend.h"
#include "util/content_id.h"
#include "util/log.h"

namespace ferry::transfer {
namespace {

// An entry of a content id: the v2-only torrent ContentTorrent derives, named
// after the id's root (ContentTorrentName).
bool IsContentEntry(const CacheEntry& e) {
  return e.info_hash_v1.empty() && e.name.size() == ContentTorrentName("").size() + 64 &&
         e.name.rfind(ContentTorrentName(""), 0) == 0;
}

// The cache file system's size in bytes; 0 when it cannot be read.
uint64_t FileSystemSize(const std::string& dir) {
  struct statvfs v{};
  if (::statvfs(dir.c_str(), &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_blocks) * v.f_frsize;
}

// Files in `dir` that no entry names (a copy cut short by a crash, entries
// removed while ferryd was down). Called at Open, before any copy can start
// (on a worker it could race with the first copy).
void RemoveStrays(const std::string& dir, const std::set<std::string>& keep) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (keep.count(e.path().filename().string()) != 0) continue;
    std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace

SeedCache::SeedCache(PeerBackend& backend, sys::Clock& clock, sys::Executor& loop,
                     sys::Executor& workers, core::SeedIndex& index, std::string dir,
                     CacheLimits limits)
    : backend_(backend),
      clock_(clock),
      loop_(loop),
      workers_(workers),
      index_(index),
      dir_(std::move(dir)),
      limits_(limits) {}

SeedCache::~SeedCache() {
  if (check_ != 0) clock_.Cancel(check_);
  if (uploads_ != 0) clock_.Cancel(uploads_);
  // Upload counts not yet written (the loop has stopped: nothing races).
  for (const std::string& key : dirty_)
    if (auto it = entries_.find(key); it != entries_.end()) Persist(it->second);
}

Status SeedCache::Open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status(code::kUnexpected, "cannot create the cache directory " + dir_);
  ::chmod(dir_.c_str(), 0700);
  fs_size_ = FileSystemSize(dir_);
  std::vector<core::SeedRecord> records;
  if (Status s = index_.LoadSeeds(&records); !s.ok()) return s;
  std::set<std::string> keep;
  for (core::SeedRecord& r : records) {
    struct stat st{};
    if (::stat(r.path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != r.entry.size_bytes) {
      log::Warn("seeding cache: {} ({}) is gone; forgetting it", r.entry.name, r.key);
      index_.RemoveSeed(r.key);
      continue;
    }
    keep.insert(std::filesystem::path(r.path).filename().string());
    entries_.emplace(r.key, std::move(r));
  }
  RemoveStrays(dir_, keep);
  Enforce();
  for (auto& [key, r] : entries_) Seed(r);
  if (!entries_.empty())
    log::Info("seeding cache: {} entries, {} bytes, in {}", entries_.size(), CacheBytes(), dir_);
  ArmCheck();
  return Status::OK();
}

std::string SeedCache::DataPath(const std::string& key) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return fmt::format("{}/{}.{}-{}.data", dir_, key, ns.count(), ++copies_);
}

std::string SeedCache::CopyOf(const std::string& name, uint64_t size) {
  for (auto& [key, r] : entries_) {
    if (r.entry.name != name || r.entry.size_bytes != size || !IsContentEntry(r.entry)) continue;
    r.entry.last_used = clock_.Now();
    Persist(r);
    return r.path;
  }
  return "";
}

bool SeedCache::Copying(const std::string& name, uint64_t size) const {
  for (const auto& [key, content] : copying_)
    if (content.first == name && content.second == size) return true;
  return false;
}

bool SeedCache::Wants(const std::string& key, uint64_t size) {
  if (key.empty() || copying_.count(key) != 0) return false;
  if (auto it = entries_.find(key); it != entries_.end()) {
    // Fetched again: the fetch replaced the seed in the session (one torrent
    // per info-hash). Seed again on a later turn, once the fetch has
    // removed its torrent.
    it->second.entry.last_used = clock_.Now();
    Persist(it->second);
    sys::PostIfAlive(loop_, lifetime_, [this, key] {
      if (auto e = entries_.find(key); e != entries_.end()) Seed(e->second);
    });
    return false;
  }
  return size <= Bound();
}

void SeedCache::Offer(SeedOffer offer, sys::SharedFd fd) {
  if (*fd < 0 || !Wants(offer.key, offer.size)) return;
  copying_[offer.key] = {offer.name, offer.size};
  std::string dst = DataPath(offer.key);
  uint64_t size = offer.size;
  sys::RunOnWorkerThenLoop(
      workers_, loop_, lifetime_,
      [fd, size, dst, dir = dir_]() -> Result<uint64_t> {
        auto method = sys::CloneOrCopyFile(*fd, size, dst, 0600);
        if (!method.ok()) return method.status();
        log::Debug("seeding cache: {} copied by {}", dst, sys::CopyMethodName(*method));
        return FileSystemSize(dir);
      },
      [this, offer = std::move(offer), dst](Result<uint64_t> copied) mutable {
        copying_.erase(offer.key);
        if (!copied.ok()) {
          log::Warn("seeding cache: cannot keep {}: {}", offer.name, copied.status().ToString());
          return;
        }
        Added(std::move(offer), dst, *copied);
      });
}

void SeedCache::Added(SeedOffer offer, std::string path, uint64_t fs_size) {
  if (fs_size != 0) fs_size_ = fs_size;
  core::SeedRecord r;
  r.key = offer.key;
  r.entry.info_hash_v1 = offer.info_hash_v1;
  r.entry.info_hash_v2 = offer.info_hash_v2;
  r.entry.content = offer.info_hash_v1.empty() ? "btmh:1220" + offer.info_hash_v2
                                               : "btih:" + offer.info_hash_v1;
  r.entry.name = offer.name;
  r.entry.size_bytes = offer.size;
  r.entry.created = r.entry.last_used = clock_.Now();
  r.path = std::move(path);
  r.torrent = std::move(offer.torrent);
  Persist(r);
  core::SeedRecord& added = entries_[r.key] = std::move(r);
  log::Info("seeding cache: keeping {} ({} bytes, {})", added.entry.name, added.entry.size_bytes,
            added.entry.content);
  Seed(added);
  Enforce();
}

void SeedCache::Seed(core::SeedRecord& r) {
  if (ids_.count(r.key) != 0) return;
  auto session = backend_.session();
  if (!session.ok()) return;
  torrent::SeedParams params{r.torrent, r.path, false};
  params.local_peers_only = limits_.content_lan_only && IsContentEntry(r.entry);
  auto id = (*session)->Seed(params);
  if (!id.ok()) {
    // DO_E_INVALID_STATE: a job fetches the same torrent; OnCheck retries.
    if (id.status().code() == code::kInvalidState)
      log::Debug("seeding cache: {} waits: {}", r.entry.name, id.status().message());
    else
      log::Warn("seeding cache: cannot seed {}: {}", r.entry.name, id.status().ToString());
    return;
  }
  ids_[r.key] = *id;
  seeding_[*id] = r.key;
  seen_upload_[*id] = 0;
  ArmUploads();
}

void SeedCache::OnEvent(const torrent::Event& event) {
  if (const auto* s = std::get_if<torrent::event::StatusChanged>(&event)) {
    auto session = backend_.session();
    const torrent::TorrentStatus* st = session.ok() ? (*session)->GetStatus(s->id) : nullptr;
    auto key = seeding_.find(s->id);
    if (st == nullptr || key == seeding_.end()) return;
    // A seed starts from no resume data: its all_time_upload from 0.
    uint64_t& seen = seen_upload_[s->id];
    if (st->all_time_upload <= seen) return;
    core::SeedRecord& r = entries_.at(key->second);
    r.entry.bytes_uploaded += st->all_time_upload - seen;
    r.entry.last_used = clock_.Now();
    seen = st->all_time_upload;
    dirty_.insert(r.key);  // written at the next OnUploads: not one commit per update
    return;
  }
  if (const auto* removed = std::get_if<torrent::event::Removed>(&event)) {
    // A fetch of the same torrent replaced the seed (Wants seeds it again).
    Forget(removed->id);
    return;
  }
  const auto* failed = std::get_if<torrent::event::AddFailed>(&event);
  const auto* error = std::get_if<torrent::event::TorrentError>(&event);
  if (failed == nullptr && error == nullptr) return;
  torrent::TorrentId id = failed ? failed->id : error->id;
  auto it = seeding_.find(id);
  if (it == seeding_.end()) return;
  log::Warn("seeding cache: {} stopped: {}", it->second, failed ? failed->message : error->message);
  Evict(it->second);
}

void SeedCache::Enforce() {
  std::vector<core::SeedRecord> all;
  for (const auto& [key, r] : entries_) all.push_back(r);
  for (const std::string& key : Evictions(all, clock_.Now(), limits_, Bound())) Evict(key);
}

void SeedCache::Evict(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (auto id = ids_.find(key); id != ids_.end()) {
    if (auto session = backend_.session(); session.ok()) (*session)->Remove(id->second, false);
    Forget(id->second);
  }
  log::Info("seeding cache: removing {} ({})", it->second.entry.name, key);
  if (Status s = index_.RemoveSeed(key); !s.ok())
    log::Warn("seeding cache: cannot remove {} from the index: {}", key, s.ToString());
  workers_.Post([path = it->second.path] { ::unlink(path.c_str()); });
  entries_.erase(it);
}

void SeedCache::Forget(torrent::TorrentId id) {
  auto it = seeding_.find(id);
  if (it == seeding_.end()) return;
  if (auto key = ids_.find(it->second); key != ids_.end() && key->second == id) ids_.erase(key);
  seen_upload_.erase(id);
  seeding_.erase(it);
}

void SeedCache::Persist(const core::SeedRecord& r) {
  if (Status s = index_.PutSeed(r); !s.ok())
    log::Warn("seeding cache: cannot record {}: {}", r.key, s.ToString());
}

std::vector<CacheEntry> SeedCache::ListCache() {
  std::vector<core::SeedRecord> all;
  for (const auto& [key, r] : entries_) all.push_back(r);
  std::sort(all.begin(), all.end(), [](const core::SeedRecord& a, const core::SeedRecord& b) {
    return std::tie(a.entry.last_used, a.key) < std::tie(b.entry.last_used, b.key);
  });
  std::vector<CacheEntry> out;
  for (const core::SeedRecord& r : all) out.push_back(r.entry);
  return out;
}

Status SeedCache::ClearCache() {
  std::vector<std::string> keys;
  for (const auto& [key, r] : entries_) keys.push_back(key);
  for (const std::string& key : keys) Evict(key);
  return Status::OK();
}

uint64_t SeedCache::CacheBytes() {
  uint64_t total = 0;
  for (const auto& [key, r] : entries_) total += r.entry.size_bytes;
  return total;
}

void SeedCache::ArmCheck() {
  check_ = clock_.Schedule(clock_.Now() + kCheckInterval, lifetime_.Guard([this] { OnCheck(); }));
}

void SeedCache::OnCheck() {
  check_ = 0;
  Enforce();
  // Entries not seeding (a fetch of the same torrent held them back).
  for (auto& [key, r] : entries_)
    if (ids_.count(key) == 0) Seed(r);
  ArmCheck();
}

// While anything seeds, status updates every kUploadInterval count uploads.
void SeedCache::ArmUploads() {
  if (uploads_ != 0 || seeding_.empty()) return;
  uploads_ =
      clock_.Schedule(clock_.Now() + kUploadInterval, lifetime_.Guard([this] { OnUploads(); }));
}

void SeedCache::OnUploads() {
  uploads_ = 0;
  for (const std::string& key : dirty_)
    if (auto it = entries_.find(key); it != entries_.end()) Persist(it->second);
  dirty_.clear();
  if (seeding_.empty()) return;
  if (auto session = backend_.session(); session.ok()) (*session)->RequestStatus();
  ArmUploads();
}

}  // namespace ferry::transfer
