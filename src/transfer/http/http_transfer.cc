#include "transfer/http/http_transfer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "transfer/http/curl_outcome.h"
#include "transfer/http/request_options.h"
#include "util/http_header.h"
#include "util/url.h"

namespace ferry::transfer {

namespace {
bool IsTransientHttpStatus(int status) { return status == 408 || status == 429 || (status >= 500 && status < 600); }
}  // namespace

HttpTransfer::HttpTransfer(curl::Global& global, sys::EventLoop& loop,
                           const core::ByteRequest& request, core::ByteSink* sink)
    : loop_(loop),
      sink_(sink),
      request_(request),
      curl_(global, *this),
      global_error_(global.error()) {}

HttpTransfer::~HttpTransfer() { *alive_ = false; }

void HttpTransfer::Begin() {
  Status status = curl_.ok() ? ConfigureRequest(curl_, request_)
                             : Status(code::kUnexpected, global_error_.empty() ? "curl_easy_init failed"
                                                                              : global_error_);
  if (status.ok()) {
    curl_.Start();
    return;
  }
  core::ByteOutcome outcome;
  outcome.status = status;
  outcome.context = ErrorContext::kRemoteFile;
  outcome.transient = false;
  outcome.protocol = UrlScheme(request_.url);
  std::weak_ptr<bool> alive = alive_;
  loop_.Post([this, alive, outcome = std::move(outcome)] {
    auto a = alive.lock();
    if (a && *a) Finish(outcome);
  });
}

void HttpTransfer::SetPaused(bool paused) {
  if (paused_ == paused) return;
  paused_ = paused;
  if (done_) return;
  if (paused) {
    curl_.Pause();
  } else {
    curl_.Resume();
  }
}

core::ByteOutcome HttpTransfer::Fail(int32_t code, std::string message, ErrorContext context,
                                     bool transient) {
  core::ByteOutcome outcome;
  outcome.status = Status(code, std::move(message));
  outcome.context = context;
  outcome.transient = transient;
  return outcome;
}

bool HttpTransfer::AbortWith(core::ByteOutcome outcome) {
  if (!pending_) pending_ = std::move(outcome);
  return false;
}

bool HttpTransfer::SendResponse(const core::ByteResponse& response) {
  response_sent_ = true;
  std::shared_ptr<bool> alive = alive_;
  bool ok = sink_->OnResponse(response);
  if (!*alive) return false;
  if (!ok) return AbortWith(Fail(code::kUnexpected, "aborted", ErrorContext::kNone, false));
  return true;
}

bool HttpTransfer::OnHeaders(int status, const curl::Headers& headers) {
  status_ = status;
  core::ByteResponse response;
  response.status = status;
  response.effective_url = curl_.EffectiveUrl();
  if (const std::string* etag = curl::FindHeader(headers, "etag")) response.etag = *etag;
  if (const std::string* lm = curl::FindHeader(headers, "last-modified")) response.last_modified = *lm;

  if (status >= 200 && status < 300) {
    if (status == 206) {
      const std::string* value = curl::FindHeader(headers, "content-range");
      std::optional<ContentRange> range = value ? ParseContentRange(*value) : std::nullopt;
      if (!range)
        return AbortWith(Fail(code::kHttpBlocksizeMismatch, "206 without a valid Content-Range",
                              ErrorContext::kRemoteFile, false));
      if (range->first != request_.offset)
        return AbortWith(Fail(code::kHttpBlocksizeMismatch,
                              fmt::format("206 starts at byte {}, {} was asked", range->first, request_.offset),
                              ErrorContext::kRemoteFile, false));
      response.partial = true;
      response.body_offset = range->first;
      response.body_length = range->last - range->first + 1;
      response.total_size = range->total.value_or(kSizeUnknown);
    } else if (const std::string* length = curl::FindHeader(headers, "content-length")) {
      if (std::optional<uint64_t> n = ParseUint64(*length)) {
        response.body_length = *n;
        response.total_size = *n;
      }
    }
    expected_ = response.body_length;
    return SendResponse(response);
  }

  if (status == 416) {
    if (const std::string* value = curl::FindHeader(headers, "content-range")) {
      if (std::optional<uint64_t> total = ParseUnsatisfiedRangeTotal(*value)) response.total_size = *total;
    }
    if (!SendResponse(response)) return false;
    // The (useless) body is cut off; the attempt ends well.
    return AbortWith(core::ByteOutcome{});
  }

  core::ByteOutcome outcome =
      Fail(code::HttpError(status),
           fmt::format("HTTP {} from {}", status, RedactUrl(response.effective_url)),
           ErrorContext::kRemoteFile, IsTransientHttpStatus(status));
  if (const std::string* value = curl::FindHeader(headers, "retry-after"))
    outcome.retry_after = ParseRetryAfter(*value, std::chrono::system_clock::now());
  return AbortWith(std::move(outcome));
}

bool HttpTransfer::OnData(std::span<const std::byte> data) {
  if (pending_) return false;
  if (expected_ != kSizeUnknown && data.size() > expected_ - received_)
    return AbortWith(Fail(code::kHttpBlocksizeMismatch,
                          fmt::format("server sent more than the {} bytes it announced", expected_),
                          ErrorContext::kRemoteFile, false));
  received_ += data.size();
  std::shared_ptr<bool> alive = alive_;
  bool ok = sink_->OnData(data);
  if (!*alive) return false;
  if (!ok) return AbortWith(Fail(code::kUnexpected, "aborted", ErrorContext::kNone, false));
  return true;
}

void HttpTransfer::OnEnd() {
  if (pending_) return Finish(*pending_);
  if (!response_sent_)
    return Finish(Fail(code::kConnectionReset, "no HTTP response", ErrorContext::kGeneralTransport, true));
  if (expected_ != kSizeUnknown && received_ < expected_)
    return Finish(Fail(code::kConnectionReset,
                       fmt::format("body ended after {} of {} bytes", received_, expected_),
                       ErrorContext::kGeneralTransport, true));
  Finish(core::ByteOutcome{});
}

void HttpTransfer::OnError(const curl::Error& error) {
  if (pending_) return Finish(*pending_);
  Finish(OutcomeFromCurlError(error, curl_.RedirectCount() > 0));
}

std::string HttpTransfer::Protocol() const {
  std::string scheme = UrlScheme(curl_.EffectiveUrl());
  return scheme.empty() ? UrlScheme(request_.url) : scheme;
}

void HttpTransfer::Finish(core::ByteOutcome outcome) {
  if (done_) return;
  done_ = true;
  if (outcome.protocol.empty()) outcome.protocol = Protocol();
  if (curl_.ok()) outcome.connections = static_cast<uint32_t>(std::max(0L, curl_.NewConnections()));
  sink_->OnDone(outcome);  // may destroy this
}

}  // namespace ferry::transfer
