#include "unit/core/fakes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "util/url.h"

namespace ferry::test {

// --- ManualExecutor ----------------------------------------------------------

void ManualExecutor::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    q_.push_back(std::move(fn));
  }
  cv_.notify_all();
}

size_t ManualExecutor::RunAll() {
  size_t n = 0;
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (q_.empty()) return n;
      fn = std::move(q_.front());
      q_.pop_front();
    }
    fn();
    ++n;
  }
}

size_t ManualExecutor::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return q_.size();
}

bool ManualExecutor::WaitForWork(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [this] { return !q_.empty(); });
}

// --- FakeJobStore ------------------------------------------------------------

Status FakeJobStore::LoadAll(std::vector<core::JobRecord>* jobs) {
  jobs->clear();
  for (auto& [id, r] : records) jobs->push_back(r);
  return Status::OK();
}

Status FakeJobStore::LoadStatistics(ServiceStatistics* out) {
  *out = statistics;
  return Status::OK();
}

Status FakeJobStore::Commit(std::span<const core::JobWrite> put, std::span<const Guid> remove,
                            std::span<const core::HistoryRecord> hist,
                            const ServiceStatistics* stats) {
  if (fail_next_commits > 0) {
    --fail_next_commits;
    ++failed_commits;
    return Status(code::FromWin32(5 /*ERROR_ACCESS_DENIED*/), "injected commit failure");
  }
  Batch b;
  for (const core::JobWrite& w : put) {
    // As the SQLite store does: the job's fields, then its files by index.
    core::JobRecord& r = records[w.job->id];
    std::vector<core::FileRecord> files = std::move(r.files);
    if (w.replace_files) files.clear();
    r = *w.job;
    for (const core::FileRecord& f : w.files) {
      if (files.size() <= f.index) files.resize(f.index + 1);
      files[f.index] = f;
    }
    r.files = std::move(files);
    b.put.push_back(r);
  }
  for (const Guid& g : remove) {
    records.erase(g);
    b.remove.push_back(g);
  }
  for (const auto& h : hist) {
    history.push_back(h);
    b.history.push_back(h);
  }
  if (stats) statistics = *stats;
  batches.push_back(std::move(b));
  return Status::OK();
}

Result<std::string> FakeJobStore::GetMeta(std::string_view key) {
  auto it = meta.find(key);
  return it == meta.end() ? std::string() : it->second;
}

Status FakeJobStore::SetMeta(std::string_view key, std::string_view value) {
  meta[std::string(key)] = std::string(value);
  return Status::OK();
}

// --- FakePayloadStore ----------------------------------------------------------

namespace {
Status Injected(const char* what) {
  return Status(code::FromWin32(112 /*ERROR_DISK_FULL*/), std::string("injected failure: ") + what);
}
}  // namespace

Status FakeStagingFile::Write(uint64_t offset, std::span<const std::byte> data) {
  {
    std::lock_guard<std::mutex> l(owner_->mu_);
    if (owner_->fail_next_writes > 0) {
      --owner_->fail_next_writes;
      return Injected("write");
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  if (data_.size() < offset + data.size()) data_.resize(offset + data.size());
  std::memcpy(data_.data() + offset, data.data(), data.size());
  return Status::OK();
}

Result<size_t> FakeStagingFile::Read(uint64_t offset, std::span<std::byte> out) {
  std::lock_guard<std::mutex> l(mu_);
  if (offset >= data_.size()) return size_t{0};
  size_t n = std::min<size_t>(out.size(), data_.size() - offset);
  std::memcpy(out.data(), data_.data() + offset, n);
  return n;
}

Status FakeStagingFile::Sync() {
  {
    std::lock_guard<std::mutex> l(owner_->mu_);
    if (owner_->fail_next_syncs > 0) {
      --owner_->fail_next_syncs;
      return Injected("sync");
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  synced_ = data_.size();
  ++sync_calls_;
  return Status::OK();
}

std::string FakeStagingFile::Contents() const {
  std::lock_guard<std::mutex> l(mu_);
  return data_;
}
void FakeStagingFile::SetContents(std::string s) {
  std::lock_guard<std::mutex> l(mu_);
  data_ = std::move(s);
}
uint64_t FakeStagingFile::synced() const {
  std::lock_guard<std::mutex> l(mu_);
  return synced_;
}
int FakeStagingFile::sync_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return sync_calls_;
}

Result<std::shared_ptr<core::StagingFile>> FakePayloadStore::Open(const Guid& job, uint32_t file,
                                                                  uint64_t) {
  std::lock_guard<std::mutex> l(mu_);
  if (fail_next_opens > 0) {
    --fail_next_opens;
    return Injected("open");
  }
  auto& f = files_[{job, file}];
  if (!f) f = std::make_shared<FakeStagingFile>(this);
  dirs_.insert(job);
  return std::shared_ptr<core::StagingFile>(f);
}

Result<uint64_t> FakePayloadStore::StagedSize(const Guid& job, uint32_t file) {
  std::shared_ptr<FakeStagingFile> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find({job, file});
    if (it == files_.end()) return uint64_t{0};
    f = it->second;
  }
  return static_cast<uint64_t>(f->Contents().size());
}

Status FakePayloadStore::Truncate(const Guid& job, uint32_t file, uint64_t size) {
  std::shared_ptr<FakeStagingFile> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    truncations.emplace_back(file, size);
    auto it = files_.find({job, file});
    if (it == files_.end()) return Status::OK();
    f = it->second;
  }
  std::string s = f->Contents();
  s.resize(std::min<uint64_t>(s.size(), size));
  f->SetContents(std::move(s));
  return Status::OK();
}

Status FakePayloadStore::Remove(const Guid& job, uint32_t file) {
  std::lock_guard<std::mutex> l(mu_);
  files_.erase({job, file});
  return Status::OK();
}

Status FakePayloadStore::RemoveJob(const Guid& job) {
  std::lock_guard<std::mutex> l(mu_);
  if (fail_remove_job > 0) {
    --fail_remove_job;
    return Injected("remove job");
  }
  for (auto it = files_.begin(); it != files_.end();)
    it = it->first.first == job ? files_.erase(it) : std::next(it);
  dirs_.erase(job);
  return Status::OK();
}

Result<std::vector<Guid>> FakePayloadStore::ListJobs() {
  std::lock_guard<std::mutex> l(mu_);
  return std::vector<Guid>(dirs_.begin(), dirs_.end());
}

Status FakePayloadStore::Deliver(const Guid& job, uint32_t file, const std::string& local_name,
                                 uint64_t size) {
  std::shared_ptr<FakeStagingFile> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (fail_next_delivers > 0) {
      --fail_next_delivers;
      return Injected("deliver");
    }
    if (fail_deliver_after == 0) {
      fail_deliver_after = -1;
      return Injected("deliver");
    }
    if (fail_deliver_after > 0) --fail_deliver_after;
    auto it = files_.find({job, file});
    if (it == files_.end()) return Status(code::FromWin32(2), "no staging file");
    f = it->second;
    files_.erase(it);
  }
  std::string s = f->Contents();
  if (s.size() < size) return Status(code::FromWin32(38 /*ERROR_HANDLE_EOF*/), "staging too short");
  s.resize(size);
  std::lock_guard<std::mutex> l(mu_);
  delivered_files[local_name] = std::move(s);
  return Status::OK();
}

std::string FakePayloadStore::BootId() { return boot_id; }

std::optional<std::string> FakePayloadStore::Staged(const Guid& job, uint32_t file) const {
  std::shared_ptr<FakeStagingFile> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find({job, file});
    if (it == files_.end()) return std::nullopt;
    f = it->second;
  }
  return f->Contents();
}

void FakePayloadStore::SetStaged(const Guid& job, uint32_t file, std::string contents) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = files_[{job, file}];
  if (!f) f = std::make_shared<FakeStagingFile>(this);
  f->SetContents(std::move(contents));
  dirs_.insert(job);
}

bool FakePayloadStore::HasJobDir(const Guid& job) const {
  std::lock_guard<std::mutex> l(mu_);
  return dirs_.count(job) > 0;
}

void FakePayloadStore::AddJobDir(const Guid& job) {
  std::lock_guard<std::mutex> l(mu_);
  dirs_.insert(job);
}

// --- Scripted transfers ------------------------------------------------------

namespace {
class ScriptedTransfer : public core::ByteStream {
 public:
  explicit ScriptedTransfer(std::shared_ptr<TransferHandle> h) : h_(std::move(h)) {}
  ~ScriptedTransfer() override { h_->alive = false; }
  void SetPaused(bool paused) override {
    h_->paused = paused;
    h_->pause_calls.push_back(paused);
  }

 private:
  std::shared_ptr<TransferHandle> h_;
};
}  // namespace

bool TransferHandle::Respond(const core::ByteResponse& r) {
  EXPECT_TRUE(alive && !done) << "Respond on a finished transfer";
  if (!alive || done) return false;
  return sink->OnResponse(r);
}

bool TransferHandle::Data(std::string_view bytes) {
  EXPECT_TRUE(alive && !done) << "Data on a finished transfer";
  if (!alive || done) return false;
  return sink->OnData(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

void TransferHandle::Done(core::ByteOutcome outcome) {
  EXPECT_TRUE(alive && !done) << "Done on a finished transfer";
  if (!alive || done) return;
  done = true;
  sink->OnDone(outcome);
}

void TransferHandle::Fail(int32_t c, bool transient, std::optional<std::chrono::seconds> retry_after) {
  core::ByteOutcome o;
  o.status = Status(c, "scripted failure");
  o.transient = transient;
  o.retry_after = retry_after;
  o.context = ErrorContext::kRemoteFile;
  o.protocol = "http";
  Done(o);
}

void TransferHandle::Serve(std::string_view body, std::string etag) {
  if (!Respond(Ok200(body.size(), std::move(etag)))) return;
  if (!body.empty() && !Data(body)) return;
  Done();
}

core::ByteResponse Ok200(uint64_t size, std::string etag) {
  core::ByteResponse r;
  r.status = 200;
  r.body_length = size;
  r.total_size = size;
  r.etag = std::move(etag);
  return r;
}

core::ByteResponse Partial206(uint64_t offset, uint64_t length, uint64_t total, std::string etag) {
  core::ByteResponse r;
  r.status = 206;
  r.partial = true;
  r.body_offset = offset;
  r.body_length = length;
  r.total_size = total;
  r.etag = std::move(etag);
  return r;
}

core::ByteOutcome OkWithConnections(uint32_t n) {
  core::ByteOutcome o;
  o.connections = n;
  return o;
}

core::ByteOutcome Aborted() {
  core::ByteOutcome o;
  o.status = Status(code::kUnexpected, "aborted by the sink");
  o.context = ErrorContext::kRemoteFile;
  return o;
}

bool ScriptedBackend::Supports(std::string_view scheme) const { return schemes.count(scheme) > 0; }

std::unique_ptr<core::ByteStream> ScriptedBackend::Start(const core::ByteRequest& request,
                                                         core::ByteSink* sink) {
  auto h = std::make_shared<TransferHandle>();
  h->request = request;
  h->sink = sink;
  started.push_back(h);
  return std::make_unique<ScriptedTransfer>(h);
}

std::vector<std::shared_ptr<TransferHandle>> ScriptedBackend::Alive() const {
  std::vector<std::shared_ptr<TransferHandle>> out;
  for (const auto& h : started)
    if (h->alive && !h->done) out.push_back(h);
  return out;
}

std::shared_ptr<TransferHandle> ScriptedBackend::AliveFor(std::string_view url) const {
  for (auto it = started.rbegin(); it != started.rend(); ++it)
    if ((*it)->alive && !(*it)->done && (*it)->request.url == url) return *it;
  return nullptr;
}

// --- FakeDigest --------------------------------------------------------------

namespace {
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr uint64_t kSeeds[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull,
                                0x0123456789abcdefull};

class FakeDigest : public core::Digest {
 public:
  FakeDigest() { std::copy(std::begin(kSeeds), std::end(kSeeds), h_); }
  void Update(std::span<const std::byte> data) override {
    for (std::byte b : data)
      for (int i = 0; i < 4; ++i) h_[i] = (h_[i] ^ static_cast<uint8_t>(b)) * kFnvPrime;
  }
  std::string FinalHex() override {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (uint64_t v : h_)
      for (int s = 60; s >= 0; s -= 4) out.push_back(hex[(v >> s) & 0xF]);
    return out;
  }

 private:
  uint64_t h_[4];
};
}  // namespace

std::string FakeDigestHex(std::string_view data) {
  FakeDigest d;
  d.Update(std::as_bytes(std::span(data.data(), data.size())));
  return d.FinalHex();
}

core::DigestFactory FakeDigestFactory() {
  return [] { return std::make_unique<FakeDigest>(); };
}

// --- RecordingConsumer -------------------------------------------------------

bool RecordingConsumer::OnEvent(const EngineEvent& e) {
  records.push_back({e, clock_->Now()});
  return answer ? answer(e) : true;
}

size_t RecordingConsumer::Count(EventKind kind) const {
  return std::count_if(records.begin(), records.end(),
                       [&](const Record& r) { return r.event.kind == kind; });
}

size_t RecordingConsumer::Count(EventKind kind, const Guid& job) const {
  return std::count_if(records.begin(), records.end(), [&](const Record& r) {
    return r.event.kind == kind && r.event.job == job;
  });
}

std::vector<sys::WallTime> RecordingConsumer::Times(EventKind kind) const {
  std::vector<sys::WallTime> out;
  for (const auto& r : records)
    if (r.event.kind == kind) out.push_back(r.at);
  return out;
}

std::vector<EventKind> RecordingConsumer::Kinds() const {
  std::vector<EventKind> out;
  for (const auto& r : records) out.push_back(r.event.kind);
  return out;
}

}  // namespace ferry::test
