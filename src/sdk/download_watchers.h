// DownloadWatchers: this process's DownloadStatusCallback registrations and
// the callback frequency rules (include/ferry/download.h): every change of
// state or error is delivered; progress at most once per CallbackFreqSeconds,
// or per CallbackFreqPercent of the total when that is set. Offer() runs on
// the bus thread and says whether (and what) to deliver; the Connection posts
// the delivery to its dispatcher. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ferry/download.h"

namespace ferry::sdk {

class DownloadWatchers {
 public:
  using Clock = std::chrono::steady_clock;

  // Registers (or, with a null callback, removes) the callback of `path`.
  // Returns the registration's generation (deliveries of an older one are
  // dropped).
  uint64_t Set(const std::string& path, const Guid& id, std::shared_ptr<DownloadStatusCallback> cb);
  std::shared_ptr<DownloadStatusCallback> Get(const std::string& path);
  void SetFrequency(const std::string& path, std::optional<uint32_t> percent,
                    std::optional<uint32_t> seconds);

  // A status arrived: true when it is to be delivered (*generation set).
  bool Offer(const std::string& path, const DownloadStatus& status, Clock::time_point now,
             uint64_t* generation);
  // On the dispatcher: the callback of a still-current registration.
  bool Current(const std::string& path, uint64_t generation, Guid* id,
               std::shared_ptr<DownloadStatusCallback>* cb);

 private:
  struct Watch {
    Guid id;
    std::shared_ptr<DownloadStatusCallback> cb;
    uint64_t generation = 0;
    uint32_t percent = 0;
    uint32_t seconds = 1;
    std::optional<DownloadStatus> last;
    Clock::time_point last_time{};
  };
  std::mutex mu_;
  std::map<std::string, Watch> watches_;
  uint64_t next_generation_ = 1;
};

}  // namespace ferry::sdk
