#include "support/fault_fs.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  std::string P(std::string_view rel) const { return dir_.Path(rel); }
  std::string Contents(std::string_view rel) const { return ReadFile(P(rel)).value_or("<missing>"); }
  bool Exists(std::string_view rel) const { return std::filesystem::exists(P(rel)); }

  // Opens for writing through the wrapper; fails the test on error.
  std::unique_ptr<sys::File> OpenW(std::string_view rel,
                                   sys::OpenMode mode = sys::OpenMode::kReadWrite) {
    auto f = fs_.Open(P(rel), mode);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(f).value() : nullptr;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{sys::DefaultFileSystem()};
};

TEST_F(FaultFsTest, CountsMutatingOperationsOnly) {
  auto f = OpenW("a");                                    // 1
  ASSERT_TRUE(f->Write(0, Bytes("hello")).ok());          // 2
  ASSERT_TRUE(f->Preallocate(0, 100).ok());               // 3
  ASSERT_TRUE(f->Sync().ok());                            // 4
  ASSERT_TRUE(f->Truncate(4).ok());                       // 5
  std::string buf(4, '\0');
  ASSERT_TRUE(f->Read(0, std::as_writable_bytes(std::span(buf.data(), 4))).ok());
  ASSERT_TRUE(f->Size().ok());
  ASSERT_TRUE(fs_.Stat(P("a")).ok());
  ASSERT_TRUE(fs_.ListDir(dir_.path()).ok());
  auto r = fs_.Open(P("a"), sys::OpenMode::kRead);        // not counted
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(fs_.operation_count(), 5u);
  auto g = OpenW("b", sys::OpenMode::kTruncate);          // 6
  ASSERT_TRUE(fs_.Copy(**r, *g, 4).ok());                 // 7
  ASSERT_TRUE(fs_.CreateDirs(P("d/e")).ok());             // 8
  ASSERT_TRUE(fs_.Rename(P("b"), P("d/b")).ok());         // 9
  ASSERT_TRUE(fs_.SyncDir(P("d")).ok());                  // 10
  ASSERT_TRUE(fs_.Remove(P("d/b")).ok());                 // 11
  ASSERT_TRUE(fs_.RemoveDir(P("d/e")).ok());              // 12
  EXPECT_EQ(fs_.operation_count(), 12u);
  EXPECT_EQ(Contents("a"), "hell");
  fs_.Reset();
  EXPECT_EQ(fs_.operation_count(), 0u);
}

TEST_F(FaultFsTest, FailAfterNFailsThatOperationAndAllLater) {
  fs_.FailAfter(2);
  auto f = OpenW("a");                                    // 1 ok
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->Write(0, Bytes("abc")).ok());            // 2 ok
  Status s = f->Sync();                                   // 3 fails
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), CodeFromErrno(EIO));
  EXPECT_NE(s.message().find("injected sync"), std::string::npos) << s.message();
  EXPECT_FALSE(f->Write(3, Bytes("def")).ok());           // 4 fails, no effect
  EXPECT_FALSE(fs_.Rename(P("a"), P("b")).ok());          // 5 fails, no effect
  EXPECT_EQ(fs_.operation_count(), 5u);
  EXPECT_EQ(fs_.injected_failures(), 3u);
  EXPECT_EQ(Contents("a"), "abc");
  EXPECT_FALSE(Exists("b"));
  fs_.Reset();
  EXPECT_TRUE(f->Sync().ok());
}

TEST_F(FaultFsTest, EnospcSimulatesAFullDisk) {
  fs_.FailAfter(0, ENOSPC);
  auto f = fs_.Open(P("a"), sys::OpenMode::kReadWrite);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), code::FromWin32(0x70));  // ERROR_DISK_FULL
  EXPECT_FALSE(Exists("a"));
}

TEST_F(FaultFsTest, FailNthFailsOnlyThatOne) {
  fs_.FailNth(2);
  auto f = OpenW("a");
  EXPECT_FALSE(f->Write(0, Bytes("x")).ok());
  EXPECT_TRUE(f->Write(0, Bytes("y")).ok());
  EXPECT_EQ(Contents("a"), "y");
}

TEST_F(FaultFsTest, DropKeepsOnlySyncedBytes) {
  {
    auto f = OpenW("a");
    ASSERT_TRUE(f->Write(0, Bytes("synced-")).ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Write(7, Bytes("lost")).ok());
  }
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  EXPECT_EQ(Contents("a"), "synced-lost");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "synced-");
}

TEST_F(FaultFsTest, DropUndoesOverwritesAndTruncationOfSyncedBytes) {
  ASSERT_TRUE(WriteFile(P("a"), "0123456789"));  // pre-existing: durable as found
  {
    auto f = OpenW("a");
    ASSERT_TRUE(f->Write(2, Bytes("AB")).ok());
    ASSERT_TRUE(f->Sync().ok());                   // durable: 01AB456789
    ASSERT_TRUE(f->Write(0, Bytes("xyz")).ok());   // overwrite synced bytes
    ASSERT_TRUE(f->Write(1, Bytes("QQ")).ok());    // again, overlapping
    ASSERT_TRUE(f->Truncate(5).ok());              // cut synced bytes
    ASSERT_TRUE(f->Write(8, Bytes("tail!")).ok()); // past the cut
  }
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "01AB456789");
}

TEST_F(FaultFsTest, DropRestoresFileOpenedWithTruncate) {
  ASSERT_TRUE(WriteFile(P("a"), "original"));
  {
    auto f = OpenW("a", sys::OpenMode::kTruncate);
    ASSERT_TRUE(f->Write(0, Bytes("new")).ok());
  }
  EXPECT_EQ(Contents("a"), "new");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "original");
}

TEST_F(FaultFsTest, NewUnsyncedFileVanishesUnlessDirSynced) {
  {
    auto f = OpenW("gone");
    ASSERT_TRUE(f->Write(0, Bytes("data")).ok());
  }
  {
    auto f = OpenW("empty");
    ASSERT_TRUE(f->Write(0, Bytes("data")).ok());
  }
  ASSERT_TRUE(fs_.CreateDirs(P("sub")).ok());
  {
    auto f = OpenW("sub/kept");
    ASSERT_TRUE(f->Write(0, Bytes("data")).ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Write(4, Bytes("more")).ok());
  }
  // The dir sync makes "empty"'s entry durable, not its data.
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  {
    auto f = OpenW("late");  // created after the dir sync
    ASSERT_TRUE(f->Write(0, Bytes("x")).ok());
  }
  fs_.Remove(P("gone"));  // re-create to check it is tracked as new again
  {
    auto f = OpenW("gone");
    ASSERT_TRUE(f->Write(0, Bytes("data")).ok());
  }
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_FALSE(Exists("gone"));
  EXPECT_FALSE(Exists("late"));
  EXPECT_TRUE(Exists("empty"));
  EXPECT_EQ(Contents("empty"), "");
  EXPECT_EQ(Contents("sub/kept"), "data");
}

TEST_F(FaultFsTest, RenameWithoutDirSyncIsUndone) {
  ASSERT_TRUE(WriteFile(P("dest"), "old version"));
  {
    auto f = OpenW("tmp");
    ASSERT_TRUE(f->Write(0, Bytes("new version")).ok());
    ASSERT_TRUE(f->Sync().ok());
  }
  ASSERT_TRUE(fs_.Rename(P("tmp"), P("dest")).ok());
  EXPECT_EQ(Contents("dest"), "new version");
  EXPECT_FALSE(Exists("tmp"));
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("dest"), "old version");
  EXPECT_EQ(Contents("tmp"), "new version");  // synced data, back under its old name
}

TEST_F(FaultFsTest, RenameFollowedByTargetDirSyncIsDurable) {
  ASSERT_TRUE(fs_.CreateDirs(P("out")).ok());
  {
    auto f = OpenW("tmp");
    ASSERT_TRUE(f->Write(0, Bytes("payload")).ok());
    ASSERT_TRUE(f->Sync().ok());
  }
  ASSERT_TRUE(fs_.Rename(P("tmp"), P("out/final")).ok());
  ASSERT_TRUE(fs_.SyncDir(P("out/")).ok());
  {
    auto f = OpenW("out/final");  // later unsynced append is still lost
    ASSERT_TRUE(f->Write(7, Bytes("+junk")).ok());
  }
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("out/final"), "payload");
  EXPECT_FALSE(Exists("tmp"));
}

TEST_F(FaultFsTest, CopyIntoTrackedFileIsUndone) {
  ASSERT_TRUE(WriteFile(P("src"), "source-bytes"));
  ASSERT_TRUE(WriteFile(P("dst"), "durable-old!"));
  {
    auto src = fs_.Open(P("src"), sys::OpenMode::kRead);
    ASSERT_TRUE(src.ok());
    auto dst = OpenW("dst");
    ASSERT_TRUE(fs_.Copy(**src, *dst, 12).ok());
  }
  EXPECT_EQ(Contents("dst"), "source-bytes");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("dst"), "durable-old!");
}

// The crash-consistency recipe end to end: a "write, sync, rename, dir sync"
// scenario, failing each operation in turn, must always leave either the old
// or the complete new destination after power loss.
TEST_F(FaultFsTest, FailEveryOperationInTurnLeavesOldOrNew) {
  auto scenario = [&]() -> Status {
    auto f = fs_.Open(P("dest.tmp"), sys::OpenMode::kTruncate);
    if (!f.ok()) return f.status();
    for (int i = 0; i < 4; ++i) {
      if (Status s = (*f)->Write(i * 4, Bytes("NEW!")); !s.ok()) return s;
    }
    if (Status s = (*f)->Sync(); !s.ok()) return s;
    f->reset();
    if (Status s = fs_.Rename(P("dest.tmp"), P("dest")); !s.ok()) return s;
    return fs_.SyncDir(dir_.path());
  };
  ASSERT_TRUE(WriteFile(P("dest"), "OLD"));
  ASSERT_TRUE(scenario().ok());
  const uint64_t count = fs_.operation_count();
  EXPECT_EQ(count, 8u);
  for (uint64_t n = 0; n < count; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n + 1));
    ASSERT_TRUE(WriteFile(P("dest"), "OLD"));
    std::filesystem::remove(P("dest.tmp"));
    fs_.MarkAllDurable();
    fs_.Reset();
    fs_.FailAfter(n);
    EXPECT_FALSE(scenario().ok());
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    fs_.Reset();
    std::string dest = Contents("dest");
    EXPECT_TRUE(dest == "OLD" || dest == "NEW!NEW!NEW!NEW!") << dest;
  }
}

}  // namespace
}  // namespace ferry::test
