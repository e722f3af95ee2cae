// StreamWriter: copies a growing byte source to a descriptor, in order, on
// its own thread, so that a slow or stalled reader never blocks the caller's
// event loop (the stream sinks of DO downloads, docs/download.md).
//
// The source is [0, available): the owner says how far it may be read with
// Offer() as it grows, and marks the end with `final`. The writer reads it
// through `read` (short reads are fine: it waits for the next Offer) and
// writes it to `fd` in order, never more than PIPE_BUF bytes per write(2)
// and only after poll(2) says the descriptor is writable. So the thread never
// blocks inside write(2) on a pipe, and the destructor (which wakes the
// thread through an eventfd) never waits for the reader. The descriptor's
// open file description is left as the client made it (no O_NONBLOCK).
//
// `done` is posted to `loop` exactly once: OK when every byte of a final
// source has been written (the descriptor is closed first, so that the reader
// sees end-of-file), or the error that stopped it: a reader that went away
// (EPIPE, POLLERR/POLLHUP) is ERROR_BROKEN_PIPE, any other write error its
// errno code, a read error or a source shorter than its final size the
// reader's status. The process must ignore SIGPIPE (ferryd does).
// A writer destroyed before it ends posts nothing, except that a `done` posted
// just before the destruction may still run: the owner guards its closure.
//
// Threading: Offer(), written() and the destructor from any one thread; `read`
// runs on the writer's thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>

#include "sys/executor.h"
#include "util/result.h"

namespace ferry::sys {

class StreamWriter {
 public:
  using Reader = std::function<Result<size_t>(uint64_t offset, std::span<std::byte> out)>;

  // Takes ownership of `fd` (closed when the writer ends or is destroyed).
  // E_INVALIDARG for a negative fd; an eventfd or thread failure as errno.
  static Result<std::unique_ptr<StreamWriter>> Start(int fd, Reader read, Executor& loop,
                                                     std::function<void(Status)> done);
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // [0, available) may be read now; `final`: that is the whole source. A
  // smaller `available` than before is ignored. Wakes the thread even when
  // nothing changed (a short read earlier is retried).
  void Offer(uint64_t available, bool final);
  // Bytes written to the descriptor so far.
  uint64_t written() const { return written_.load(); }

 private:
  StreamWriter(int fd, int wake_fd, Reader read, Executor& loop, std::function<void(Status)> done);
  void Run();
  Status Pump();
  Status WriteAll(std::span<const std::byte> data);
  bool WaitWake();
  void Wake();

  int fd_;
  int wake_fd_;
  Reader read_;
  Executor& loop_;
  std::function<void(Status)> done_;
  std::atomic<uint64_t> available_{0};
  std::atomic<bool> final_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace ferry::sys
