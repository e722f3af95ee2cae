#include "sys/file_system.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::sys {
namespace {

using ferry::test::TempDir;

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::vector<std::byte> Pattern(size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + 7) & 0xFF);
  return v;
}

std::string ReadAll(File& f) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = f.Read(out.size(), std::as_writable_bytes(std::span<char>(buf, sizeof buf)));
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

class FileSystemTest : public ::testing::Test {
 protected:
  FileSystem* fs_ = DefaultFileSystem();
  TempDir dir_;
};

TEST_F(FileSystemTest, WriteReadSizeTruncate) {
  ASSERT_FALSE(dir_.path().empty());
  auto f = fs_->Open(dir_.Path("a"), OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Write(0, Bytes("hello")).ok());
  ASSERT_TRUE((*f)->Write(10, Bytes("world")).ok());  // leaves a hole
  EXPECT_EQ(*(*f)->Size(), 15u);
  std::string all = ReadAll(**f);
  EXPECT_EQ(all, std::string("hello\0\0\0\0\0world", 15));
  EXPECT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Truncate(3).ok());
  EXPECT_EQ(*(*f)->Size(), 3u);
  std::byte b[8];
  auto n = (*f)->Read(3, b);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);  // EOF
}

TEST_F(FileSystemTest, OpenModes) {
  std::string p = dir_.Path("m");
  auto missing = fs_->Open(p, OpenMode::kRead);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::FromWin32(2));  // ERROR_FILE_NOT_FOUND

  auto created = fs_->Open(p, OpenMode::kCreateNew);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE((*created)->Write(0, Bytes("abc")).ok());
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto again = fs_->Open(p, OpenMode::kCreateNew);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), code::FromWin32(80));  // ERROR_FILE_EXISTS

  auto rw = fs_->Open(p, OpenMode::kReadWrite);
  ASSERT_TRUE(rw.ok());
  EXPECT_EQ(*(*rw)->Size(), 3u);  // contents kept

  auto ro = fs_->Open(p, OpenMode::kRead);
  ASSERT_TRUE(ro.ok());
  EXPECT_FALSE((*ro)->Write(0, Bytes("x")).ok());

  auto tr = fs_->Open(p, OpenMode::kTruncate);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(*(*tr)->Size(), 0u);
}

TEST_F(FileSystemTest, OpenedFdsAreCloseOnExec) {
  auto f = fs_->Open(dir_.Path("c"), OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  // The newest fd of the process is the one just opened; check every fd in
  // /proc/self/fd that points at our file.
  auto fds = fs_->ListDir("/proc/self/fd");
  ASSERT_TRUE(fds.ok());
  bool found = false;
  for (const auto& name : *fds) {
    char target[4096];
    std::string link = "/proc/self/fd/" + name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = 0;
    if (std::string(target) != dir_.Path("c")) continue;
    found = true;
    int flags = ::fcntl(std::stoi(name), F_GETFD);
    EXPECT_TRUE(flags & FD_CLOEXEC);
  }
  EXPECT_TRUE(found);
}

TEST_F(FileSystemTest, PreallocateKeepsSize) {
  auto f = fs_->Open(dir_.Path("p"), OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Preallocate(0, 4 << 20).ok());
  EXPECT_EQ(*(*f)->Size(), 0u);
  ASSERT_TRUE((*f)->Write(0, Bytes("abc")).ok());
  EXPECT_EQ(*(*f)->Size(), 3u);
  EXPECT_TRUE((*f)->Preallocate(0, 0).ok());
}

TEST_F(FileSystemTest, RenameRemoveStat) {
  std::string a = dir_.Path("a"), b = dir_.Path("b");
  {
    auto f = fs_->Open(a, OpenMode::kTruncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(0, Bytes("12345")).ok());
  }
  auto st = fs_->Stat(a);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->exists);
  EXPECT_FALSE(st->is_directory);
  EXPECT_EQ(st->size, 5u);
  EXPECT_NE(st->device, 0u);

  ASSERT_TRUE(fs_->Rename(a, b).ok());
  EXPECT_FALSE(fs_->Stat(a)->exists);
  EXPECT_EQ(fs_->Stat(b)->size, 5u);
  EXPECT_FALSE(fs_->Rename(a, b).ok());  // source gone

  EXPECT_TRUE(fs_->Remove(b).ok());
  EXPECT_FALSE(fs_->Stat(b)->exists);
  EXPECT_TRUE(fs_->Remove(b).ok());  // missing is OK

  auto dir_st = fs_->Stat(dir_.path());
  ASSERT_TRUE(dir_st.ok());
  EXPECT_TRUE(dir_st->is_directory);
  EXPECT_FALSE(fs_->Stat(dir_.Path("nope/deeper"))->exists);
}

TEST_F(FileSystemTest, CreateDirsRemoveDirSyncDirListDir) {
  std::string deep = dir_.Path("x/y/z");
  ASSERT_TRUE(fs_->CreateDirs(deep).ok());
  ASSERT_TRUE(fs_->CreateDirs(deep).ok());        // already there
  ASSERT_TRUE(fs_->CreateDirs(deep + "/").ok());  // trailing slash
  struct stat st;
  ASSERT_EQ(::stat(dir_.Path("x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  EXPECT_TRUE(fs_->SyncDir(deep).ok());
  EXPECT_FALSE(fs_->SyncDir(dir_.Path("missing")).ok());
  EXPECT_TRUE(fs_->CheckWritableDir(deep).ok());
  EXPECT_FALSE(fs_->CheckWritableDir(dir_.Path("missing")).ok());

  {
    auto f = fs_->Open(dir_.Path("x/file"), OpenMode::kTruncate);
    ASSERT_TRUE(f.ok());
  }
  auto names = fs_->ListDir(dir_.Path("x"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"file", "y"}));
  EXPECT_FALSE(fs_->ListDir(dir_.Path("missing")).ok());

  // A file in the way of mkdir -p.
  EXPECT_FALSE(fs_->CreateDirs(dir_.Path("x/file/sub")).ok());
  EXPECT_FALSE(fs_->CheckWritableDir(dir_.Path("x/file")).ok());

  EXPECT_FALSE(fs_->RemoveDir(dir_.Path("x/y")).ok());  // not empty
  EXPECT_TRUE(fs_->RemoveDir(deep).ok());
  EXPECT_TRUE(fs_->RemoveDir(deep).ok());  // missing is OK
  EXPECT_FALSE(fs_->Stat(deep)->exists);
}

TEST_F(FileSystemTest, CopyPosixFiles) {
  const size_t n = (3 << 20) + 12345;  // several chunks, odd tail
  auto data = Pattern(n);
  auto src = fs_->Open(dir_.Path("src"), OpenMode::kTruncate);
  auto dst = fs_->Open(dir_.Path("dst"), OpenMode::kTruncate);
  ASSERT_TRUE(src.ok() && dst.ok());
  ASSERT_TRUE((*src)->Write(0, data).ok());
  // Copy only a prefix: the length is what counts, not the source size.
  ASSERT_TRUE(fs_->Copy(**src, **dst, n - 100).ok());
  EXPECT_EQ(*(*dst)->Size(), n - 100);
  std::vector<std::byte> back(n - 100);
  size_t got = 0;
  while (got < back.size()) {
    auto r = (*dst)->Read(got, std::span<std::byte>(back).subspan(got));
    ASSERT_TRUE(r.ok());
    ASSERT_GT(*r, 0u);
    got += *r;
  }
  EXPECT_EQ(0, std::memcmp(back.data(), data.data(), back.size()));
}

TEST_F(FileSystemTest, CopyFailsWhenSourceIsShort) {
  auto src = fs_->Open(dir_.Path("src"), OpenMode::kTruncate);
  auto dst = fs_->Open(dir_.Path("dst"), OpenMode::kTruncate);
  ASSERT_TRUE(src.ok() && dst.ok());
  ASSERT_TRUE((*src)->Write(0, Bytes("short")).ok());
  EXPECT_FALSE(fs_->Copy(**src, **dst, 100).ok());
}

// A File that is not a PosixFile: Copy must go through Read/Write.
class CountingFile : public File {
 public:
  explicit CountingFile(std::unique_ptr<File> f) : f_(std::move(f)) {}
  Status Write(uint64_t o, std::span<const std::byte> d) override {
    ++writes;
    return f_->Write(o, d);
  }
  Result<size_t> Read(uint64_t o, std::span<std::byte> out) override {
    ++reads;
    return f_->Read(o, out);
  }
  Status Sync() override { return f_->Sync(); }
  Status Preallocate(uint64_t o, uint64_t l) override { return f_->Preallocate(o, l); }
  Status Truncate(uint64_t s) override { return f_->Truncate(s); }
  Result<uint64_t> Size() override { return f_->Size(); }
  int reads = 0;
  int writes = 0;

 private:
  std::unique_ptr<File> f_;
};

TEST_F(FileSystemTest, CopyWrappedFilesUsesReadWrite) {
  const size_t n = (2 << 20) + 5;
  auto data = Pattern(n);
  auto raw_src = fs_->Open(dir_.Path("src"), OpenMode::kTruncate);
  auto raw_dst = fs_->Open(dir_.Path("dst"), OpenMode::kTruncate);
  ASSERT_TRUE(raw_src.ok() && raw_dst.ok());
  ASSERT_TRUE((*raw_src)->Write(0, data).ok());
  CountingFile src(std::move(*raw_src));
  CountingFile dst(std::move(*raw_dst));
  ASSERT_TRUE(fs_->Copy(src, dst, n).ok());
  EXPECT_EQ(dst.writes, 3);  // 1 MiB chunks
  EXPECT_GE(src.reads, 3);
  EXPECT_EQ(*dst.Size(), n);
  std::vector<std::byte> back(n);
  size_t got = 0;
  while (got < n) {
    auto r = dst.Read(got, std::span<std::byte>(back).subspan(got));
    ASSERT_TRUE(r.ok() && *r > 0);
    got += *r;
  }
  EXPECT_EQ(back, data);
}

TEST_F(FileSystemTest, CopyZeroBytes) {
  auto src = fs_->Open(dir_.Path("src"), OpenMode::kTruncate);
  auto dst = fs_->Open(dir_.Path("dst"), OpenMode::kTruncate);
  ASSERT_TRUE(src.ok() && dst.ok());
  EXPECT_TRUE(fs_->Copy(**src, **dst, 0).ok());
  EXPECT_EQ(*(*dst)->Size(), 0u);
}

TEST_F(FileSystemTest, BootIdIsTrimmedUuid) {
  std::string id = fs_->BootId();
  ASSERT_EQ(id.size(), 36u) << id;
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id.find_first_of(" \n\t"), std::string::npos);
  EXPECT_EQ(id, fs_->BootId());
}

TEST_F(FileSystemTest, WrapperForwards) {
  FileSystemWrapper w(fs_);
  EXPECT_EQ(w.BootId(), fs_->BootId());
  ASSERT_TRUE(w.CreateDirs(dir_.Path("w")).ok());
  EXPECT_TRUE(w.Stat(dir_.Path("w"))->is_directory);
}

}  // namespace
}  // namespace ferry::sys
