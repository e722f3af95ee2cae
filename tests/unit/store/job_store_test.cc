#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lib/sqlite/database.h"
#include "store/job_store_sqlite.h"
#include "store/schema.h"
#include "support/temp_dir.h"

namespace ferry::store {
namespace {

using core::FileRecord;
using core::HistoryRecord;
using core::JobRecord;
using ferry::test::TempDir;
using namespace std::chrono_literals;
using sys::WallTime;

WallTime At(int64_t ns) { return WallTime(std::chrono::nanoseconds(ns)); }

Guid Id(uint8_t seed) {
  Guid g;
  for (size_t i = 0; i < g.bytes.size(); ++i) g.bytes[i] = static_cast<uint8_t>(seed * 17 + i);
  return g;
}

// Every field differs from its default.
FileRecord FullFile(uint32_t index) {
  FileRecord f;
  f.index = index;
  f.remote_url = "https://example.com/f" + std::to_string(index) + "?q=\xC3\xA9";
  f.local_name = "/home/u/dl/f" + std::to_string(index);
  f.file_id = "file-id-" + std::to_string(index);
  f.ranges = {{0, 100}, {1000, 5}, {UINT64_MAX - 1, kLengthToEof}};
  f.expected_size = 123456789012ull;
  f.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  f.bytes_total = 105;
  f.bytes_transferred = 42 + index;
  f.transferred = true;
  f.delivered = true;
  f.etag = "\"abc\"";
  f.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  f.validation_retries = 3;
  f.stats.file_size = 1ull << 40;
  // Every counter gets its own value, 11 and up, so no two columns mix.
  uint64_t next = 11;
  for (uint64_t* n :
       {&f.stats.total_bytes_downloaded, &f.stats.bytes_from_http, &f.stats.bytes_from_lan_peers,
        &f.stats.bytes_from_group_peers, &f.stats.bytes_from_cache_server, &f.stats.bytes_to_peers,
        &f.stats.bytes_from_internet_peers, &f.stats.bytes_to_lan_peers,
        &f.stats.bytes_to_group_peers, &f.stats.bytes_to_internet_peers}) {
    *n = next++;
  }
  for (uint32_t* n :
       {&f.stats.http_connections, &f.stats.lan_connections, &f.stats.group_connections,
        &f.stats.internet_connections, &f.stats.cache_server_connections}) {
    *n = static_cast<uint32_t>(next++);
  }
  f.stats.duration = 1234567891234ns;
  f.stats.background = false;
  f.stats.download_mode = DownloadMode::kGroup;
  f.counted_bytes = 26;
  f.resume_data = std::string("opaque\0\xff resume", 15);
  f.content_id = "cid1-16385-" + std::string(64, 'a') + "-0badc0de";
  return f;
}

JobRecord FullJob(uint8_t seed) {
  JobRecord j;
  j.id = Id(seed);
  j.type = JobType::kUploadReply;
  j.owner_uid = 4000000000u;
  j.display_name = "name " + std::to_string(seed);
  j.description = std::string("desc with\0nul", 13);
  j.priority = JobPriority::kForeground;
  j.notify_flags = notify::kAll;
  j.notify_program = "/usr/bin/notify";
  j.notify_parameters = "--job {id}";
  j.min_retry_delay_s = 61;
  j.no_progress_timeout_s = 1209600;
  j.no_progress_timeout_set = true;
  j.cost_policy = cost::kNoSurcharge;
  j.proxy_usage = ProxyUsage::kOverride;
  j.proxy_list = "http://proxy:3128";
  j.proxy_bypass = "<local>";
  j.custom_headers = "X-A: 1\r\nX-B: 2";
  j.max_rate = 987'654'321'000ull;
  j.allow_https_to_http = true;
  j.security_flags = 0x1100;
  j.download_mode = DownloadMode::kGroup;
  j.state = JobState::kTransientError;
  j.error_count = 7;
  j.error = core::ErrorRecord{code::HttpError(503), ErrorContext::kRemoteFile, 1, "busy", "https"};
  j.creation = At(1700000000123456789);
  j.modification = At(1700000001000000001);
  j.transfer_completion = At(-5);  // before the epoch: still exact
  j.retry_at = At(1700000600000000000);
  j.last_progress = At(1700000000999999999);
  j.files = {FullFile(0), FullFile(1), FullFile(2)};
  return j;
}

void ExpectFileEq(const FileRecord& a, const FileRecord& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.remote_url, b.remote_url);
  EXPECT_EQ(a.local_name, b.local_name);
  EXPECT_EQ(a.file_id, b.file_id);
  EXPECT_EQ(a.ranges, b.ranges);
  EXPECT_EQ(a.expected_size, b.expected_size);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.bytes_total, b.bytes_total);
  EXPECT_EQ(a.bytes_transferred, b.bytes_transferred);
  EXPECT_EQ(a.transferred, b.transferred);
  EXPECT_EQ(a.delivered, b.delivered);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.last_modified, b.last_modified);
  EXPECT_EQ(a.validation_retries, b.validation_retries);
  EXPECT_EQ(a.stats.file_size, b.stats.file_size);
  EXPECT_EQ(a.stats.total_bytes_downloaded, b.stats.total_bytes_downloaded);
  EXPECT_EQ(a.stats.bytes_from_http, b.stats.bytes_from_http);
  EXPECT_EQ(a.stats.bytes_from_lan_peers, b.stats.bytes_from_lan_peers);
  EXPECT_EQ(a.stats.bytes_from_group_peers, b.stats.bytes_from_group_peers);
  EXPECT_EQ(a.stats.bytes_from_cache_server, b.stats.bytes_from_cache_server);
  EXPECT_EQ(a.stats.bytes_to_peers, b.stats.bytes_to_peers);
  EXPECT_EQ(a.stats.http_connections, b.stats.http_connections);
  EXPECT_EQ(a.stats.lan_connections, b.stats.lan_connections);
  EXPECT_EQ(a.stats.group_connections, b.stats.group_connections);
  EXPECT_EQ(a.stats.duration, b.stats.duration);
  EXPECT_EQ(a.stats.background, b.stats.background);
  EXPECT_EQ(a.stats.bytes_from_internet_peers, b.stats.bytes_from_internet_peers);
  EXPECT_EQ(a.stats.bytes_to_lan_peers, b.stats.bytes_to_lan_peers);
  EXPECT_EQ(a.stats.bytes_to_group_peers, b.stats.bytes_to_group_peers);
  EXPECT_EQ(a.stats.bytes_to_internet_peers, b.stats.bytes_to_internet_peers);
  EXPECT_EQ(a.stats.internet_connections, b.stats.internet_connections);
  EXPECT_EQ(a.stats.cache_server_connections, b.stats.cache_server_connections);
  EXPECT_EQ(a.stats.download_mode, b.stats.download_mode);
  EXPECT_EQ(a.counted_bytes, b.counted_bytes);
  EXPECT_EQ(a.resume_data, b.resume_data);
  EXPECT_EQ(a.content_id, b.content_id);
}

void ExpectJobEq(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.owner_uid, b.owner_uid);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.notify_flags, b.notify_flags);
  EXPECT_EQ(a.notify_program, b.notify_program);
  EXPECT_EQ(a.notify_parameters, b.notify_parameters);
  EXPECT_EQ(a.min_retry_delay_s, b.min_retry_delay_s);
  EXPECT_EQ(a.no_progress_timeout_s, b.no_progress_timeout_s);
  EXPECT_EQ(a.no_progress_timeout_set, b.no_progress_timeout_set);
  EXPECT_EQ(a.cost_policy, b.cost_policy);
  EXPECT_EQ(a.proxy_usage, b.proxy_usage);
  EXPECT_EQ(a.proxy_list, b.proxy_list);
  EXPECT_EQ(a.proxy_bypass, b.proxy_bypass);
  EXPECT_EQ(a.custom_headers, b.custom_headers);
  EXPECT_EQ(a.max_rate, b.max_rate);
  EXPECT_EQ(a.allow_https_to_http, b.allow_https_to_http);
  EXPECT_EQ(a.security_flags, b.security_flags);
  EXPECT_EQ(a.download_mode, b.download_mode);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.error_count, b.error_count);
  ASSERT_EQ(a.error.has_value(), b.error.has_value());
  if (a.error) {
    EXPECT_EQ(a.error->code, b.error->code);
    EXPECT_EQ(a.error->context, b.error->context);
    EXPECT_EQ(a.error->file_index, b.error->file_index);
    EXPECT_EQ(a.error->message, b.error->message);
    EXPECT_EQ(a.error->protocol, b.error->protocol);
  }
  EXPECT_EQ(a.creation, b.creation);
  EXPECT_EQ(a.modification, b.modification);
  EXPECT_EQ(a.transfer_completion, b.transfer_completion);
  EXPECT_EQ(a.retry_at, b.retry_at);
  EXPECT_EQ(a.last_progress, b.last_progress);
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) ExpectFileEq(a.files[i], b.files[i]);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class JobStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteJobStore> OpenStore() {
    auto s = SqliteJobStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  Status Put(SqliteJobStore& s, std::vector<const JobRecord*> put, std::vector<Guid> remove = {},
             std::vector<HistoryRecord> history = {}) {
    std::vector<core::JobWrite> writes;
    for (const JobRecord* r : put) writes.push_back({r, true, r->files});
    return s.Commit(writes, remove, history);
  }

  TempDir dir_;
  std::string path_ = dir_.Path("jobs.db");
};

TEST_F(JobStoreTest, EveryFieldRoundTripsAcrossReopen) {
  JobRecord full = FullJob(1);
  JobRecord plain;  // defaults, no error, no files
  plain.id = Id(2);
  plain.creation = At(1800000000000000001);
  {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    ASSERT_TRUE(Put(*s, {&full, &plain}).ok());
  }
  auto s = OpenStore();
  ASSERT_TRUE(s);
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 2u);
  // Oldest creation first: `full` was created earlier.
  ExpectJobEq(jobs[0], full);
  ExpectJobEq(jobs[1], plain);
  EXPECT_EQ(jobs[1].files.size(), 0u);
}

TEST_F(JobStoreTest, PutReplacesJobAndFiles) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  JobRecord j = FullJob(3);
  ASSERT_TRUE(Put(*s, {&j}).ok());
  j.files.resize(1);
  j.files[0].ranges.clear();
  j.display_name = "renamed";
  j.error.reset();
  ASSERT_TRUE(Put(*s, {&j}).ok());
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  ExpectJobEq(jobs[0], j);
}

TEST_F(JobStoreTest, PartialWriteUpsertsOnlyTheGivenFiles) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  JobRecord j = FullJob(4);
  j.files = {FullFile(0), FullFile(1), FullFile(2)};
  ASSERT_TRUE(Put(*s, {&j}).ok());
  JobRecord stored = j;
  // The job's fields and file 1 change; what the write carries of file 1 is
  // all the store may change. Files 0 and 2 change in memory only.
  j.display_name = "renamed";
  j.files[0].etag = "not written";
  j.files[1].bytes_transferred = 99;
  j.files[1].etag = "\"v2\"";
  j.files[2].delivered = false;
  std::vector<core::JobWrite> w{{&j, false, {j.files[1]}}};
  ASSERT_TRUE(s->Commit(w, {}, {}).ok());
  stored.display_name = "renamed";
  stored.files[1] = j.files[1];
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  ExpectJobEq(jobs[0], stored);

  // A new index is inserted; replace_files drops the rows not written.
  FileRecord f3 = FullFile(3);
  w = {{&j, false, {f3}}};
  ASSERT_TRUE(s->Commit(w, {}, {}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs[0].files.size(), 4u);
  ExpectFileEq(jobs[0].files[3], f3);
  w = {{&j, true, {j.files[0]}}};
  ASSERT_TRUE(s->Commit(w, {}, {}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs[0].files.size(), 1u);
  ExpectFileEq(jobs[0].files[0], j.files[0]);
}

TEST_F(JobStoreTest, StatisticsStartAtZeroAndCommitWithTheBatch) {
  ServiceStatistics st;
  st.month = 202612;
  st.this_month.bytes_from_http = 5;
  st.this_month.total_bytes_downloaded = 5;
  st.this_month.downloads = 1;
  st.all_time.bytes_from_http = UINT64_MAX - 1;
  st.all_time.bytes_to_internet_peers = 7;
  st.all_time.uploads = 3;
  {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    ServiceStatistics fresh;
    ASSERT_TRUE(s->LoadStatistics(&fresh).ok());
    EXPECT_EQ(fresh, ServiceStatistics{});
    JobRecord j = FullJob(9);
    std::vector<core::JobWrite> w{{&j, true, j.files}};
    ASSERT_TRUE(s->Commit(w, {}, {}, &st).ok());
    std::vector<Guid> missing{Id(42)};
    ASSERT_TRUE(s->Commit({}, missing, {}).ok()) << "without statistics they stay";
  }
  auto s = OpenStore();
  ASSERT_TRUE(s);
  ServiceStatistics got;
  ASSERT_TRUE(s->LoadStatistics(&got).ok());
  EXPECT_EQ(got, st);
}

TEST_F(JobStoreTest, RemoveAndHistory) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  JobRecord a = FullJob(4), b = FullJob(5);
  ASSERT_TRUE(Put(*s, {&a, &b}).ok());
  HistoryRecord h{a.id, 1000, "gone", JobState::kCancelled, code::kJobTooOld, At(42)};
  ASSERT_TRUE(Put(*s, {}, {a.id, Id(99)}, {h}).ok());  // removing a missing id is fine
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, b.id);
  s.reset();
  s = OpenStore();
  auto hist = s->LoadHistory();
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ((*hist)[0].id, h.id);
  EXPECT_EQ((*hist)[0].owner_uid, h.owner_uid);
  EXPECT_EQ((*hist)[0].display_name, h.display_name);
  EXPECT_EQ((*hist)[0].final_state, h.final_state);
  EXPECT_EQ((*hist)[0].reason, h.reason);
  EXPECT_EQ((*hist)[0].when, h.when);
  // The removed job's files went with it.
  auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("SELECT count(*) FROM files"), 3);
}

TEST_F(JobStoreTest, LoadAllSkipsFinalJobs) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  JobRecord live = FullJob(6), acked = FullJob(7), cancelled = FullJob(8);
  acked.state = JobState::kAcknowledged;
  cancelled.state = JobState::kCancelled;
  ASSERT_TRUE(Put(*s, {&live, &acked, &cancelled}).ok());
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, live.id);
}

TEST_F(JobStoreTest, FailedBatchAppliesNothing) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  JobRecord keep = FullJob(9);
  ASSERT_TRUE(Put(*s, {&keep}).ok());

  JobRecord fresh = FullJob(10);
  JobRecord changed = keep;
  changed.display_name = "changed";
  JobRecord bad = FullJob(11);
  bad.display_name = "boom";  // the trigger below makes its insert fail
  {
    auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("CREATE TRIGGER boom BEFORE INSERT ON jobs WHEN NEW.display_name = 'boom' "
                            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
                    .ok());
  }
  HistoryRecord h{keep.id, 1, "h", JobState::kAcknowledged, 0, At(1)};
  Status st = Put(*s, {&fresh, &changed, &bad}, {keep.id}, {h});
  EXPECT_FALSE(st.ok());

  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  ExpectJobEq(jobs[0], keep);
  EXPECT_TRUE(s->LoadHistory()->empty());

  // The store is still usable after the failed batch.
  ASSERT_TRUE(Put(*s, {&fresh}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  EXPECT_EQ(jobs.size(), 2u);
}

TEST_F(JobStoreTest, Meta) {
  {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(*s->GetMeta("boot_id"), "");
    ASSERT_TRUE(s->SetMeta("boot_id", "one").ok());
    ASSERT_TRUE(s->SetMeta("boot_id", "two").ok());
    ASSERT_TRUE(s->SetMeta("other", "").ok());
  }
  auto s = OpenStore();
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->GetMeta("boot_id"), "two");
  EXPECT_EQ(*s->GetMeta("other"), "");
}

TEST_F(JobStoreTest, SchemaAndPragmas) {
  { ASSERT_TRUE(OpenStore()); }
  auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
}

constexpr char kOldRows4[] = R"sql(
  INSERT INTO jobs (id, type, owner_uid, display_name, description, priority, notify_flags,
    notify_program, notify_parameters, min_retry_delay_s, no_progress_timeout_s,
    no_progress_timeout_set, cost_policy, proxy_usage, proxy_list, proxy_bypass,
    custom_headers, state, error_count, creation_ns, modification_ns, transfer_completion_ns,
    retry_at_ns, last_progress_ns, max_rate)
  VALUES (x'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 1000, 'old job', '', 2, 3, '', '', 600, 86400,
    0, 0, 0, '', '', '', 1, 0, 1, 2, 0, 0, 0, 7);
  INSERT INTO files (job_id, idx, remote_url, local_name, file_id, ranges, expected_size,
    sha256, bytes_total, bytes_transferred, transferred, delivered, etag, last_modified,
    validation_retries, stat_file_size, stat_total_bytes_downloaded, stat_bytes_from_http,
    stat_bytes_from_lan_peers, stat_bytes_from_group_peers, stat_bytes_from_cache_server,
    stat_bytes_to_peers, stat_http_connections, stat_lan_connections, stat_group_connections,
    stat_duration_ns, stat_background)
  VALUES (x'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 'https://example.com/old', '/tmp/old', '', '',
    -1, '', 100, 40, 0, 0, '"e1"', 'lm', 0, 0, 40, 40, 0, 0, 0, 0, 1, 0, 0, 5, 1);)sql";

// A store at schema `version` holding the old job of kOldRows4 (a job and a
// file as ferry of schema version 4 wrote them) and then `more` SQL.
void WriteOldStore(const std::string& path, int64_t version, const char* more) {
  auto db =
      sqlite::Database::Open(path, sqlite::open_flags::kReadWrite | sqlite::open_flags::kCreate);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("BEGIN").ok());
  ASSERT_TRUE(MigrateTo(**db, 0, version).ok());
  ASSERT_TRUE((*db)->Exec("COMMIT").ok());
  ASSERT_EQ(*(*db)->QueryInt64("PRAGMA user_version"), version);
  ASSERT_TRUE((*db)->Exec(kOldRows4).ok());
  if (*more) {
    ASSERT_TRUE((*db)->Exec(more).ok());
  }
}

// A store written by the previous version (4, before resume_data) opens,
// is upgraded in place, and keeps every row as it was.
TEST_F(JobStoreTest, OpensVersion4StoreAndUpgradesItInPlace) {
  WriteOldStore(path_, 4, "");
  auto s = OpenStore();
  ASSERT_TRUE(s);
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].display_name, "old job");
  EXPECT_EQ(jobs[0].max_rate, 7u);
  ASSERT_EQ(jobs[0].files.size(), 1u);
  const FileRecord& f = jobs[0].files[0];
  EXPECT_EQ(f.remote_url, "https://example.com/old");
  EXPECT_EQ(f.bytes_total, 100u);
  EXPECT_EQ(f.bytes_transferred, 40u);
  EXPECT_EQ(f.etag, "\"e1\"");
  EXPECT_EQ(f.last_modified, "lm");
  EXPECT_EQ(f.stats.bytes_from_http, 40u);
  EXPECT_EQ(f.resume_data, "");

  // The upgraded store keeps resume data like any other field.
  JobRecord changed = jobs[0];
  changed.files[0].resume_data = std::string("r\0d", 3);
  ASSERT_TRUE(Put(*s, {&changed}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].files[0].resume_data, std::string("r\0d", 3));
  auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("PRAGMA user_version"), kSchemaVersion);
}

// A store of schema version 5 (before content ids) opens, is upgraded in
// place, keeps its rows (resume data included), and its files have no id.
TEST_F(JobStoreTest, OpensVersion5StoreAndUpgradesItInPlace) {
  WriteOldStore(path_, 5, "UPDATE files SET resume_data = x'0100ff';");
  auto s = OpenStore();
  ASSERT_TRUE(s);
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_EQ(jobs[0].files.size(), 1u);
  EXPECT_EQ(jobs[0].files[0].bytes_transferred, 40u);
  EXPECT_EQ(jobs[0].files[0].resume_data, std::string("\x01\x00\xff", 3));
  EXPECT_EQ(jobs[0].files[0].content_id, "");

  // The upgraded store keeps a content id like any other field.
  JobRecord changed = jobs[0];
  changed.files[0].content_id = "cid1-0-" + std::string(64, '0') + "-00000000";
  ASSERT_TRUE(Put(*s, {&changed}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].files[0].content_id, changed.files[0].content_id);
  auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("PRAGMA user_version"), kSchemaVersion);
}

// A store of schema version 7 (before per-job download modes) opens, is
// upgraded in place, keeps its rows, and its jobs have no mode of their own;
// HTTP only (0) is kept as a mode, distinct from none.
TEST_F(JobStoreTest, OpensVersion7StoreAndUpgradesItInPlace) {
  WriteOldStore(path_, 7, "UPDATE files SET content_id = 'cid';");
  auto s = OpenStore();
  ASSERT_TRUE(s);
  std::vector<JobRecord> jobs;
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].display_name, "old job");
  EXPECT_EQ(jobs[0].download_mode, std::nullopt);
  ASSERT_EQ(jobs[0].files.size(), 1u);
  EXPECT_EQ(jobs[0].files[0].content_id, "cid");

  JobRecord changed = jobs[0];
  changed.download_mode = DownloadMode::kHttpOnly;
  ASSERT_TRUE(Put(*s, {&changed}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].download_mode, DownloadMode::kHttpOnly);
  changed.download_mode.reset();
  ASSERT_TRUE(Put(*s, {&changed}).ok());
  ASSERT_TRUE(s->LoadAll(&jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].download_mode, std::nullopt);
  auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("PRAGMA user_version"), kSchemaVersion);
}

// A stored download mode that is not one of the six is a corrupt row.
TEST_F(JobStoreTest, AnUnknownDownloadModeIsACorruptRow) {
  WriteOldStore(path_, kSchemaVersion, "UPDATE jobs SET download_mode = 4;");
  auto s = OpenStore();
  ASSERT_TRUE(s);
  std::vector<JobRecord> jobs;
  Status st = s->LoadAll(&jobs);
  EXPECT_EQ(st.code(), kCodeDatabaseCorrupt) << st.ToString();
  EXPECT_NE(st.message().find("download_mode"), std::string::npos) << st.message();
}

TEST_F(JobStoreTest, NewerSchemaIsRefusedAndUntouched) {
  {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->SetMeta("k", "v").ok());
  }
  {
    auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1) +
                            "; PRAGMA wal_checkpoint(TRUNCATE);")
                    .ok());
  }
  std::string before = Slurp(path_);
  auto s = SqliteJobStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), kCodeDatabaseTooNew);
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().message();
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(JobStoreTest, GarbageFileIsRefusedAndUntouched) {
  {
    std::ofstream out(path_, std::ios::binary);
    for (int i = 0; i < 300; ++i) out << "definitely not sqlite ";
  }
  std::string before = Slurp(path_);
  auto s = SqliteJobStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), kCodeDatabaseCorrupt) << s.status().ToString();
  EXPECT_EQ(Slurp(path_), before);
}

TEST_F(JobStoreTest, DamagedPagesAreRefused) {
  {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    std::vector<JobRecord> many;
    for (uint8_t i = 0; i < 40; ++i) many.push_back(FullJob(i));
    std::vector<const JobRecord*> ptrs;
    for (auto& j : many) ptrs.push_back(&j);
    ASSERT_TRUE(Put(*s, ptrs).ok());
  }
  {
    // Fold the WAL back into the main file, then scribble over every page
    // but the first (which holds the header and the schema).
    auto db = sqlite::Database::Open(path_, sqlite::open_flags::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;").ok());
  }
  std::string bytes = Slurp(path_);
  ASSERT_GT(bytes.size(), 8192u);
  for (size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto s = SqliteJobStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), kCodeDatabaseCorrupt) << s.status().ToString();
  EXPECT_EQ(Slurp(path_), bytes);
}

TEST_F(JobStoreTest, MissingDirectoryFails) {
  auto s = SqliteJobStore::Open(dir_.Path("no/such/dir/jobs.db"));
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace ferry::store
