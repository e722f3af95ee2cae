// ByteSource: the HTTP-shaped port — one request for a byte range of a URL,
// answered with a status, validators (ETag, Last-Modified) and the body's
// bytes in order. src/transfer/http (libcurl) and src/transfer/file
// implement it; core's Attempt (core/file_attempt.h) turns it into a Fetch.
// A backend that is not byte-range shaped (peers) implements Fetch instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/types.h"
#include "util/result.h"

namespace ferry::core {

// DO's SecurityFlags bits (do-download.md §2). The HTTP backend maps what
// libcurl can express (docs/download.md).
namespace security_flag {
constexpr uint32_t kCheckRevocation = 0x1;
constexpr uint32_t kIgnoreUnknownCa = 0x100;
constexpr uint32_t kIgnoreWrongUsage = 0x200;
constexpr uint32_t kIgnoreCertCnInvalid = 0x1000;
constexpr uint32_t kIgnoreCertDateInvalid = 0x2000;
constexpr uint32_t kAll = kCheckRevocation | kIgnoreUnknownCa | kIgnoreWrongUsage |
                          kIgnoreCertCnInvalid | kIgnoreCertDateInvalid;
}  // namespace security_flag

struct ByteRequest {
  std::string url;
  uint64_t offset = 0;               // first byte wanted
  std::optional<uint64_t> length;    // exact byte count wanted; nullopt: to EOF
  std::string if_range;              // validator for If-Range; empty: none
  std::vector<std::string> headers;  // extra "Name: value" request headers
  ProxyUsage proxy_usage = ProxyUsage::kPreconfig;
  std::string proxy_list;
  std::string proxy_bypass;
  bool allow_https_to_http = false;
  uint32_t security_flags = 0;  // security_flag:: bits: TLS checks to skip
  std::string ca_file;          // extra trust anchor (tests, private CAs)
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds low_speed_time{60};  // abort when idle this long (transient)
};

struct ByteResponse {
  int status = 0;                       // HTTP status; 200 for file://
  bool partial = false;                 // body starts at body_offset (206)
  uint64_t body_offset = 0;             // remote offset of the first body byte
  uint64_t body_length = kSizeUnknown;  // bytes the body will carry, if known
  uint64_t total_size = kSizeUnknown;   // whole remote size, if known (also for 416)
  std::string etag;
  std::string last_modified;
  std::string effective_url;
};

// A finished attempt, as data.
struct ByteOutcome {
  Status status;  // OK: the body is complete
  ErrorContext context = ErrorContext::kNone;
  bool transient = false;
  std::optional<std::chrono::seconds> retry_after;
  std::string protocol;      // "http", "https", "file"
  uint32_t connections = 0;  // network connections this attempt opened (not reused ones)
};

// Receives one attempt's events on the engine thread, never from inside
// ByteSource::Start and never after the ByteStream is destroyed.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Once, before any data (also for 416, with no body following). Return
  // false to abort; OnDone follows with an aborted outcome.
  virtual bool OnResponse(const ByteResponse& response) = 0;
  // Body bytes in order. Return false to abort.
  virtual bool OnData(std::span<const std::byte> data) = 0;
  // Exactly once, last (unless the ByteStream was destroyed first).
  virtual void OnDone(const ByteOutcome& outcome) = 0;
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;  // aborts; no callback after destruction
  // Stops / restarts reading from the network (bandwidth budget).
  virtual void SetPaused(bool paused) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual bool Supports(std::string_view scheme) const = 0;
  virtual std::unique_ptr<ByteStream> Start(const ByteRequest& request, ByteSink* sink) = 0;
};

}  // namespace ferry::core
