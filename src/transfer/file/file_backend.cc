#include "transfer/file/file_backend.h"

#include "transfer/file/file_transfer.h"

namespace ferry::transfer {

std::unique_ptr<core::ByteStream> FileBackend::Start(const core::ByteRequest& request,
                                                     core::ByteSink* sink) {
  auto transfer = std::make_unique<FileTransfer>(loop_, workers_, request, sink);
  transfer->Begin();
  return transfer;
}

}  // namespace ferry::transfer
