// FileTransfer: one attempt of FileBackend (contract in file_backend.h).
// Internal to transfer/file.
#pragma once

#include <memory>

#include "core/ports.h"
#include "sys/event_loop.h"
#include "sys/executor.h"

namespace ferry::transfer {

class FileTransfer final : public core::ByteStream {
 public:
  FileTransfer(sys::EventLoop& loop, sys::Executor& workers, const core::ByteRequest& request,
               core::ByteSink* sink);
  ~FileTransfer() override;  // no sink call afterwards

  void Begin();
  void SetPaused(bool paused) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ferry::transfer
