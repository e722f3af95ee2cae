// HttpTransfer: one attempt of HttpBackend (contract in http_backend.h).
// Internal to transfer/http.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/ports.h"
#include "lib/curl/request.h"
#include "sys/event_loop.h"

namespace ferry::transfer {

class HttpTransfer final : public core::ByteStream, private curl::RequestHandler {
 public:
  HttpTransfer(curl::Global& global, sys::EventLoop& loop, const core::ByteRequest& request,
               core::ByteSink* sink);
  // Stops the attempt; no sink call afterwards, even one already posted.
  ~HttpTransfer() override;

  // Configures and starts the request; a request that cannot start gets its
  // failing OnDone posted to the loop.
  void Begin();
  void SetPaused(bool paused) override;

 private:
  bool OnHeaders(int status, const curl::Headers& headers) override;
  bool OnData(std::span<const std::byte> data) override;
  void OnEnd() override;
  void OnError(const curl::Error& error) override;

  // Ends the attempt with `outcome` once the transfer stops: remembered, and
  // delivered by OnEnd/OnError (the handler aborts the body with false).
  bool AbortWith(core::ByteOutcome outcome);
  core::ByteOutcome Fail(int32_t code, std::string message, ErrorContext context, bool transient);
  bool SendResponse(const core::ByteResponse& response);
  // Calls sink->OnDone once; `this` may be gone afterwards.
  void Finish(core::ByteOutcome outcome);
  std::string Protocol() const;

  sys::EventLoop& loop_;
  core::ByteSink* sink_;
  core::ByteRequest request_;
  curl::Request curl_;
  std::string global_error_;  // why libcurl is unavailable, if it is
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<core::ByteOutcome> pending_;  // outcome decided before the end
  bool response_sent_ = false;
  bool done_ = false;
  bool paused_ = false;
  int status_ = 0;
  uint64_t expected_ = kSizeUnknown;  // body bytes announced
  uint64_t received_ = 0;
};

}  // namespace ferry::transfer
