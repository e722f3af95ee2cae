#include "store/download_store_sqlite.h"

#include <cstring>

#include "core/download_properties.h"
#include "lib/sqlite/database.h"
#include "lib/sqlite/transaction.h"

namespace ferry::store {
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
  std::unique_ptr<SqliteDownloadStore> s(new SqliteDownloadStore(db));
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
  return s;
}

Status SqliteDownloadStore::LoadDownloads(std::vector<core::DownloadRecord>* out) {
  out->clear();
  for (;;) {
    Result<bool> row = select_.Step();
    if (!row.ok()) {
      select_.Reset();
      return row.status();
    }
    if (!*row) break;
    core::DownloadRecord r;
    std::vector<std::byte> id = select_.ColumnBlob(0);
    if (id.size() != sizeof(r.id.bytes)) continue;
    std::memcpy(r.id.bytes.data(), id.data(), id.size());
    r.owner_uid = static_cast<uint32_t>(select_.ColumnInt64(1));
    r.started = select_.ColumnInt64(2) != 0;
    out->push_back(std::move(r));
  }
  select_.Reset();
  for (auto& r : *out) {
    select_props_.BindBlob(1, IdBytes(r.id));
    for (;;) {
      Result<bool> row = select_props_.Step();
      if (!row.ok()) {
        select_props_.Reset();
        return row.status();
      }
      if (!*row) break;
      uint32_t prop = static_cast<uint32_t>(select_props_.ColumnInt64(0));
      r.props[prop] = ReadValue(select_props_, 1, prop);
    }
    select_props_.Reset();
  }
  return Status::OK();
}

Status SqliteDownloadStore::PutDownload(const core::DownloadRecord& r) {
  auto tx = sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate);
  if (!tx.ok()) return tx.status();
  upsert_.BindBlob(1, IdBytes(r.id)).BindInt64(2, r.owner_uid).BindInt64(3, r.started ? 1 : 0);
  if (Status s = upsert_.Run(); !s.ok()) return s;
  delete_props_.BindBlob(1, IdBytes(r.id));
  if (Status s = delete_props_.Run(); !s.ok()) return s;
  for (const auto& [prop, value] : r.props) {
    insert_prop_.BindBlob(1, IdBytes(r.id)).BindInt64(2, prop);
    BindValue(insert_prop_, 3, value);
    if (Status s = insert_prop_.Run(); !s.ok()) return s;
  }
  return tx->Commit();
}

Status SqliteDownloadStore::RemoveDownload(const Guid& id) {
  delete_.BindBlob(1, IdBytes(id));
  return delete_.Run();
}

}  // namespace ferry::store
