#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/sqlite/database.h"
#include "lib/sqlite/error.h"
#include "lib/sqlite/statement.h"
#include "lib/sqlite/transaction.h"
#include "support/temp_dir.h"

namespace ferry::sqlite {
namespace {

using ferry::test::TempDir;

std::unique_ptr<Database> Memory() {
  auto db = Database::Open(":memory:", open_flags::kReadWrite | open_flags::kCreate);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(SqliteTest, ExecBindStepColumns) {
  auto db = Memory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n)").ok());
  auto ins = db->Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4)");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  std::vector<std::byte> blob = {std::byte{0}, std::byte{1}, std::byte{0xFF}};
  std::string text("a\0b", 3);  // embedded NUL survives
  ins->BindInt64(1, INT64_MIN).BindText(2, text).BindBlob(3, blob).BindNull(4);
  ASSERT_TRUE(ins->Run().ok());
  EXPECT_EQ(db->Changes(), 1);
  EXPECT_EQ(db->LastInsertRowId(), 1);
  ins->BindInt64(1, 7).BindText(2, "").BindBlob(3, {}).BindInt64(4, 1);
  ASSERT_TRUE(ins->Run().ok());

  auto sel = db->Prepare("SELECT i, s, b, n, typeof(s), typeof(b) FROM t ORDER BY rowid");
  ASSERT_TRUE(sel.ok());
  auto row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnCount(), 6);
  EXPECT_EQ(sel->ColumnInt64(0), INT64_MIN);
  EXPECT_EQ(sel->ColumnText(1), text);
  EXPECT_EQ(sel->ColumnBlob(2), blob);
  EXPECT_TRUE(sel->ColumnIsNull(3));
  row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnText(1), "");
  EXPECT_EQ(sel->ColumnText(4), "text");  // "" is not NULL
  EXPECT_EQ(sel->ColumnText(5), "blob");  // empty blob is not NULL
  EXPECT_TRUE(sel->ColumnBlob(2).empty());
  row = sel->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
  sel->Reset();
  row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);  // rewound
}

TEST(SqliteTest, QueryHelpers) {
  auto db = Memory();
  ASSERT_TRUE(db->Exec("PRAGMA user_version = 42").ok());
  auto v = db->QueryInt64("PRAGMA user_version");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  auto t = db->QueryText("SELECT 'x' || 'y'");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "xy");
  EXPECT_FALSE(db->QueryInt64("SELECT 1 WHERE 0").ok());
}

TEST(SqliteTest, ErrorsAreStatus) {
  auto db = Memory();
  auto bad = db->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), code::kUnexpected);
  EXPECT_NE(bad.status().message().find("syntax"), std::string::npos) << bad.status().message();

  ASSERT_TRUE(db->Exec("CREATE TABLE u(k INTEGER PRIMARY KEY)").ok());
  EXPECT_FALSE(db->Exec("CREATE TABLE u(k)").ok());
  auto ins = db->Prepare("INSERT INTO u VALUES(?)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->BindInt64(1, 1).Run().ok());
  EXPECT_FALSE(ins->BindInt64(1, 1).Run().ok());  // constraint
  ins->BindInt64(5, 1);                           // bad index kept for Step
  EXPECT_FALSE(ins->Step().ok());
  ins->Reset();
  EXPECT_TRUE(ins->BindInt64(1, 2).Run().ok());  // Reset cleared the bind error
}

TEST(SqliteTest, TransactionCommitAndRollback) {
  auto db = Memory();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
    EXPECT_FALSE(db->InAutocommit());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(1)").ok());
    EXPECT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Transaction::Begin(*db, Transaction::Mode::kDeferred);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(2)").ok());
  }  // rolled back
  EXPECT_TRUE(db->InAutocommit());
  EXPECT_EQ(*db->QueryInt64("SELECT count(*) FROM t"), 1);
}

TEST(SqliteTest, FileDatabaseAndCorruption) {
  TempDir dir;
  std::string path = dir.Path("x.db");
  EXPECT_FALSE(Database::Open(path, open_flags::kReadWrite).ok());  // no create flag
  {
    auto db = Database::Open(path, open_flags::kReadWrite | open_flags::kCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->SetBusyTimeout(std::chrono::milliseconds(100)).ok());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x); INSERT INTO t VALUES(5);").ok());
  }
  {
    auto db = Database::Open(path, open_flags::kReadOnly);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(*(*db)->QueryInt64("SELECT x FROM t"), 5);
    EXPECT_FALSE((*db)->Exec("INSERT INTO t VALUES(6)").ok());
  }
  std::string junk = dir.Path("junk.db");
  FILE* f = fopen(junk.c_str(), "w");
  ASSERT_NE(f, nullptr);
  for (int i = 0; i < 200; ++i) fputs("this is not an sqlite database at all. ", f);
  fclose(f);
  auto db = Database::Open(junk, open_flags::kReadWrite);
  ASSERT_TRUE(db.ok());  // opening does not read
  auto v = (*db)->QueryInt64("PRAGMA user_version");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kCodeCorrupt);
}

}  // namespace
}  // namespace ferry::sqlite
