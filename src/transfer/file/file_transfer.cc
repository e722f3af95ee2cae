#include "transfer/file/file_transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "util/status_codes.h"
#include "util/url.h"

// Why chunks and not copy_file_range: every byte has to pass through the
// sink, which hashes it, counts it against the bandwidth budget and writes it
// to staging at the right offset; a kernel-side copy would bypass all three.

namespace ferry::transfer {

namespace {
constexpr size_t kChunkSize = 1 << 20;
constexpr size_t kMaxReadAhead = 3;  // chunks read but not yet delivered
constexpr uint32_t kErrorFileNotFound = 2;
constexpr uint32_t kErrorHandleEof = 38;

std::string HttpDate(time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

core::ByteOutcome Fail(int32_t code, std::string message, bool transient,
                       ErrorContext context = ErrorContext::kRemoteFile) {
  core::ByteOutcome outcome;
  outcome.status = Status(code, std::move(message));
  outcome.context = context;
  outcome.transient = transient;
  return outcome;
}
}  // namespace

struct FileTransfer::State : std::enable_shared_from_this<State> {
  State(sys::EventLoop& l, sys::Executor& w, const core::ByteRequest& r, core::ByteSink* s)
      : loop(l), workers(w), request(r), sink(s) {}
  ~State() {
    if (fd >= 0) ::close(fd);
  }

  sys::EventLoop& loop;
  sys::Executor& workers;
  const core::ByteRequest request;
  core::ByteSink* const sink;

  // Loop thread only.
  bool alive = true;
  bool paused = false;
  bool done = false;
  bool reading = false;
  int fd = -1;
  uint64_t next = 0;  // next offset to read
  uint64_t end = 0;   // one past the last offset to deliver
  std::deque<std::vector<std::byte>> ready;

  struct Opened {
    int fd = -1;
    int error = 0;
    struct stat st {};
  };

  void Open(std::string path) {
    workers.Post([self = shared_from_this(), path = std::move(path)] {
      Opened o;
      o.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (o.fd < 0) {
        o.error = errno;
      } else if (::fstat(o.fd, &o.st) != 0) {
        o.error = errno;
      } else if (S_ISDIR(o.st.st_mode)) {
        o.error = EISDIR;
      }
      self->loop.Post([self, o] { self->OnOpened(o); });
    });
  }

  void OnOpened(const Opened& o) {
    fd = o.fd;  // closed by the destructor, whatever happens next
    if (!alive) return;
    if (o.error != 0) {
      if (o.error == ENOENT || o.error == ENOTDIR)
        return Finish(Fail(code::FromWin32(kErrorFileNotFound), "source file not found", false));
      return Finish(Fail(CodeFromErrno(o.error), fmt::format("open source: {}", std::strerror(o.error)), false));
    }
    const uint64_t size = static_cast<uint64_t>(o.st.st_size);
    core::ByteResponse response;
    response.effective_url = request.url;
    response.total_size = size;
    int64_t mtime_ns = static_cast<int64_t>(o.st.st_mtim.tv_sec) * 1000000000 + o.st.st_mtim.tv_nsec;
    response.etag = fmt::format("\"{:x}-{:x}-{:x}\"", static_cast<uint64_t>(o.st.st_ino), size, mtime_ns);
    response.last_modified = HttpDate(o.st.st_mtim.tv_sec);

    bool ranged = request.offset > 0 || request.length.has_value();
    if (ranged && !request.if_range.empty() && request.if_range != response.etag &&
        request.if_range != response.last_modified)
      ranged = false;  // the source changed: whole file, as HTTP's If-Range does
    uint64_t offset = ranged ? request.offset : 0;
    if (ranged && request.length && *request.length == 0)
      return Finish(Fail(code::kInvalidRange, "empty range", false));
    if (ranged && offset >= size) {
      response.status = 416;
      if (!SendResponse(response)) return;
      return Finish(core::ByteOutcome{});
    }
    uint64_t available = size - offset;
    uint64_t length = ranged && request.length ? std::min(*request.length, available) : available;
    response.status = 200;
    response.partial = ranged;
    response.body_offset = offset;
    response.body_length = length;
    next = offset;
    end = offset + length;
    if (!SendResponse(response)) return;
    Pump();
  }

  // False when the attempt ended (aborted, or the ByteStream is gone).
  bool SendResponse(const core::ByteResponse& response) {
    auto self = shared_from_this();
    bool ok = sink->OnResponse(response);
    if (!alive) return false;
    if (!ok) {
      Finish(Fail(code::kUnexpected, "aborted", false, ErrorContext::kNone));
      return false;
    }
    return true;
  }

  void MaybeRead() {
    if (done || reading || paused || ready.size() >= kMaxReadAhead || next >= end) return;
    reading = true;
    uint64_t pos = next;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkSize, end - next));
    next += n;
    workers.Post([self = shared_from_this(), file = fd, pos, n] {
      std::vector<std::byte> buf(n);
      size_t got = 0;
      int error = 0;
      while (got < n) {
        ssize_t r = ::pread(file, buf.data() + got, n - got, static_cast<off_t>(pos + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
          error = errno;
          break;
        }
        if (r == 0) break;
        got += static_cast<size_t>(r);
      }
      buf.resize(got);
      self->loop.Post([self, buf = std::move(buf), error, n]() mutable {
        self->OnChunk(std::move(buf), error, n);
      });
    });
  }

  void OnChunk(std::vector<std::byte> buf, int error, size_t wanted) {
    reading = false;
    if (!alive || done) return;
    if (error != 0)
      return Finish(Fail(CodeFromErrno(error), fmt::format("read source: {}", std::strerror(error)), false));
    if (buf.size() < wanted)
      return Finish(Fail(code::FromWin32(kErrorHandleEof), "source file shrank while being read", true));
    ready.push_back(std::move(buf));
    Pump();
  }

  void Pump() {
    MaybeRead();  // overlap the next read with delivery
    auto self = shared_from_this();
    while (!paused && !done && !ready.empty()) {
      std::vector<std::byte> chunk = std::move(ready.front());
      ready.pop_front();
      bool ok = sink->OnData(chunk);
      if (!alive) return;
      if (!ok) return Finish(Fail(code::kUnexpected, "aborted", false, ErrorContext::kNone));
      MaybeRead();
    }
    if (!done && ready.empty() && !reading && next >= end) Finish(core::ByteOutcome{});
  }

  void Finish(core::ByteOutcome outcome) {
    if (done) return;
    done = true;
    ready.clear();
    outcome.protocol = "file";
    sink->OnDone(outcome);  // may destroy the Transfer
  }
};

FileTransfer::FileTransfer(sys::EventLoop& loop, sys::Executor& workers,
                           const core::ByteRequest& request, core::ByteSink* sink)
    : state_(std::make_shared<State>(loop, workers, request, sink)) {}

FileTransfer::~FileTransfer() { state_->alive = false; }

void FileTransfer::Begin() {
  std::string path = FileUrlPath(state_->request.url);
  if (path.empty()) {
    state_->loop.Post([s = state_] {
      if (s->alive) s->Finish(Fail(code::kInvalidArg, "not a local file URL", false));
    });
    return;
  }
  state_->Open(std::move(path));
}

void FileTransfer::SetPaused(bool paused) {
  State& s = *state_;
  if (s.paused == paused) return;
  s.paused = paused;
  if (paused || s.done) return;
  // Deliver from the loop, not from inside SetPaused.
  s.loop.Post([s = state_] {
    if (s->alive && !s->done && !s->paused) s->Pump();
  });
}

}  // namespace ferry::transfer
