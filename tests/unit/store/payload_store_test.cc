#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <cerrno>
#include <string>
#include <vector>

#include "store/digest.h"
#include "store/payload_store_fs.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::store {
namespace {

using ferry::test::TempDir;

constexpr int32_t kNotSameDevice = code::FromWin32(17);

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

// Reads a whole file through the real file system ("" when missing).
std::string ReadFile(const std::string& path) {
  auto f = sys::DefaultFileSystem()->Open(path, sys::OpenMode::kRead);
  if (!f.ok()) return "";
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = (*f)->Read(out.size(), std::as_writable_bytes(std::span<char>(buf, sizeof buf)));
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

bool Exists(const std::string& path) { return sys::DefaultFileSystem()->Stat(path)->exists; }

std::vector<std::string> List(const std::string& dir) {
  auto names = sys::DefaultFileSystem()->ListDir(dir);
  return names.ok() ? *names : std::vector<std::string>{};
}

Guid Id(uint8_t seed) {
  Guid g;
  for (auto& b : g.bytes) b = seed;
  return g;
}

class PayloadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    ASSERT_TRUE(sys::DefaultFileSystem()->CreateDirs(dest_).ok());
  }
  // Stages `data` for (job, file) through `store`.
  void Stage(FsPayloadStore& store, const Guid& job, uint32_t file, const std::string& data) {
    auto f = store.Open(job, file, data.size());
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->Write(0, Bytes(data)).ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }

  TempDir tmp_;
  std::string root_ = tmp_.Path("state/staging");
  std::string dest_ = tmp_.Path("dest");
};

TEST_F(PayloadStoreTest, StagingLayoutAndSizes) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_ + "/");
  Guid job = Id(0xab);
  EXPECT_EQ(*store.StagedSize(job, 0), 0u);  // missing
  auto f = store.Open(job, 3, 1 << 20);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(store.StagingPath(job, 3), root_ + "/" + job.ToHex() + "/3.part");
  // Preallocation keeps the size at what was written.
  EXPECT_EQ(*store.StagedSize(job, 3), 0u);
  ASSERT_TRUE((*f)->Write(100, Bytes("xyz")).ok());
  EXPECT_EQ(*store.StagedSize(job, 3), 103u);
  std::byte buf[3];
  auto n = (*f)->Read(100, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);

  struct stat st;
  ASSERT_EQ(::stat(store.JobDir(job).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(store.StagingPath(job, 3).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Reopening keeps the contents.
  auto again = store.Open(job, 3, kSizeUnknown);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*store.StagedSize(job, 3), 103u);
}

TEST_F(PayloadStoreTest, Truncate) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  Guid job = Id(1);
  Stage(store, job, 0, "0123456789");
  ASSERT_TRUE(store.Truncate(job, 0, 4).ok());
  EXPECT_EQ(*store.StagedSize(job, 0), 4u);
  EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), "0123");
  EXPECT_TRUE(store.Truncate(job, 7, 0).ok());   // missing, nothing to cut
  EXPECT_FALSE(store.Truncate(job, 7, 5).ok());  // missing, would invent bytes
  EXPECT_FALSE(Exists(store.StagingPath(job, 7)));
}

TEST_F(PayloadStoreTest, RemoveRemoveJobListJobs) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  EXPECT_TRUE(store.ListJobs()->empty());  // root not created yet
  Guid a = Id(1), b = Id(2);
  Stage(store, a, 0, "a0");
  Stage(store, a, 1, "a1");
  Stage(store, b, 0, "b0");
  ASSERT_TRUE(sys::DefaultFileSystem()->CreateDirs(root_ + "/not-a-job").ok());
  auto jobs = store.ListJobs();
  ASSERT_TRUE(jobs.ok());
  std::sort(jobs->begin(), jobs->end());
  EXPECT_EQ(*jobs, (std::vector<Guid>{a, b}));

  ASSERT_TRUE(store.Remove(a, 0).ok());
  EXPECT_TRUE(store.Remove(a, 0).ok());  // missing is OK
  EXPECT_FALSE(Exists(store.StagingPath(a, 0)));
  EXPECT_TRUE(Exists(store.StagingPath(a, 1)));

  ASSERT_TRUE(store.RemoveJob(a).ok());
  EXPECT_FALSE(Exists(store.JobDir(a)));
  EXPECT_TRUE(store.RemoveJob(a).ok());  // missing is OK
  EXPECT_EQ(*store.ListJobs(), (std::vector<Guid>{b}));
}

TEST_F(PayloadStoreTest, DeliverSameFileSystem) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  Guid job = Id(3);
  std::string data = Pattern(100000);
  Stage(store, job, 0, data);
  std::string dest = dest_ + "/out.bin";
  ASSERT_TRUE(store.Deliver(job, 0, dest, data.size()).ok());
  EXPECT_EQ(ReadFile(dest), data);
  // The staging name stays until the engine has recorded the delivery, so
  // that Deliver can be repeated after a crash.
  EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), data);
  EXPECT_EQ(List(dest_), std::vector<std::string>{"out.bin"});
  ASSERT_TRUE(store.Deliver(job, 0, dest, data.size()).ok());  // repeatable
  EXPECT_EQ(ReadFile(dest), data);
  EXPECT_EQ(List(dest_), std::vector<std::string>{"out.bin"});
}

TEST_F(PayloadStoreTest, DeliverCutsToSizeAndReplaces) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  Guid job = Id(4);
  Stage(store, job, 0, "payload-and-junk");
  std::string dest = dest_ + "/out";
  {
    auto f = sys::DefaultFileSystem()->Open(dest, sys::OpenMode::kTruncate);
    ASSERT_TRUE((*f)->Write(0, Bytes("old")).ok());
  }
  ASSERT_TRUE(store.Deliver(job, 0, dest, 7).ok());
  EXPECT_EQ(ReadFile(dest), "payload");
}

TEST_F(PayloadStoreTest, DeliverShortOrMissingStagingFails) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  Guid job = Id(5);
  std::string dest = dest_ + "/out";
  EXPECT_FALSE(store.Deliver(job, 0, dest, 0).ok());  // no staging file
  EXPECT_FALSE(Exists(store.StagingPath(job, 0)));    // and none was created
  Stage(store, job, 0, "abc");
  EXPECT_FALSE(store.Deliver(job, 0, dest, 4).ok());
  EXPECT_FALSE(Exists(dest));
  EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), "abc");
}

// Renames out of the staging area fail with EXDEV, as if the destination
// were on another file system.
class CrossDeviceFs : public sys::FileSystemWrapper {
 public:
  CrossDeviceFs() : FileSystemWrapper(sys::DefaultFileSystem()) {}
  Status Rename(const std::string& from, const std::string& to) override {
    if (from.ends_with(".part")) {
      ++exdev_renames;
      return ErrnoStatus(EXDEV, "rename " + from);
    }
    return FileSystemWrapper::Rename(from, to);
  }
  Status Link(const std::string& from, const std::string& to) override {
    if (from.ends_with(".part")) {
      ++exdev_renames;
      return ErrnoStatus(EXDEV, "link " + from);
    }
    return FileSystemWrapper::Link(from, to);
  }
  int exdev_renames = 0;
};

TEST_F(PayloadStoreTest, DeliverAcrossFileSystemsCopies) {
  CrossDeviceFs fs;
  ASSERT_EQ(ErrnoStatus(EXDEV, "x").code(), kNotSameDevice);
  FsPayloadStore store(&fs, root_);
  Guid job = Id(6);
  std::string data = Pattern((2 << 20) + 333);
  Stage(store, job, 0, data);
  std::string dest = dest_ + "/big.iso";
  ASSERT_TRUE(store.Deliver(job, 0, dest, data.size()).ok());
  EXPECT_EQ(fs.exdev_renames, 1);
  EXPECT_EQ(ReadFile(dest), data);
  EXPECT_TRUE(Exists(store.StagingPath(job, 0)));  // removed by the engine later
  EXPECT_EQ(List(dest_), std::vector<std::string>{"big.iso"});  // no temporary left
}

// Fails the Nth file-system operation (file operations included), counting
// from 1; counts every operation.
class FailNthFs : public sys::FileSystemWrapper {
 public:
  explicit FailNthFs(sys::FileSystem* target) : FileSystemWrapper(target) {}
  int fail_at = 0;  // 0: never
  int ops = 0;

  bool Fail() { return ++ops == fail_at; }
  Status Injected() const { return ErrnoStatus(EIO, "injected fault #" + std::to_string(ops)); }

  class FailFile : public sys::File {
   public:
    FailFile(FailNthFs* fs, std::unique_ptr<sys::File> f) : fs_(fs), f_(std::move(f)) {}
    Status Write(uint64_t o, std::span<const std::byte> d) override {
      return fs_->Fail() ? fs_->Injected() : f_->Write(o, d);
    }
    Result<size_t> Read(uint64_t o, std::span<std::byte> out) override {
      if (fs_->Fail()) return fs_->Injected();
      return f_->Read(o, out);
    }
    Status Sync() override { return fs_->Fail() ? fs_->Injected() : f_->Sync(); }
    Status Preallocate(uint64_t o, uint64_t l) override {
      return fs_->Fail() ? fs_->Injected() : f_->Preallocate(o, l);
    }
    Status Truncate(uint64_t s) override { return fs_->Fail() ? fs_->Injected() : f_->Truncate(s); }
    Result<uint64_t> Size() override {
      if (fs_->Fail()) return fs_->Injected();
      return f_->Size();
    }

   private:
    FailNthFs* fs_;
    std::unique_ptr<sys::File> f_;
  };

  Result<std::unique_ptr<sys::File>> Open(const std::string& p, sys::OpenMode m) override {
    if (Fail()) return Injected();
    auto f = FileSystemWrapper::Open(p, m);
    if (!f.ok()) return f.status();
    return std::unique_ptr<sys::File>(new FailFile(this, std::move(f).value()));
  }
#define FERRY_FAIL_OR(call)      \
  if (Fail()) return Injected(); \
  return FileSystemWrapper::call
  Status Rename(const std::string& f, const std::string& t) override {
    FERRY_FAIL_OR(Rename(f, t));
  }
  Status Link(const std::string& f, const std::string& t) override { FERRY_FAIL_OR(Link(f, t)); }
  Status Remove(const std::string& p) override { FERRY_FAIL_OR(Remove(p)); }
  Status RemoveDir(const std::string& p) override { FERRY_FAIL_OR(RemoveDir(p)); }
  Status CreateDirs(const std::string& p, uint32_t mode = 0700) override {
    FERRY_FAIL_OR(CreateDirs(p, mode));
  }
  Status SyncDir(const std::string& p) override { FERRY_FAIL_OR(SyncDir(p)); }
  Result<sys::FileStatus> Stat(const std::string& p) override { FERRY_FAIL_OR(Stat(p)); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    FERRY_FAIL_OR(ListDir(p));
  }
  Status Copy(sys::File& f, sys::File& t, uint64_t n) override { FERRY_FAIL_OR(Copy(f, t, n)); }
#undef FERRY_FAIL_OR
};

// Fails each operation of a delivery in turn; every run must end either
// delivered, or with nothing at the destination, no temporary, and the
// staging file intact, so that a retry without faults succeeds.
void FailEveryOperation(const std::string& root, const std::string& dest_dir, bool cross_device) {
  CrossDeviceFs exdev;
  sys::FileSystem* base =
      cross_device ? static_cast<sys::FileSystem*>(&exdev) : sys::DefaultFileSystem();
  const std::string data = Pattern((1 << 20) + 77);  // two copy chunks
  const std::string dest = dest_dir + "/file.bin";
  Guid job = Id(7);

  // Count the operations of a clean run.
  int total = 0;
  {
    FailNthFs fs(base);
    FsPayloadStore store(&fs, root);
    auto f = store.Open(job, 0, data.size());
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(0, Bytes(data)).ok());
    f->reset();
    fs.ops = 0;
    ASSERT_TRUE(store.Deliver(job, 0, dest, data.size()).ok());
    total = fs.ops;
    ASSERT_TRUE(sys::DefaultFileSystem()->Remove(dest).ok());
  }
  ASSERT_GT(total, 5);

  for (int n = 1; n <= total; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n) + " of " + std::to_string(total) +
                 (cross_device ? " (cross-device)" : ""));
    FailNthFs fs(base);
    FsPayloadStore store(&fs, root);
    {
      auto f = store.Open(job, 0, data.size());
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE((*f)->Write(0, Bytes(data)).ok());
    }
    fs.ops = 0;
    fs.fail_at = n;
    Status st = store.Deliver(job, 0, dest, data.size());
    if (st.ok()) {
      // A failed hard link falls back to copying: still delivered.
      EXPECT_EQ(ReadFile(dest), data);
    } else {
      EXPECT_FALSE(Exists(dest));
      EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), data);
      EXPECT_EQ(List(dest_dir), std::vector<std::string>{});
      fs.fail_at = 0;
      ASSERT_TRUE(store.Deliver(job, 0, dest, data.size()).ok());
      EXPECT_EQ(ReadFile(dest), data);
    }
    EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), data);  // intact until removed
    ASSERT_TRUE(store.Remove(job, 0).ok());
    ASSERT_TRUE(sys::DefaultFileSystem()->Remove(dest).ok());
  }
}

TEST_F(PayloadStoreTest, DeliverFailEveryOperationSameFileSystem) {
  FailEveryOperation(root_, dest_, false);
}

TEST_F(PayloadStoreTest, DeliverFailEveryOperationAcrossFileSystems) {
  FailEveryOperation(root_, dest_, true);
}

TEST_F(PayloadStoreTest, FailedCopyLeavesNothing) {
  class FailingCopyFs : public CrossDeviceFs {
   public:
    Status Copy(sys::File&, sys::File&, uint64_t) override { return ErrnoStatus(ENOSPC, "copy"); }
  } fs;
  FsPayloadStore store(&fs, root_);
  Guid job = Id(8);
  Stage(store, job, 0, "data");
  Status st = store.Deliver(job, 0, dest_ + "/x", 4);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), code::FromWin32(112));  // the copy's own error comes back
  EXPECT_TRUE(List(dest_).empty());
  EXPECT_EQ(ReadFile(store.StagingPath(job, 0)), "data");
}

// Counts directory syncs; fails the ones of `fail_dir`.
class DirSyncFs : public sys::FileSystemWrapper {
 public:
  explicit DirSyncFs(sys::FileSystem* target) : FileSystemWrapper(target) {}
  std::vector<std::string> synced;
  std::string fail_dir;
  Status SyncDir(const std::string& dir) override {
    synced.push_back(dir);
    if (dir == fail_dir) return ErrnoStatus(EIO, "injected directory sync failure");
    return FileSystemWrapper::SyncDir(dir);
  }
};

TEST_F(PayloadStoreTest, DeliverManySyncsEachDirectoryOnce) {
  DirSyncFs fs(sys::DefaultFileSystem());
  FsPayloadStore store(&fs, root_);
  std::string other = tmp_.Path("dest2");
  ASSERT_TRUE(sys::DefaultFileSystem()->CreateDirs(other).ok());
  Guid job = Id(5);
  std::vector<std::string> data = {Pattern(1000), Pattern(2000), Pattern(3000)};
  for (uint32_t i = 0; i < 3; ++i) Stage(store, job, i, data[i]);
  fs.synced.clear();  // the staging directories, synced by the first Sync
  std::vector<core::Delivery> items = {
      {0, dest_ + "/a", data[0].size(), -1, ""}, {1, other + "/b", data[1].size(), -1, ""},
      {2, dest_ + "/c", data[2].size(), -1, ""}};
  size_t n = 99;
  ASSERT_TRUE(store.DeliverMany(job, items, &n).ok());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(ReadFile(dest_ + "/a"), data[0]);
  EXPECT_EQ(ReadFile(other + "/b"), data[1]);
  EXPECT_EQ(ReadFile(dest_ + "/c"), data[2]);
  EXPECT_EQ(fs.synced, (std::vector<std::string>{dest_, other}));
}

// A torrent's files below the directory the job named (docs/p2p.md): the
// directories between are made; for any other file a missing directory is
// an error, as before.
TEST_F(PayloadStoreTest, DeliverManyMakesATorrentsDirectoriesOnlyBelowItsDirectory) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  Guid job = Id(6);
  Stage(store, job, 0, Pattern(100));
  Stage(store, job, 1, Pattern(200));
  std::vector<core::Delivery> items = {
      {0, dest_ + "/pack/sub/a.bin", 100, -1, dest_ + "/"},
      {1, dest_ + "/missing/b.bin", 200, -1, ""}};
  size_t n = 99;
  EXPECT_FALSE(store.DeliverMany(job, items, &n).ok());
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(ReadFile(dest_ + "/pack/sub/a.bin"), Pattern(100));
  EXPECT_FALSE(std::filesystem::exists(dest_ + "/missing"));
}

TEST_F(PayloadStoreTest, DeliverManyFailedDirectorySyncTakesThatDirectorysNamesAway) {
  DirSyncFs fs(sys::DefaultFileSystem());
  FsPayloadStore store(&fs, root_);
  std::string other = tmp_.Path("dest2");
  ASSERT_TRUE(sys::DefaultFileSystem()->CreateDirs(other).ok());
  fs.fail_dir = other;
  Guid job = Id(6);
  std::vector<std::string> data = {Pattern(1000), Pattern(2000), Pattern(3000)};
  for (uint32_t i = 0; i < 3; ++i) Stage(store, job, i, data[i]);
  std::vector<core::Delivery> items = {
      {0, dest_ + "/a", data[0].size(), -1, ""}, {1, other + "/b", data[1].size(), -1, ""},
      {2, dest_ + "/c", data[2].size(), -1, ""}};
  size_t n = 99;
  Status s = store.DeliverMany(job, items, &n);
  EXPECT_FALSE(s.ok());
  // Only the files before the first one in the failed directory count.
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(ReadFile(dest_ + "/a"), data[0]);
  EXPECT_FALSE(Exists(other + "/b"));
  EXPECT_TRUE(List(other).empty());
  // Every staging file is intact: a retried Complete can deliver them all.
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(ReadFile(store.StagingPath(job, i)), data[i]);
}

TEST_F(PayloadStoreTest, NewStagingFileNameIsSyncedByItsFirstSync) {
  DirSyncFs fs(sys::DefaultFileSystem());
  FsPayloadStore store(&fs, root_);
  Guid job = Id(7);
  auto f = store.Open(job, 0, 10);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(fs.synced.empty());  // not on the engine's thread at Open
  ASSERT_TRUE((*f)->Write(0, Bytes("0123456789")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(fs.synced, (std::vector<std::string>{store.JobDir(job), root_}));
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(fs.synced.size(), 2u);  // once
  auto again = store.Open(job, 0, 10);  // an existing file: nothing to sync
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Sync().ok());
  EXPECT_EQ(fs.synced.size(), 2u);
}

TEST_F(PayloadStoreTest, BootIdForwards) {
  FsPayloadStore store(sys::DefaultFileSystem(), root_);
  EXPECT_EQ(store.BootId(), sys::DefaultFileSystem()->BootId());
  EXPECT_FALSE(store.BootId().empty());
}

TEST(DigestTest, Sha256Factory) {
  core::DigestFactory factory = MakeSha256DigestFactory();
  auto a = factory();
  auto b = factory();
  a->Update(Bytes("ab"));
  b->Update(Bytes(""));
  a->Update(Bytes("c"));
  EXPECT_EQ(a->FinalHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(b->FinalHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Delivered files get the mode ferryd asks for (0666 & ~umask), not staging's 0600.
TEST(PayloadStoreModeTest, DeliveredFileGetsTheRequestedMode) {
  TempDir tmp("ferry-mode");
  ASSERT_TRUE(tmp.ok());
  std::string root = tmp.Path("staging");
  FsPayloadStore store(sys::DefaultFileSystem(), root, 0644);
  Guid job = Guid::Random();
  auto f = store.Open(job, 0, 5);
  ASSERT_TRUE(f.ok());
  std::string data = "hello";
  ASSERT_TRUE((*f)->Write(0, std::as_bytes(std::span(data.data(), data.size()))).ok());
  f->reset();
  std::string dest = tmp.Path("out");
  ASSERT_TRUE(store.Deliver(job, 0, dest, 5).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_TRUE(store.RemoveJob(job).ok());
}
}  // namespace
}  // namespace ferry::store
