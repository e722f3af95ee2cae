#include "sys/stream_writer.h"

#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "util/status_codes.h"

namespace ferry::sys {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// One write(2) after POLLOUT: a pipe with a free slot takes PIPE_BUF bytes
// without blocking, so the thread never sleeps inside write(2).
constexpr size_t kWriteChunk = PIPE_BUF;

Status BrokenPipe() {
  return Status(code::FromWin32(109),
                "the stream's reader went away (EPIPE): nothing reads the descriptor any more");
}

Status Stopped() { return Status(code::kUnexpected, "the stream writer was stopped"); }

}  // namespace

Result<std::unique_ptr<StreamWriter>> StreamWriter::Start(int fd, Reader read, Executor& loop,
                                                          std::function<void(Status)> done) {
  if (fd < 0) return Status(code::kInvalidArg, "no descriptor to stream into");
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    Status s = ErrnoStatus(errno, "eventfd");
    ::close(fd);
    return s;
  }
  std::unique_ptr<StreamWriter> w(
      new StreamWriter(fd, wake, std::move(read), loop, std::move(done)));
  try {
    w->thread_ = std::thread([raw = w.get()] { raw->Run(); });
  } catch (const std::system_error& e) {
    ::close(w->fd_);
    w->fd_ = -1;
    return Status(code::kUnexpected, fmt::format("cannot start the stream thread: {}", e.what()));
  }
  return w;
}

StreamWriter::StreamWriter(int fd, int wake_fd, Reader read, Executor& loop,
                           std::function<void(Status)> done)
    : fd_(fd), wake_fd_(wake_fd), read_(std::move(read)), loop_(loop), done_(std::move(done)) {}

StreamWriter::~StreamWriter() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  ::close(wake_fd_);
}

void StreamWriter::Offer(uint64_t available, bool final) {
  uint64_t have = available_.load();
  while (available > have && !available_.compare_exchange_weak(have, available)) {
  }
  if (final) final_ = true;  // after available_: a reader that sees final sees the end
  Wake();
}

void StreamWriter::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void StreamWriter::Run() {
  pthread_setname_np(pthread_self(), "ferry-stream");
  Status s = Pump();
  // The reader sees end-of-file (or the end of what it will get) now.
  ::close(fd_);
  fd_ = -1;
  if (stop_) return;
  loop_.Post([done = std::move(done_), s] { done(s); });
}

// Copies the source to the descriptor until it ends, fails or is stopped.
Status StreamWriter::Pump() {
  std::vector<std::byte> buf(kReadChunk);
  uint64_t off = 0;
  for (;;) {
    if (stop_) return Stopped();
    bool final = final_.load();  // before available_: see Offer()
    uint64_t available = available_.load();
    if (off >= available) {
      if (final) return Status::OK();
      if (!WaitWake()) return stop_ ? Stopped() : BrokenPipe();
      continue;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), available - off));
    auto got = read_(off, std::span(buf.data(), want));
    if (!got.ok()) return got.status();
    if (*got == 0) {
      if (final)
        return Status(code::kUnexpected,
                      fmt::format("the source ended at {} of {} bytes", off, available));
      if (!WaitWake()) return stop_ ? Stopped() : BrokenPipe();
      continue;
    }
    if (Status s = WriteAll(std::span(buf.data(), *got)); !s.ok()) return s;
    off += *got;
  }
}

// Sleeps until Offer() or the destructor wakes the thread; false when the
// descriptor reports an error or hang-up meanwhile (its reader is gone), or
// on a stop.
bool StreamWriter::WaitWake() {
  for (;;) {
    pollfd p[2] = {{wake_fd_, POLLIN, 0}, {fd_, 0, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (p[1].revents & (POLLERR | POLLHUP | POLLNVAL)) return false;
    if (p[0].revents & POLLIN) {
      uint64_t n;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof n);
      return !stop_;
    }
  }
}

Status StreamWriter::WriteAll(std::span<const std::byte> data) {
  while (!data.empty()) {
    pollfd p[2] = {{fd_, POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll the stream's descriptor");
    }
    if (stop_) return Stopped();
    if (p[1].revents & POLLIN) {  // an Offer: Pump() reads the new size afterwards
      uint64_t n;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof n);
    }
    if (!(p[0].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL))) continue;
    ssize_t n = ::write(fd_, data.data(), std::min(data.size(), kWriteChunk));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE) return BrokenPipe();
      return ErrnoStatus(errno, "write to the stream's descriptor");
    }
    written_ += static_cast<uint64_t>(n);
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace ferry::sys
