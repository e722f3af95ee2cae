#include "core/statistics.h"

#include <time.h>

#include <algorithm>
#include <chrono>

#include "core/job_state.h"

namespace ferry::core {

namespace {
struct tm LocalTm(sys::WallTime t) {
  time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  struct tm out {};
  localtime_r(&secs, &out);
  return out;
}
}  // namespace

uint32_t LocalMonth(sys::WallTime t) {
  struct tm tm = LocalTm(t);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

sys::WallTime NextLocalMonth(sys::WallTime t) {
  struct tm tm = LocalTm(t);
  struct tm next {};
  next.tm_year = tm.tm_year + (tm.tm_mon == 11 ? 1 : 0);
  next.tm_mon = (tm.tm_mon + 1) % 12;
  next.tm_mday = 1;
  next.tm_isdst = -1;  // mktime decides whether DST is in force then
  time_t secs = mktime(&next);
  return std::chrono::time_point_cast<sys::WallTime::duration>(
      std::chrono::system_clock::from_time_t(secs));
}

void StatisticsBook::Load(const ServiceStatistics& stored) {
  totals_ = stored;
  month_end_ = {};
  dirty_ = false;
}

void StatisticsBook::Roll(sys::WallTime now) {
  if (month_end_ != sys::WallTime{} && now < month_end_) return;
  uint32_t month = LocalMonth(now);
  if (month > totals_.month) {
    // month 0 (a new store) has no figures to drop.
    if (totals_.month != 0) totals_.this_month = TransferTotals{};
    totals_.month = month;
    dirty_ = true;
  }
  month_end_ = NextLocalMonth(now);
}

void StatisticsBook::AddFromOrigin(uint64_t n, sys::WallTime now) {
  Roll(now);
  for (TransferTotals* t : {&totals_.this_month, &totals_.all_time}) {
    t->bytes_from_http += n;
    t->total_bytes_downloaded += n;
  }
  dirty_ = true;
}

void StatisticsBook::AddFromCacheServer(uint64_t n, sys::WallTime now) {
  Roll(now);
  for (TransferTotals* t : {&totals_.this_month, &totals_.all_time}) {
    t->bytes_from_cache_server += n;
    t->total_bytes_downloaded += n;
  }
  dirty_ = true;
}

void StatisticsBook::AddFromPeers(const PeerBytes& bytes, sys::WallTime now) {
  Roll(now);
  for (TransferTotals* t : {&totals_.this_month, &totals_.all_time}) {
    t->bytes_from_lan_peers += bytes.lan;
    t->bytes_from_group_peers += bytes.group;
    t->bytes_from_internet_peers += bytes.internet;
    t->total_bytes_downloaded += bytes.total();
  }
  dirty_ = true;
}

void StatisticsBook::AddToPeers(const PeerBytes& bytes, sys::WallTime now) {
  Roll(now);
  if (bytes.total() == 0) return;
  for (TransferTotals* t : {&totals_.this_month, &totals_.all_time}) {
    t->bytes_to_lan_peers += bytes.lan;
    t->bytes_to_group_peers += bytes.group;
    t->bytes_to_internet_peers += bytes.internet;
  }
  dirty_ = true;
}

void StatisticsBook::AddDownload(sys::WallTime now) {
  Roll(now);
  totals_.this_month.downloads++;
  totals_.all_time.downloads++;
  dirty_ = true;
}

FileStats FileStatsOf(const JobRecord& job, uint32_t file) {
  const FileRecord& f = job.files[file];
  FileStats s = f.stats;
  s.file_size = f.bytes_total;
  s.bytes_to_peers = s.bytes_to_lan_peers + s.bytes_to_group_peers + s.bytes_to_internet_peers;
  if (f.transferred || f.delivered) {
    s.status = FileStatsStatus::kComplete;
  } else {
    // Files are fetched in order: a running job is fetching its first
    // unfinished file.
    auto first = std::find_if(job.files.begin(), job.files.end(),
                              [](const FileRecord& r) { return !r.transferred && !r.delivered; });
    bool current = first != job.files.end() && first->index == f.index;
    s.status = current && IsRunning(job.state) ? FileStatsStatus::kDownloading
                                               : FileStatsStatus::kPaused;
  }
  if (s.total_bytes_downloaded == 0) s.background = job.priority != JobPriority::kForeground;
  return s;
}

}  // namespace ferry::core
