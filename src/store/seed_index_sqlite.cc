#include "store/seed_index_sqlite.h"

#include "lib/sqlite/database.h"
#include "lib/sqlite/statement.h"

namespace ferry::store {

struct SqliteSeedIndex::Statements {
  sqlite::Statement upsert, remove, select;
};

SqliteSeedIndex::SqliteSeedIndex(std::unique_ptr<Statements> s) : s_(std::move(s)) {}
SqliteSeedIndex::~SqliteSeedIndex() = default;

namespace {

using Clock = std::chrono::system_clock;

int64_t Ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Clock::time_point FromNs(int64_t ns) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

std::string Text(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

Result<std::unique_ptr<SqliteSeedIndex>> SqliteSeedIndex::Open(sqlite::Database& db) {
  auto s = std::make_unique<Statements>();
  for (auto [sql, out] : {
           std::pair{"INSERT OR REPLACE INTO seed_cache (key, info_hash_v1, info_hash_v2, name, "
                     "size, path, torrent, created_ns, last_used_ns, uploaded) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                     &s->upsert},
           std::pair{"DELETE FROM seed_cache WHERE key = ?1", &s->remove},
           std::pair{"SELECT key, info_hash_v1, info_hash_v2, name, size, path, torrent, "
                     "created_ns, last_used_ns, uploaded FROM seed_cache ORDER BY created_ns",
                     &s->select},
       }) {
    auto st = db.Prepare(sql);
    if (!st.ok()) return st.status();
    *out = std::move(st).value();
  }
  return std::unique_ptr<SqliteSeedIndex>(new SqliteSeedIndex(std::move(s)));
}

Status SqliteSeedIndex::LoadSeeds(std::vector<core::SeedRecord>* out) {
  out->clear();
  sqlite::Statement& q = s_->select;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row.ok()) {
      q.Reset();
      return row.status();
    }
    if (!*row) break;
    core::SeedRecord r;
    r.key = q.ColumnText(0);
    r.entry.info_hash_v1 = q.ColumnText(1);
    r.entry.info_hash_v2 = q.ColumnText(2);
    r.entry.name = q.ColumnText(3);
    r.entry.size_bytes = static_cast<uint64_t>(q.ColumnInt64(4));
    r.path = q.ColumnText(5);
    r.torrent = Text(q.ColumnBlob(6));
    r.entry.created = FromNs(q.ColumnInt64(7));
    r.entry.last_used = FromNs(q.ColumnInt64(8));
    r.entry.bytes_uploaded = static_cast<uint64_t>(q.ColumnInt64(9));
    r.entry.content = r.entry.info_hash_v1.empty() ? "btmh:1220" + r.entry.info_hash_v2
                                                   : "btih:" + r.entry.info_hash_v1;
    out->push_back(std::move(r));
  }
  q.Reset();
  return Status::OK();
}

Status SqliteSeedIndex::PutSeed(const core::SeedRecord& r) {
  const CacheEntry& e = r.entry;
  s_->upsert.BindText(1, r.key)
      .BindText(2, e.info_hash_v1)
      .BindText(3, e.info_hash_v2)
      .BindText(4, e.name)
      .BindInt64(5, static_cast<int64_t>(e.size_bytes))
      .BindText(6, r.path)
      .BindBlob(7, std::as_bytes(std::span<const char>(r.torrent)))
      .BindInt64(8, Ns(e.created))
      .BindInt64(9, Ns(e.last_used))
      .BindInt64(10, static_cast<int64_t>(e.bytes_uploaded));
  return s_->upsert.Run();
}

Status SqliteSeedIndex::RemoveSeed(const std::string& key) {
  s_->remove.BindText(1, key);
  return s_->remove.Run();
}

}  // namespace ferry::store
