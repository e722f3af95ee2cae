#include "store/payload_store_fs.h"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <utility>

#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::store {
namespace {


// `dirs`: the directories whose entries for this file are not yet durable
// (it was just created); the first successful Sync syncs them too, on the
// worker that runs it, instead of Open doing it on the engine's thread for
// every new file.
class FsStagingFile final : public core::StagingFile {
 public:
  FsStagingFile(std::unique_ptr<sys::File> file, sys::FileSystem* fs, std::vector<std::string> dirs)
      : file_(std::move(file)), fs_(fs), dirs_(std::move(dirs)) {}
  Status Write(uint64_t offset, std::span<const std::byte> data) override {
    return file_->Write(offset, data);
  }
  Result<size_t> Read(uint64_t offset, std::span<std::byte> out) override {
    return file_->Read(offset, out);
  }
  Status Sync() override {
    if (Status s = file_->Sync(); !s.ok()) return s;
    std::lock_guard<std::mutex> l(mu_);
    while (!dirs_.empty()) {
      if (Status s = fs_->SyncDir(dirs_.back()); !s.ok()) return s;
      dirs_.pop_back();
    }
    return Status::OK();
  }

 private:
  std::unique_ptr<sys::File> file_;
  sys::FileSystem* fs_;
  std::mutex mu_;
  std::vector<std::string> dirs_;  // synced innermost first
};

// The directory part of a path ("." for a bare name, "/" for "/x").
std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

FsPayloadStore::FsPayloadStore(sys::FileSystem* fs, std::string dir, uint32_t delivered_mode)
    : fs_(fs), delivered_mode_(delivered_mode), dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string FsPayloadStore::JobDir(const Guid& job) const { return dir_ + "/" + job.ToHex(); }

std::string FsPayloadStore::StagingPath(const Guid& job, uint32_t file) const {
  return JobDir(job) + "/" + std::to_string(file) + ".part";
}

Result<std::shared_ptr<core::StagingFile>> FsPayloadStore::Open(const Guid& job, uint32_t file,
                                                                uint64_t size_hint) {
  const std::string job_dir = JobDir(job);
  const std::string path = StagingPath(job, file);
  Result<sys::FileStatus> dir_st = fs_->Stat(job_dir);
  if (!dir_st.ok()) return dir_st.status();
  Result<sys::FileStatus> file_st = fs_->Stat(path);
  if (!file_st.ok()) return file_st.status();
  if (!dir_st->exists) {
    if (Status st = fs_->CreateDirs(job_dir); !st.ok()) return st;
  }
  Result<std::unique_ptr<sys::File>> f = fs_->Open(path, sys::OpenMode::kReadWrite);
  if (!f.ok()) return f.status();
  // New names become durable with the file's first Sync, so that a
  // checkpoint (fdatasync, then commit) survives a power cut.
  std::vector<std::string> dirs;
  if (!dir_st->exists) dirs.push_back(dir_);
  if (!file_st->exists) dirs.push_back(job_dir);
  if (size_hint != kSizeUnknown && size_hint > 0) {
    if (Status st = (*f)->Preallocate(0, size_hint); !st.ok()) return st;
  }
  return std::shared_ptr<core::StagingFile>(
      std::make_shared<FsStagingFile>(std::move(*f), fs_, std::move(dirs)));
}

Result<uint64_t> FsPayloadStore::StagedSize(const Guid& job, uint32_t file) {
  Result<sys::FileStatus> st = fs_->Stat(StagingPath(job, file));
  if (!st.ok()) return st.status();
  return st->exists ? st->size : 0;
}

Status FsPayloadStore::Truncate(const Guid& job, uint32_t file, uint64_t size) {
  const std::string path = StagingPath(job, file);
  Result<sys::FileStatus> st = fs_->Stat(path);
  if (!st.ok()) return st.status();
  if (!st->exists) {
    if (size == 0) return Status::OK();
    return ErrnoStatus(ENOENT, "truncate " + path);
  }
  Result<std::unique_ptr<sys::File>> f = fs_->Open(path, sys::OpenMode::kReadWrite);
  if (!f.ok()) return f.status();
  if (Status s = (*f)->Truncate(size); !s.ok()) return s;
  return (*f)->Sync();
}

Status FsPayloadStore::Remove(const Guid& job, uint32_t file) {
  return fs_->Remove(StagingPath(job, file));
}

Status FsPayloadStore::RemoveJob(const Guid& job) {
  const std::string job_dir = JobDir(job);
  Result<sys::FileStatus> st = fs_->Stat(job_dir);
  if (!st.ok()) return st.status();
  if (!st->exists) return Status::OK();
  Result<std::vector<std::string>> names = fs_->ListDir(job_dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (Status s = fs_->Remove(job_dir + "/" + name); !s.ok()) return s;
  }
  return fs_->RemoveDir(job_dir);
}

Result<std::vector<Guid>> FsPayloadStore::ListJobs() {
  std::vector<Guid> jobs;
  Result<sys::FileStatus> st = fs_->Stat(dir_);
  if (!st.ok()) return st.status();
  if (!st->exists) return jobs;
  Result<std::vector<std::string>> names = fs_->ListDir(dir_);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    Guid id;
    if (name.size() == 32 && Guid::Parse(name, &id)) jobs.push_back(id);
  }
  return jobs;
}

Status FsPayloadStore::Deliver(const Guid& job, uint32_t file, const std::string& local_name,
                               uint64_t size) {
  return DeliverOne(job, file, local_name, size, true);
}

Status FsPayloadStore::DeliverMany(const Guid& job, std::span<const core::Delivery> items,
                                   size_t* delivered) {
  *delivered = 0;
  Status failed;
  std::vector<std::string> dirs;  // to sync once each, in first-use order
  size_t i = 0;
  for (; i < items.size(); ++i) {
    const core::Delivery& d = items[i];
    if (d.fd >= 0) {
      failed = DeliverToFd(job, d.file, d.fd, d.size);
    } else {
      failed = MakeDirsFor(d);
      if (failed.ok()) failed = DeliverOne(job, d.file, d.local_name, d.size, false);
      std::string dir = DirName(d.local_name);
      if (failed.ok() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    }
    if (!failed.ok()) break;
  }
  for (size_t k = i + 1; k < items.size(); ++k)
    if (items[k].fd >= 0) sys::AdoptFd(items[k].fd, "an undelivered file's descriptor");  // closes it
  size_t done = i;
  for (const std::string& dir : dirs) {
    Status s = fs_->SyncDir(dir);
    if (s.ok()) continue;
    // The names renamed into `dir` may not survive a crash: take them away
    // (the staging files are intact) and count nothing from the first of
    // them on as delivered; a retried Complete delivers them again.
    for (size_t k = 0; k < i; ++k) {
      if (items[k].fd >= 0 || DirName(items[k].local_name) != dir) continue;
      if (Status r = fs_->Remove(items[k].local_name); !r.ok())
        log::Error("deliver: cannot remove {} after failed sync: {}", items[k].local_name, r.ToString());
      if (k < done) {
        done = k;
        failed = s;
      }
    }
  }
  *delivered = done;
  return failed;
}

Status FsPayloadStore::MakeDirsFor(const core::Delivery& d) {
  if (d.make_dirs_below.empty() || d.local_name.compare(0, d.make_dirs_below.size(),
                                                         d.make_dirs_below) != 0)
    return Status::OK();
  const std::string dir = DirName(d.local_name);
  if (dir.size() < d.make_dirs_below.size()) return Status::OK();  // the directory itself
  return fs_->CreateDirs(dir, 0777);  // as mkdir -p: what the umask allows
}

Status FsPayloadStore::DeliverOne(const Guid& job, uint32_t file, const std::string& local_name,
                                  uint64_t size, bool sync_dir) {
  const std::string staging_path = StagingPath(job, file);
  const std::string dest_dir = DirName(local_name);

  // kReadWrite would create a missing file: check first.
  Result<sys::FileStatus> st = fs_->Stat(staging_path);
  if (!st.ok()) return st.status();
  if (!st->exists) return ErrnoStatus(ENOENT, "deliver: staging file " + staging_path);
  Result<std::unique_ptr<sys::File>> opened = fs_->Open(staging_path, sys::OpenMode::kReadWrite);
  if (!opened.ok()) return opened.status();
  sys::File& staging = **opened;
  Result<uint64_t> have = staging.Size();
  if (!have.ok()) return have.status();
  if (*have < size) {
    return Status(CodeFromErrno(EIO), "deliver: staging file " + staging_path + " has " +
                                          std::to_string(*have) + " bytes, expected " +
                                          std::to_string(size));
  }
  if (Status s = staging.Truncate(size); !s.ok()) return s;
  if (delivered_mode_) {
    if (Status s = staging.SetMode(delivered_mode_); !s.ok()) return s;
  }
  if (Status s = staging.Sync(); !s.ok()) return s;

  // A second name for the staging file beside the destination, renamed into
  // place: the staging name stays until the engine has recorded the delivery
  // (then RemoveJob/Remove deletes it), so a crash in between cannot lose the
  // ability to deliver again.
  std::string tmp_path;
  Status linked;
  for (int attempt = 0;; ++attempt) {
    tmp_path = local_name + ".ferry-tmp-" + Guid::Random().ToHex().substr(0, 8);
    linked = fs_->Link(staging_path, tmp_path);
    if (linked.code() != code::FromWin32(80) || attempt == 8) break;
  }
  if (!linked.ok()) {
    // Another file system, or one without hard links: copy.
    return DeliverByCopy(staging, staging_path, local_name, dest_dir, size);
  }
  if (Status s = fs_->Rename(tmp_path, local_name); !s.ok()) {
    if (Status r = fs_->Remove(tmp_path); !r.ok())
      log::Warn("deliver: cannot remove temporary {}: {}", tmp_path, r.ToString());
    return s;
  }
  // rename(2) of two names of one file does nothing: when local_name already
  // was this file (a repeated delivery), the temporary name is still there.
  fs_->Remove(tmp_path);
  if (!sync_dir) return Status::OK();  // DeliverMany syncs the directory
  if (Status s = fs_->SyncDir(dest_dir); !s.ok()) {
    // The name may not survive a crash; take it away so that nothing is at
    // local_name and Complete can be retried from the intact staging file.
    if (Status r = fs_->Remove(local_name); !r.ok())
      log::Error("deliver: cannot remove {} after failed sync: {}", local_name, r.ToString());
    return s;
  }
  return Status::OK();
}

Status FsPayloadStore::DeliverByCopy(sys::File& staging, const std::string& staging_path,
                                     const std::string& local_name, const std::string& dest_dir,
                                     uint64_t size) {
  // A unique temporary name beside the destination; O_EXCL so that we never
  // write into a file that someone else made.
  std::string tmp_path;
  std::unique_ptr<sys::File> tmp;
  for (int attempt = 0;; ++attempt) {
    tmp_path = local_name + ".ferry-tmp-" + Guid::Random().ToHex().substr(0, 8);
    Result<std::unique_ptr<sys::File>> f = fs_->Open(tmp_path, sys::OpenMode::kCreateNew);
    if (f.ok()) {
      tmp = std::move(f).value();
      break;
    }
    if (f.status().code() != code::FromWin32(80) || attempt == 8) return f.status();
  }

  Status s = fs_->Copy(staging, *tmp, size);
  if (s.ok()) s = tmp->Sync();
  tmp.reset();  // close before rename
  if (s.ok()) s = fs_->Rename(tmp_path, local_name);
  if (!s.ok()) {
    if (Status r = fs_->Remove(tmp_path); !r.ok())
      log::Warn("deliver: cannot remove temporary {}: {}", tmp_path, r.ToString());
    return s;
  }
  if (s = fs_->SyncDir(dest_dir); !s.ok()) {
    // Not durable: take it away again; the staging file is still intact.
    if (Status r = fs_->Remove(local_name); !r.ok())
      log::Error("deliver: cannot remove {} after failed sync: {}", local_name, r.ToString());
    return s;
  }
  return Status::OK();
}

Status FsPayloadStore::DeliverToFd(const Guid& job, uint32_t file, int fd, uint64_t size) {
  std::unique_ptr<sys::File> dst = sys::AdoptFd(fd, "the client's file");
  const std::string staging_path = StagingPath(job, file);
  Result<sys::FileStatus> st = fs_->Stat(staging_path);
  if (!st.ok()) return st.status();
  if (!st->exists) return ErrnoStatus(ENOENT, "deliver: staging file " + staging_path);
  Result<std::unique_ptr<sys::File>> opened = fs_->Open(staging_path, sys::OpenMode::kRead);
  if (!opened.ok()) return opened.status();
  Result<uint64_t> have = (*opened)->Size();
  if (!have.ok()) return have.status();
  if (*have < size)
    return Status(CodeFromErrno(EIO), "deliver: staging file " + staging_path + " is short");
  if (Status s = dst->Truncate(0); !s.ok()) return s;
  if (Status s = fs_->Copy(**opened, *dst, size); !s.ok()) return s;
  if (Status s = dst->Sync(); !s.ok()) return s;
  return Status::OK();
}

std::string FsPayloadStore::BootId() { return fs_->BootId(); }

}  // namespace ferry::store
