#include "store/download_store_sqlite.h"

#include <cstring>

#include "core/download_properties.h"
#include "lib/sqlite/database.h"
#include "lib/sqlite/statement.h"
#include "lib/sqlite/transaction.h"

namespace ferry::store {

struct SqliteDownloadStore::Statements {
  sqlite::Statement upsert_, delete_, delete_props_, insert_prop_, select_, select_props_;
};

SqliteDownloadStore::SqliteDownloadStore(sqlite::Database& db, std::unique_ptr<Statements> s)
    : db_(db), s_(std::move(s)) {}
SqliteDownloadStore::~SqliteDownloadStore() = default;

namespace {

std::span<const std::byte> IdBytes(const Guid& id) {
  return std::as_bytes(std::span<const uint8_t>(id.bytes));
}

Status Prepare(sqlite::Database& db, std::string_view sql, sqlite::Statement* out) {
  auto s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  *out = std::move(s).value();
  return Status::OK();
}

void BindValue(sqlite::Statement& st, int index, const core::DownloadValue& v) {
  if (const auto* s = std::get_if<std::string>(&v))
    st.BindText(index, *s);
  else if (const auto* b = std::get_if<bool>(&v))
    st.BindInt64(index, *b ? 1 : 0);
  else if (const auto* u = std::get_if<uint32_t>(&v))
    st.BindInt64(index, *u);
  else if (const auto* w = std::get_if<uint64_t>(&v))
    st.BindInt64(index, static_cast<int64_t>(*w));
  else
    st.BindNull(index);
}

// The value of `prop` in column `col`, typed by the property table.
core::DownloadValue ReadValue(const sqlite::Statement& st, int col, uint32_t prop) {
  const core::PropSpec* spec = core::FindPropSpec(prop);
  if (!spec || st.ColumnIsNull(col)) return {};
  switch (spec->kind) {
    case core::PropKind::kString:
    case core::PropKind::kBytes:
      return st.ColumnText(col);
    case core::PropKind::kUint32:
      return static_cast<uint32_t>(st.ColumnInt64(col));
    case core::PropKind::kUint64:
      return static_cast<uint64_t>(st.ColumnInt64(col));
    case core::PropKind::kBool:
    case core::PropKind::kStream:
      return st.ColumnInt64(col) != 0;
    case core::PropKind::kCallback:
      return {};
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteDownloadStore>> SqliteDownloadStore::Open(sqlite::Database& db) {
  auto s = std::make_unique<Statements>();
  for (auto [sql, out] : {
           std::pair{"INSERT INTO downloads (id, owner_uid, started) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (id) DO UPDATE SET owner_uid = excluded.owner_uid, "
                     "started = excluded.started",
                     &s->upsert_},
           std::pair{"DELETE FROM downloads WHERE id = ?1", &s->delete_},
           std::pair{"DELETE FROM download_properties WHERE download_id = ?1", &s->delete_props_},
           std::pair{
               "INSERT INTO download_properties (download_id, prop, value) VALUES (?1, ?2, ?3)",
               &s->insert_prop_},
           std::pair{"SELECT id, owner_uid, started FROM downloads ORDER BY rowid", &s->select_},
           std::pair{"SELECT prop, value FROM download_properties WHERE download_id = ?1",
                     &s->select_props_},
       }) {
    if (Status st = Prepare(db, sql, out); !st.ok()) return st;
  }
  return std::unique_ptr<SqliteDownloadStore>(new SqliteDownloadStore(db, std::move(s)));
}

Status SqliteDownloadStore::LoadDownloads(std::vector<core::DownloadRecord>* out) {
  out->clear();
  for (;;) {
    Result<bool> row = s_->select_.Step();
    if (!row.ok()) {
      s_->select_.Reset();
      return row.status();
    }
    if (!*row) break;
    core::DownloadRecord r;
    std::vector<std::byte> id = s_->select_.ColumnBlob(0);
    if (id.size() != sizeof(r.id.bytes)) continue;
    std::memcpy(r.id.bytes.data(), id.data(), id.size());
    r.owner_uid = static_cast<uint32_t>(s_->select_.ColumnInt64(1));
    r.started = s_->select_.ColumnInt64(2) != 0;
    out->push_back(std::move(r));
  }
  s_->select_.Reset();
  for (auto& r : *out) {
    s_->select_props_.BindBlob(1, IdBytes(r.id));
    for (;;) {
      Result<bool> row = s_->select_props_.Step();
      if (!row.ok()) {
        s_->select_props_.Reset();
        return row.status();
      }
      if (!*row) break;
      uint32_t prop = static_cast<uint32_t>(s_->select_props_.ColumnInt64(0));
      r.props[prop] = ReadValue(s_->select_props_, 1, prop);
    }
    s_->select_props_.Reset();
  }
  return Status::OK();
}

Status SqliteDownloadStore::PutDownload(const core::DownloadRecord& r) {
  auto tx = sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate);
  if (!tx.ok()) return tx.status();
  s_->upsert_.BindBlob(1, IdBytes(r.id)).BindInt64(2, r.owner_uid).BindInt64(3, r.started ? 1 : 0);
  if (Status s = s_->upsert_.Run(); !s.ok()) return s;
  s_->delete_props_.BindBlob(1, IdBytes(r.id));
  if (Status s = s_->delete_props_.Run(); !s.ok()) return s;
  for (const auto& [prop, value] : r.props) {
    s_->insert_prop_.BindBlob(1, IdBytes(r.id)).BindInt64(2, prop);
    BindValue(s_->insert_prop_, 3, value);
    if (Status s = s_->insert_prop_.Run(); !s.ok()) return s;
  }
  return tx->Commit();
}

Status SqliteDownloadStore::RemoveDownload(const Guid& id) {
  s_->delete_.BindBlob(1, IdBytes(id));
  return s_->delete_.Run();
}

}  // namespace ferry::store
