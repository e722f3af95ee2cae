#include "store/record_codec.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include "store/job_store_sqlite.h"

namespace ferry::store {

const char kJobColumns[] =
    "id, type, owner_uid, display_name, description, priority, notify_flags, notify_program, "
    "notify_parameters, min_retry_delay_s, no_progress_timeout_s, no_progress_timeout_set, "
    "cost_policy, proxy_usage, proxy_list, proxy_bypass, custom_headers, state, error_count, "
    "error_code, error_context, error_file_index, error_message, error_protocol, creation_ns, "
    "modification_ns, transfer_completion_ns, retry_at_ns, last_progress_ns, max_rate, "
    "allow_https_to_http, security_flags, download_mode";

const char kFileColumns[] =
    "job_id, idx, remote_url, local_name, file_id, ranges, expected_size, sha256, bytes_total, "
    "bytes_transferred, transferred, delivered, etag, last_modified, validation_retries, "
    "stat_file_size, stat_total_bytes_downloaded, stat_bytes_from_http, stat_bytes_from_lan_peers, "
    "stat_bytes_from_group_peers, stat_bytes_from_cache_server, stat_bytes_to_peers, "
    "stat_http_connections, stat_lan_connections, stat_group_connections, stat_duration_ns, "
    "stat_background, stat_bytes_from_internet_peers, stat_bytes_to_lan_peers, "
    "stat_bytes_to_group_peers, stat_bytes_to_internet_peers, stat_internet_connections, "
    "stat_cache_server_connections, stat_download_mode, stat_counted_bytes, resume_data, "
    "content_id";

const char kHistoryColumns[] = "id, owner_uid, display_name, final_state, reason, when_ns";

const char kStatisticsColumns[] =
    "period, month, total_bytes_downloaded, bytes_from_http, bytes_from_lan_peers, "
    "bytes_from_group_peers, bytes_from_internet_peers, bytes_from_cache_server, "
    "bytes_to_lan_peers, bytes_to_group_peers, bytes_to_internet_peers, downloads, uploads";

namespace {

using sys::WallTime;

int64_t Ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
WallTime FromNs(int64_t ns) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(ns)));
}

// Binds consecutive parameters, counting from 1.
class Binder {
 public:
  explicit Binder(sqlite::Statement& s) : s_(s) {}
  void I(int64_t v) { s_.BindInt64(i_++, v); }
  void U(uint64_t v) { s_.BindInt64(i_++, static_cast<int64_t>(v)); }  // same bits
  void T(std::string_view v) { s_.BindText(i_++, v); }
  void B(std::span<const std::byte> v) { s_.BindBlob(i_++, v); }
  void Null() { s_.BindNull(i_++); }

 private:
  sqlite::Statement& s_;
  int i_ = 1;
};

// Reads consecutive columns, counting from 0; remembers the first bad value.
class Reader {
 public:
  explicit Reader(const sqlite::Statement& s) : s_(s) {}
  int64_t I() { return s_.ColumnInt64(i_++); }
  uint64_t U() { return static_cast<uint64_t>(s_.ColumnInt64(i_++)); }
  uint32_t U32(const char* what) {
    int64_t v = s_.ColumnInt64(i_++);
    if (v < 0 || v > UINT32_MAX) Fail(what);
    return static_cast<uint32_t>(v);
  }
  template <typename E>
  E Enum(const char* what, uint32_t max) {
    uint32_t v = U32(what);
    if (v > max) Fail(what);
    return static_cast<E>(v);
  }
  bool Bool() { return s_.ColumnInt64(i_++) != 0; }
  std::string T() { return s_.ColumnText(i_++); }
  std::string Blob() {
    std::vector<std::byte> b = s_.ColumnBlob(i_++);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  bool NextIsNull() const { return s_.ColumnIsNull(i_); }
  void Skip() { ++i_; }
  Guid Id() {
    std::vector<std::byte> b = s_.ColumnBlob(i_++);
    Guid g;
    if (b.size() != g.bytes.size()) {
      Fail("id");
    } else {
      std::memcpy(g.bytes.data(), b.data(), b.size());
    }
    return g;
  }
  void Fail(const char* what) {
    if (bad_.empty()) bad_ = what;
  }
  Status Done(const char* table) const {
    if (bad_.empty()) return Status::OK();
    return Status(kCodeDatabaseCorrupt,
                  std::string("job store: invalid ") + bad_ + " in a row of table " + table);
  }

 private:
  const sqlite::Statement& s_;
  int i_ = 0;
  std::string bad_;
};

}  // namespace

std::string Placeholders(std::string_view columns) {
  std::string out = "?";
  for (char c : columns)
    if (c == ',') out += ",?";
  return out;
}

std::string UpsertSql(std::string_view table, std::string_view columns, std::string_view key) {
  std::string sets;
  size_t pos = 0;
  while (pos < columns.size()) {
    size_t end = columns.find(',', pos);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view col = columns.substr(pos, end - pos);
    while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
    pos = end + 1;
    // The key columns keep their value; every other one takes the new row's.
    std::string keys = ", " + std::string(key) + ",";
    if (keys.find(", " + std::string(col) + ",") != std::string::npos) continue;
    if (!sets.empty()) sets += ", ";
    sets += std::string(col) + " = excluded." + std::string(col);
  }
  return "INSERT INTO " + std::string(table) + " (" + std::string(columns) + ") VALUES (" +
         Placeholders(columns) + ") ON CONFLICT (" + std::string(key) + ") DO UPDATE SET " + sets;
}

std::span<const std::byte> GuidBytes(const Guid& id) { return std::as_bytes(std::span(id.bytes)); }

std::string EncodeRanges(const std::vector<FileRange>& ranges) {
  std::string out;
  for (const FileRange& r : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.initial_offset);
    out += ':';
    out += std::to_string(r.length);
  }
  return out;
}

bool DecodeRanges(std::string_view text, std::vector<FileRange>* ranges) {
  ranges->clear();
  if (text.empty()) return true;
  const char* p = text.data();
  const char* end = p + text.size();
  for (;;) {
    FileRange r;
    auto a = std::from_chars(p, end, r.initial_offset);
    if (a.ec != std::errc() || a.ptr == end || *a.ptr != ':') return false;
    auto b = std::from_chars(a.ptr + 1, end, r.length);
    if (b.ec != std::errc()) return false;
    ranges->push_back(r);
    if (b.ptr == end) return true;
    if (*b.ptr != ',') return false;
    p = b.ptr + 1;
  }
}

void BindJob(sqlite::Statement& s, const core::JobRecord& j) {
  Binder b(s);
  b.B(GuidBytes(j.id));
  b.U(static_cast<uint32_t>(j.type));
  b.U(j.owner_uid);
  b.T(j.display_name);
  b.T(j.description);
  b.U(static_cast<uint32_t>(j.priority));
  b.U(j.notify_flags);
  b.T(j.notify_program);
  b.T(j.notify_parameters);
  b.U(j.min_retry_delay_s);
  b.U(j.no_progress_timeout_s);
  b.I(j.no_progress_timeout_set);
  b.U(j.cost_policy);
  b.U(static_cast<uint32_t>(j.proxy_usage));
  b.T(j.proxy_list);
  b.T(j.proxy_bypass);
  b.T(j.custom_headers);
  b.U(static_cast<uint32_t>(j.state));
  b.U(j.error_count);
  if (j.error) {
    b.I(j.error->code);
    b.U(static_cast<uint32_t>(j.error->context));
    b.I(j.error->file_index);
    b.T(j.error->message);
    b.T(j.error->protocol);
  } else {
    for (int i = 0; i < 5; ++i) b.Null();
  }
  b.I(Ns(j.creation));
  b.I(Ns(j.modification));
  b.I(Ns(j.transfer_completion));
  b.I(Ns(j.retry_at));
  b.I(Ns(j.last_progress));
  b.U(j.max_rate);
  b.I(j.allow_https_to_http);
  b.U(j.security_flags);
  if (j.download_mode)
    b.U(static_cast<uint32_t>(*j.download_mode));
  else
    b.Null();
}

Status ReadJob(const sqlite::Statement& s, core::JobRecord* j) {
  Reader r(s);
  j->id = r.Id();
  j->type = r.Enum<JobType>("type", 2);
  j->owner_uid = r.U32("owner_uid");
  j->display_name = r.T();
  j->description = r.T();
  j->priority = r.Enum<JobPriority>("priority", 3);
  j->notify_flags = r.U32("notify_flags");
  j->notify_program = r.T();
  j->notify_parameters = r.T();
  j->min_retry_delay_s = r.U32("min_retry_delay_s");
  j->no_progress_timeout_s = r.U32("no_progress_timeout_s");
  j->no_progress_timeout_set = r.Bool();
  j->cost_policy = r.U32("cost_policy");
  j->proxy_usage = r.Enum<ProxyUsage>("proxy_usage", 3);
  j->proxy_list = r.T();
  j->proxy_bypass = r.T();
  j->custom_headers = r.T();
  j->state = r.Enum<JobState>("state", 8);
  j->error_count = r.U32("error_count");
  if (r.NextIsNull()) {
    j->error.reset();
    for (int i = 0; i < 5; ++i) r.Skip();
  } else {
    core::ErrorRecord e;
    e.code = static_cast<int32_t>(r.I());
    e.context = r.Enum<ErrorContext>("error_context", 7);
    e.file_index = static_cast<int32_t>(r.I());
    e.message = r.T();
    e.protocol = r.T();
    j->error = std::move(e);
  }
  j->creation = FromNs(r.I());
  j->modification = FromNs(r.I());
  j->transfer_completion = FromNs(r.I());
  j->retry_at = FromNs(r.I());
  j->last_progress = FromNs(r.I());
  j->max_rate = r.U();
  j->allow_https_to_http = r.Bool();
  j->security_flags = r.U32("security_flags");
  j->download_mode.reset();
  if (r.NextIsNull()) {
    r.Skip();
  } else {
    uint32_t mode = r.U32("download_mode");
    if (!IsDownloadMode(mode)) r.Fail("download_mode");
    j->download_mode = static_cast<DownloadMode>(mode);
  }
  j->files.clear();
  return r.Done("jobs");
}

void BindFile(sqlite::Statement& s, const Guid& job, const core::FileRecord& f) {
  Binder b(s);
  b.B(GuidBytes(job));
  b.U(f.index);
  b.T(f.remote_url);
  b.T(f.local_name);
  b.T(f.file_id);
  b.T(EncodeRanges(f.ranges));
  b.U(f.expected_size);
  b.T(f.sha256);
  b.U(f.bytes_total);
  b.U(f.bytes_transferred);
  b.I(f.transferred);
  b.I(f.delivered);
  b.T(f.etag);
  b.T(f.last_modified);
  b.U(f.validation_retries);
  const FileStats& st = f.stats;
  b.U(st.file_size);
  b.U(st.total_bytes_downloaded);
  b.U(st.bytes_from_http);
  b.U(st.bytes_from_lan_peers);
  b.U(st.bytes_from_group_peers);
  b.U(st.bytes_from_cache_server);
  b.U(st.bytes_to_peers);
  b.U(st.http_connections);
  b.U(st.lan_connections);
  b.U(st.group_connections);
  b.I(st.duration.count());
  b.I(st.background);
  b.U(st.bytes_from_internet_peers);
  b.U(st.bytes_to_lan_peers);
  b.U(st.bytes_to_group_peers);
  b.U(st.bytes_to_internet_peers);
  b.U(st.internet_connections);
  b.U(st.cache_server_connections);
  b.U(static_cast<uint32_t>(st.download_mode));
  b.U(f.counted_bytes);
  b.B(std::as_bytes(std::span(f.resume_data)));
  b.T(f.content_id);
}

Status ReadFile(const sqlite::Statement& s, core::FileRecord* f) {
  Reader r(s);
  r.Skip();  // job_id
  f->index = r.U32("idx");
  f->remote_url = r.T();
  f->local_name = r.T();
  f->file_id = r.T();
  if (!DecodeRanges(r.T(), &f->ranges)) r.Fail("ranges");
  f->expected_size = r.U();
  f->sha256 = r.T();
  f->bytes_total = r.U();
  f->bytes_transferred = r.U();
  f->transferred = r.Bool();
  f->delivered = r.Bool();
  f->etag = r.T();
  f->last_modified = r.T();
  f->validation_retries = r.U32("validation_retries");
  FileStats& st = f->stats;
  st.file_size = r.U();
  st.total_bytes_downloaded = r.U();
  st.bytes_from_http = r.U();
  st.bytes_from_lan_peers = r.U();
  st.bytes_from_group_peers = r.U();
  st.bytes_from_cache_server = r.U();
  st.bytes_to_peers = r.U();
  st.http_connections = r.U32("stat_http_connections");
  st.lan_connections = r.U32("stat_lan_connections");
  st.group_connections = r.U32("stat_group_connections");
  st.duration = std::chrono::nanoseconds(r.I());
  st.background = r.Bool();
  st.bytes_from_internet_peers = r.U();
  st.bytes_to_lan_peers = r.U();
  st.bytes_to_group_peers = r.U();
  st.bytes_to_internet_peers = r.U();
  st.internet_connections = r.U32("stat_internet_connections");
  st.cache_server_connections = r.U32("stat_cache_server_connections");
  st.download_mode = static_cast<DownloadMode>(r.U32("stat_download_mode"));
  f->counted_bytes = r.U();
  f->resume_data = r.Blob();
  f->content_id = r.T();
  return r.Done("files");
}

void BindHistory(sqlite::Statement& s, const core::HistoryRecord& h) {
  Binder b(s);
  b.B(GuidBytes(h.id));
  b.U(h.owner_uid);
  b.T(h.display_name);
  b.U(static_cast<uint32_t>(h.final_state));
  b.I(h.reason);
  b.I(Ns(h.when));
}

Status ReadHistory(const sqlite::Statement& s, core::HistoryRecord* h) {
  Reader r(s);
  h->id = r.Id();
  h->owner_uid = r.U32("owner_uid");
  h->display_name = r.T();
  h->final_state = r.Enum<JobState>("final_state", 8);
  h->reason = static_cast<int32_t>(r.I());
  h->when = FromNs(r.I());
  return r.Done("history");
}

void BindStatistics(sqlite::Statement& s, std::string_view period, uint32_t month,
                    const TransferTotals& t) {
  Binder b(s);
  b.T(period);
  b.U(month);
  for (uint64_t v : {t.total_bytes_downloaded, t.bytes_from_http, t.bytes_from_lan_peers,
                     t.bytes_from_group_peers, t.bytes_from_internet_peers, t.bytes_from_cache_server,
                     t.bytes_to_lan_peers, t.bytes_to_group_peers, t.bytes_to_internet_peers,
                     t.downloads, t.uploads})
    b.U(v);
}

Status ReadStatistics(const sqlite::Statement& s, std::string* period, uint32_t* month,
                      TransferTotals* t) {
  Reader r(s);
  *period = r.T();
  *month = r.U32("month");
  for (uint64_t* v : {&t->total_bytes_downloaded, &t->bytes_from_http, &t->bytes_from_lan_peers,
                      &t->bytes_from_group_peers, &t->bytes_from_internet_peers,
                      &t->bytes_from_cache_server, &t->bytes_to_lan_peers, &t->bytes_to_group_peers,
                      &t->bytes_to_internet_peers, &t->downloads, &t->uploads})
    *v = r.U();
  return r.Done("statistics");
}

}  // namespace ferry::store
