// Global: one CURLM multi handle driven by a sys::EventLoop through the
// multi-socket interface (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION and
// curl_multi_socket_action), in the manner of MPD's CurlGlobal.
//
// Everything runs on the loop's thread. Completion messages are read with
// curl_multi_info_read after every socket action and dispatched to the
// finished Request, which is removed from the multi handle first.
//
// The first construction loads libcurl (lib/curl/api.h) and runs
// curl_global_init; neither is ever undone. When libcurl cannot be loaded the
// Global is not ok(): its Requests are not ok() either and never start.
//
// Lifetime: the loop outlives the Global, the Global outlives its Requests.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sys/event_loop.h"

namespace ferry::curl {

class Request;
struct RequestLink;

class Global {
 public:
  explicit Global(sys::EventLoop& loop);
  ~Global();
  Global(const Global&) = delete;
  Global& operator=(const Global&) = delete;

  sys::EventLoop& loop() { return loop_; }
  // False when libcurl could not be loaded or initialised; error() says why.
  bool ok() const { return multi_ != nullptr; }
  const std::string& error() const { return error_; }

 private:
  friend class Request;

  // Adds an easy handle. Inside a curl call (where libcurl refuses recursive
  // API calls) the add is deferred to the next loop turn. On a failed add the
  // request gets OnError(CURLE_FAILED_INIT) from the loop.
  void Add(const std::shared_ptr<RequestLink>& link);
  // Takes over an abandoned request's easy handle: removes it from the multi
  // handle and frees it now, or, inside a curl call, right after it returns.
  void Abandon(std::shared_ptr<RequestLink> link);
  // curl_easy_pause, counted as a curl call.
  void Pause(const std::shared_ptr<RequestLink>& link, int bitmask);

  void DoAdd(const std::shared_ptr<RequestLink>& link);
  void SocketAction(int fd, int flags);
  void AfterCurlCall();
  void ReadInfo();
  void FreeAbandoned();

  static int SocketFunction(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int TimerFunction(CURLM* multi, long timeout_ms, void* userp);

  sys::EventLoop& loop_;
  CURLM* multi_ = nullptr;
  uint64_t timer_id_ = 0;
  int depth_ = 0;             // nesting of curl calls that may run callbacks
  bool reading_info_ = false;
  bool closing_ = false;
  std::vector<std::shared_ptr<RequestLink>> abandoned_;
  std::string error_;
};

}  // namespace ferry::curl
