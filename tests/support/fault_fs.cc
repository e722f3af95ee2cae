#include "support/fault_fs.h"

#include <algorithm>
#include <cstddef>

#include "util/status_codes.h"

namespace ferry::test {
namespace {

std::string Normalize(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Parent(const std::string& path) {
  size_t pos = path.rfind('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

bool IsAtOrUnder(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Reads up to `length` bytes at `offset`; stops early at EOF or on error.
std::string ReadRange(sys::File& file, uint64_t offset, uint64_t length) {
  std::string out(length, '\0');
  size_t got = 0;
  while (got < length) {
    auto r = file.Read(offset + got, std::as_writable_bytes(std::span(out.data() + got, length - got)));
    if (!r.ok() || *r == 0) break;
    got += *r;
  }
  out.resize(got);
  return out;
}

std::optional<std::string> ReadWhole(sys::FileSystem* fs, const std::string& path) {
  auto f = fs->Open(path, sys::OpenMode::kRead);
  if (!f.ok()) return std::nullopt;
  auto size = (*f)->Size();
  if (!size.ok()) return std::nullopt;
  return ReadRange(**f, 0, *size);
}

}  // namespace

struct FaultInjectionFileSystem::FileState {
  bool created = false;           // did not exist when first opened through us
  bool creation_durable = false;  // a SyncDir of its directory followed creation
  bool ever_synced = false;
  uint64_t synced_size = 0;
  // Original bytes of synced regions overwritten since the last Sync, oldest
  // first. Applied newest first, so the oldest (the synced) bytes win.
  std::vector<std::pair<uint64_t, std::string>> undo;
};

class FaultInjectionFileSystem::FaultFile : public sys::File {
 public:
  FaultFile(FaultInjectionFileSystem* fs, std::unique_ptr<sys::File> inner,
            std::shared_ptr<FileState> state)
      : fs_(fs), inner_(std::move(inner)), state_(std::move(state)) {}

  sys::File& inner() { return *inner_; }
  FileState& state() { return *state_; }

  Status Write(uint64_t offset, std::span<const std::byte> data) override {
    if (Status s = fs_->Check("write"); !s.ok()) return s;
    std::lock_guard lock(fs_->mu_);
    SaveUndo(*state_, *inner_, offset, data.size());
    return inner_->Write(offset, data);
  }
  Result<size_t> Read(uint64_t offset, std::span<std::byte> out) override {
    return inner_->Read(offset, out);
  }
  Status Sync() override {
    if (Status s = fs_->Check("sync"); !s.ok()) return s;
    std::lock_guard lock(fs_->mu_);
    Status s = inner_->Sync();
    if (!s.ok()) return s;
    auto size = inner_->Size();
    if (!size.ok()) return size.status();
    state_->synced_size = *size;
    state_->ever_synced = true;
    state_->undo.clear();
    return s;
  }
  Status Preallocate(uint64_t offset, uint64_t length) override {
    if (Status s = fs_->Check("preallocate"); !s.ok()) return s;
    return inner_->Preallocate(offset, length);
  }
  Status Truncate(uint64_t size) override {
    if (Status s = fs_->Check("truncate"); !s.ok()) return s;
    std::lock_guard lock(fs_->mu_);
    if (size < state_->synced_size) SaveUndo(*state_, *inner_, size, state_->synced_size - size);
    return inner_->Truncate(size);
  }
  Result<uint64_t> Size() override { return inner_->Size(); }

 private:
  FaultInjectionFileSystem* fs_;
  std::unique_ptr<sys::File> inner_;
  std::shared_ptr<FileState> state_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(sys::FileSystem* target)
    : FileSystemWrapper(target) {}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::FailAfter(uint64_t n, int err) {
  std::lock_guard lock(mu_);
  fail_after_ = n;
  fail_nth_.reset();
  fail_errno_ = err;
}

void FaultInjectionFileSystem::FailNth(uint64_t n, int err) {
  std::lock_guard lock(mu_);
  fail_nth_ = n;
  fail_after_.reset();
  fail_errno_ = err;
}

void FaultInjectionFileSystem::Reset() {
  std::lock_guard lock(mu_);
  fail_after_.reset();
  fail_nth_.reset();
  ops_ = 0;
  failures_ = 0;
}

uint64_t FaultInjectionFileSystem::operation_count() const {
  std::lock_guard lock(mu_);
  return ops_;
}

uint64_t FaultInjectionFileSystem::injected_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

Status FaultInjectionFileSystem::Check(const char* op) {
  std::lock_guard lock(mu_);
  uint64_t n = ++ops_;
  bool fail = (fail_after_ && n > *fail_after_) || (fail_nth_ && n == *fail_nth_);
  if (!fail) return Status::OK();
  ++failures_;
  return ErrnoStatus(fail_errno_, std::string("injected ") + op);
}

void FaultInjectionFileSystem::SaveUndo(FileState& state, sys::File& file, uint64_t offset,
                                        uint64_t length) {
  if (offset >= state.synced_size || length == 0) return;
  uint64_t end = std::min(offset + length, state.synced_size);
  state.undo.emplace_back(offset, ReadRange(file, offset, end - offset));
}

void FaultInjectionFileSystem::MoveStates(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> moved;
  for (auto it = files_.begin(); it != files_.end();) {
    if (IsAtOrUnder(it->first, from)) {
      moved.emplace_back(to + it->first.substr(from.size()), std::move(it->second));
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, state] : moved) files_[path] = std::move(state);
}

Result<std::unique_ptr<sys::File>> FaultInjectionFileSystem::Open(const std::string& path,
                                                                  sys::OpenMode mode) {
  if (mode == sys::OpenMode::kRead) return target()->Open(path, mode);
  if (Status s = Check("open"); !s.ok()) return s;
  std::string key = Normalize(path);
  std::lock_guard lock(mu_);
  std::shared_ptr<FileState> state;
  auto it = files_.find(key);
  if (it != files_.end()) {
    state = it->second;
  } else {
    state = std::make_shared<FileState>();
    auto st = target()->Stat(path);
    if (st.ok() && st->exists && !st->is_directory) {
      state->synced_size = st->size;
      state->ever_synced = true;
      state->creation_durable = true;
    } else {
      state->created = true;
    }
  }
  if (mode == sys::OpenMode::kTruncate && state->synced_size > 0) {
    if (auto reader = target()->Open(path, sys::OpenMode::kRead); reader.ok()) {
      SaveUndo(*state, **reader, 0, state->synced_size);
    }
  }
  auto file = target()->Open(path, mode);
  if (!file.ok()) return file.status();
  files_[key] = state;
  return std::unique_ptr<sys::File>(
      std::make_unique<FaultFile>(this, std::move(file).value(), std::move(state)));
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  if (Status s = Check("rename"); !s.ok()) return s;
  std::string f = Normalize(from), t = Normalize(to);
  std::lock_guard lock(mu_);
  PendingRename pending{f, t, std::nullopt, nullptr};
  auto st = target()->Stat(to);
  if (st.ok() && st->exists && !st->is_directory) pending.replaced_content = ReadWhole(target(), to);
  Status s = target()->Rename(from, to);
  if (!s.ok()) return s;
  if (auto it = files_.find(t); it != files_.end()) {
    pending.replaced_state = std::move(it->second);
    files_.erase(it);
  }
  MoveStates(f, t);
  renames_.push_back(std::move(pending));
  return s;
}

Status FaultInjectionFileSystem::Link(const std::string& from, const std::string& to) {
  if (Status s = Check("link"); !s.ok()) return s;
  return target()->Link(from, to);
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  if (Status s = Check("remove"); !s.ok()) return s;
  Status s = target()->Remove(path);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(Normalize(path));
  }
  return s;
}

Status FaultInjectionFileSystem::RemoveDir(const std::string& path) {
  if (Status s = Check("removedir"); !s.ok()) return s;
  Status s = target()->RemoveDir(path);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    std::string dir = Normalize(path);
    std::erase_if(files_, [&](const auto& e) { return IsAtOrUnder(e.first, dir); });
  }
  return s;
}

Status FaultInjectionFileSystem::CreateDirs(const std::string& path, uint32_t mode) {
  if (Status s = Check("createdirs"); !s.ok()) return s;
  return target()->CreateDirs(path, mode);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& path) {
  if (Status s = Check("syncdir"); !s.ok()) return s;
  Status s = target()->SyncDir(path);
  if (!s.ok()) return s;
  std::string dir = Normalize(path);
  std::lock_guard lock(mu_);
  for (auto& [file, state] : files_) {
    if (Parent(file) == dir) state->creation_durable = true;
  }
  std::erase_if(renames_, [&](const PendingRename& r) { return Parent(r.to) == dir; });
  return s;
}

Status FaultInjectionFileSystem::Copy(sys::File& from, sys::File& to, uint64_t length) {
  if (Status s = Check("copy"); !s.ok()) return s;
  auto* ff = dynamic_cast<FaultFile*>(&from);
  auto* ft = dynamic_cast<FaultFile*>(&to);
  sys::File& src = ff ? ff->inner() : from;
  sys::File& dst = ft ? ft->inner() : to;
  std::lock_guard lock(mu_);
  if (ft) SaveUndo(ft->state(), dst, 0, length);
  return target()->Copy(src, dst, length);
}

Status FaultInjectionFileSystem::RestoreFile(const std::string& path, const FileState& state) {
  auto st = target()->Stat(path);
  if (!st.ok()) return st.status();
  if (!st->exists || st->is_directory) return Status::OK();
  if (state.created && !state.ever_synced) {
    if (!state.creation_durable) return target()->Remove(path);
  }
  auto file = target()->Open(path, sys::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  uint64_t size = state.created && !state.ever_synced ? 0 : state.synced_size;
  if (Status s = (*file)->Truncate(size); !s.ok()) return s;
  for (auto it = state.undo.rbegin(); it != state.undo.rend(); ++it) {
    if (it->first >= size) continue;
    std::string_view bytes = it->second;
    bytes = bytes.substr(0, std::min<uint64_t>(bytes.size(), size - it->first));
    if (Status s = (*file)->Write(it->first, std::as_bytes(std::span(bytes.data(), bytes.size())));
        !s.ok()) {
      return s;
    }
  }
  return (*file)->Sync();
}

Status FaultInjectionFileSystem::DropUnsyncedData() {
  std::lock_guard lock(mu_);
  Status first;
  auto note = [&](const Status& s) {
    if (!s.ok() && first.ok()) first = s;
  };
  for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
    auto st = target()->Stat(it->to);
    if (!st.ok() || !st->exists) continue;
    Status s = target()->Rename(it->to, it->from);
    note(s);
    if (!s.ok()) continue;
    MoveStates(it->to, it->from);
    if (it->replaced_content) {
      auto file = target()->Open(it->to, sys::OpenMode::kTruncate);
      note(file.status());
      if (file.ok()) {
        const std::string& c = *it->replaced_content;
        note((*file)->Write(0, std::as_bytes(std::span(c.data(), c.size()))));
        note((*file)->Sync());
      }
    }
    if (it->replaced_state) files_[it->to] = std::move(it->replaced_state);
  }
  for (const auto& [path, state] : files_) note(RestoreFile(path, *state));
  files_.clear();
  renames_.clear();
  return first;
}

void FaultInjectionFileSystem::MarkAllDurable() {
  std::lock_guard lock(mu_);
  files_.clear();
  renames_.clear();
}

}  // namespace ferry::test
