#include "sdk/download_watchers.h"

namespace ferry::sdk {

uint64_t DownloadWatchers::Set(const std::string& path, const Guid& id,
                               std::shared_ptr<DownloadStatusCallback> cb) {
  std::lock_guard lock(mu_);
  if (!cb) {
    watches_.erase(path);
    return 0;
  }
  Watch& w = watches_[path];
  w.id = id;
  w.cb = std::move(cb);
  w.generation = next_generation_++;
  w.last.reset();
  return w.generation;
}

std::shared_ptr<DownloadStatusCallback> DownloadWatchers::Get(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(path);
  return it == watches_.end() ? nullptr : it->second.cb;
}

void DownloadWatchers::SetFrequency(const std::string& path, std::optional<uint32_t> percent,
                                    std::optional<uint32_t> seconds) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(path);
  if (it == watches_.end()) return;
  if (percent) it->second.percent = *percent;
  if (seconds) it->second.seconds = *seconds;
}

bool DownloadWatchers::Offer(const std::string& path, const DownloadStatus& st,
                             Clock::time_point now, uint64_t* generation) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(path);
  if (it == watches_.end()) return false;
  Watch& w = it->second;
  bool due;
  if (!w.last || w.last->state != st.state || w.last->error != st.error ||
      w.last->extended_error != st.extended_error) {
    due = true;  // every change of state or error
  } else if (st.bytes_transferred == w.last->bytes_transferred) {
    due = false;  // nothing new
  } else if (w.percent > 0 && st.bytes_total != kSizeUnknown && st.bytes_total > 0) {
    uint64_t step = st.bytes_total / 100 * w.percent + st.bytes_total % 100 * w.percent / 100;
    due = st.bytes_transferred - w.last->bytes_transferred >= step;
  } else {
    due = now - w.last_time >= std::chrono::seconds(w.seconds);
  }
  if (!due) return false;
  w.last = st;
  w.last_time = now;
  *generation = w.generation;
  return true;
}

bool DownloadWatchers::Current(const std::string& path, uint64_t generation, Guid* id,
                               std::shared_ptr<DownloadStatusCallback>* cb) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(path);
  if (it == watches_.end() || it->second.generation != generation) return false;
  *id = it->second.id;
  *cb = it->second.cb;
  return true;
}

}  // namespace ferry::sdk
