#include "transfer/http/http_backend.h"

#include "lib/curl/global.h"
#include "transfer/http/http_transfer.h"

namespace ferry::transfer {

HttpBackend::HttpBackend(sys::EventLoop& loop) : loop_(loop) {}

HttpBackend::~HttpBackend() = default;

bool HttpBackend::Supports(std::string_view scheme) const { return scheme == "http" || scheme == "https"; }

std::unique_ptr<core::ByteStream> HttpBackend::Start(const core::ByteRequest& request,
                                                     core::ByteSink* sink) {
  // libcurl (and through it OpenSSL) is initialised by the first transfer, not
  // at start: an idle ferryd never touches those pages (about 2 MiB of RSS).
  if (global_ == nullptr) global_ = std::make_unique<curl::Global>(loop_);
  auto transfer = std::make_unique<HttpTransfer>(*global_, loop_, request, sink);
  transfer->Begin();
  return transfer;
}

}  // namespace ferry::transfer
