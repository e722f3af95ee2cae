// FileBackend: core::ByteSource for file:// URLs (local files and LAN
// shares mounted locally).
//
// One Start() reads the source on a worker in 1 MiB chunks and hands them to
// the sink on the loop thread, in the same order of events as HTTP:
//
//   OnResponse  once: status 200, partial = (offset > 0 or a length is set),
//               body_offset = offset, body_length = the bytes that will follow
//               (a length reaching past the end is cut at the end, like a 206),
//               total_size = the file's size, etag = a strong validator made
//               of inode, size and mtime, last_modified = mtime as an
//               HTTP-date. A range starting at or past the end of the file
//               gets status 416 with total_size, no data, then OnDone(OK).
//               If-Range is honoured like HTTP: when the request's if_range
//               matches neither validator, the whole file comes back
//               (status 200, partial = false, body_offset 0).
//   OnData*     the bytes, in order;
//   OnDone      exactly once, last.
//
// Failures (OnDone, context REMOTE_FILE, protocol "file"): a missing source
// (or missing directory) is HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) =
// 0x80070002, fatal; other open/read errors are the errno's code, fatal; a
// source that shrinks while being read is HRESULT_FROM_WIN32(ERROR_HANDLE_EOF),
// transient (the next attempt sees the new size); a sink returning false ends
// with E_UNEXPECTED "aborted".
//
// At most a few chunks are read ahead of the sink; SetPaused(true) stops
// delivery (and, once the read-ahead is full, reading).
//
// Threading: Start, SetPaused and the destructor on the loop thread; the
// sink is called only there, never from inside Start or SetPaused. The loop
// and the workers must outlive every ByteStream's pending work (the workers'
// closures keep the file open until they finish, even after the Transfer is
// destroyed).
#pragma once

#include <memory>
#include <string_view>

#include "core/ports.h"
#include "sys/event_loop.h"
#include "sys/executor.h"

namespace ferry::transfer {

class FileBackend final : public core::ByteSource {
 public:
  FileBackend(sys::EventLoop& loop, sys::Executor& workers) : loop_(loop), workers_(workers) {}

  // "file".
  bool Supports(std::string_view scheme) const override { return scheme == "file"; }
  std::unique_ptr<core::ByteStream> Start(const core::ByteRequest& request,
                                          core::ByteSink* sink) override;

 private:
  sys::EventLoop& loop_;
  sys::Executor& workers_;
};

}  // namespace ferry::transfer
