#include "transfer/file/file_backend.h"

#include "transfer/file/file_transfer.h"

namespace ferry::transfer {

std::unique_ptr<core::Transfer> FileBackend::Start(const core::TransferRequest& request,
                                                   core::TransferSink* sink) {
  auto transfer = std::make_unique<FileTransfer>(loop_, workers_, request, sink);
  transfer->Begin();
  return transfer;
}

}  // namespace ferry::transfer
