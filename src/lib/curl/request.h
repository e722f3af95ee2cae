// Request: one easy handle on a Global, with a handler that receives the
// final response's headers, the body and the end (MPD's CurlRequest).
//
// All methods run on the loop thread. Handler calls come from the loop, from
// inside curl callbacks; never from inside a Request method.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lib/curl/api.h"
#include "lib/curl/global.h"
#include "lib/curl/string_list.h"

namespace ferry::curl {

// Response headers by lowercase name, values trimmed.
using Headers = std::multimap<std::string, std::string>;

// The first value of a header (name in lowercase), or nullptr.
const std::string* FindHeader(const Headers& headers, std::string_view lowercase_name);

struct Error {
  CURLcode code = CURLE_OK;
  std::string message;  // curl's error buffer, else curl_easy_strerror
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // The final response's status and headers: the first response with status
  // >= 200 that is not a redirect being followed (1xx, CONNECT replies and the
  // followed 3xx responses are skipped). Called at most once, before any
  // OnData; also before OnEnd when the body is empty. False aborts the
  // transfer: OnError(CURLE_WRITE_ERROR) follows.
  virtual bool OnHeaders(int status, const Headers& headers) = 0;
  // Body bytes (after transfer decoding; content decoding stays off unless the
  // user enables it). False aborts: OnError(CURLE_WRITE_ERROR) follows.
  virtual bool OnData(std::span<const std::byte> data) = 0;
  // Exactly one of OnEnd/OnError ends a started request; the easy handle is
  // already out of the multi handle, so the handler may destroy the Request.
  // OnEnd without OnHeaders means no HTTP response was seen.
  virtual void OnEnd() = 0;
  virtual void OnError(const Error& error) = 0;
};

// Per-easy-handle state that must outlive the Request while libcurl may still
// touch the handle (the abandoned-while-in-a-callback case). Internal.
struct RequestLink {
  Request* request = nullptr;  // null once the Request is gone
  CURL* easy = nullptr;
  bool in_multi = false;
  bool want_paused = false;
  StringList headers;
  char error[CURL_ERROR_SIZE] = {};
};

class Request {
 public:
  // Creates the easy handle with the callbacks set, CURLOPT_NOSIGNAL and
  // CURLOPT_SUPPRESS_CONNECT_HEADERS on. `global` and `handler` must outlive
  // the Request.
  Request(Global& global, RequestHandler& handler);
  // Stops the transfer: no handler call after this returns. Safe from inside
  // handler callbacks (the handle is then freed once libcurl returns).
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // False when the easy handle could not be created (or libcurl is not
  // loaded: Global::ok()).
  bool ok() const { return link_->easy != nullptr; }

  // curl_easy_setopt. Strings are copied by libcurl.
  template <typename T>
  CURLcode SetOption(CURLoption option, T value) {
    return api().easy_setopt(link_->easy, option, value);
  }
  // CURLOPT_FOLLOWLOCATION and CURLOPT_MAXREDIRS; max 0 turns following off.
  CURLcode SetFollowRedirects(long max_redirects);
  // CURLOPT_HTTPHEADER; the list is kept alive as long as the handle.
  CURLcode SetHeaders(StringList headers);

  // Adds the handle to the multi handle. Call once. Handler calls follow from
  // the loop, never from inside Start().
  void Start();
  // curl_easy_pause(CURLPAUSE_RECV): no OnData until Resume().
  void Pause();
  // Unpauses on the next loop turn (libcurl may deliver buffered data from
  // inside curl_easy_pause; deferring keeps handler calls out of the caller).
  void Resume();

  std::string EffectiveUrl() const;  // CURLINFO_EFFECTIVE_URL, "" if unknown
  long RedirectCount() const;        // CURLINFO_REDIRECT_COUNT
  // CURLINFO_NUM_CONNECTS: the connections libcurl had to open for this
  // transfer (0 when it reused one from the multi handle's pool). Meaningful
  // from OnEnd/OnError on.
  long NewConnections() const;

 private:
  friend class Global;

  void Done(CURLcode result);
  bool OnHeaderLine(std::string_view line);
  bool DeliverHeaders();

  static size_t HeaderFunction(char* data, size_t size, size_t n, void* userp);
  static size_t WriteFunction(char* data, size_t size, size_t n, void* userp);

  Global& global_;
  RequestHandler& handler_;
  std::shared_ptr<RequestLink> link_;
  bool follow_ = false;
  int status_ = 0;  // of the response being received
  Headers headers_;
  bool headers_delivered_ = false;
};

}  // namespace ferry::curl
