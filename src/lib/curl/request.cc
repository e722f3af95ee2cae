#include "lib/curl/request.h"

#include <cctype>

#include "lib/curl/api.h"

#include "util/http_header.h"
#include "util/log.h"

namespace ferry::curl {

namespace {
// Status line "HTTP/1.1 200 OK" or "HTTP/2 200": the code, else 0.
int ParseStatusLine(std::string_view line) {
  if (line.size() < 5 || line.substr(0, 5) != "HTTP/") return 0;
  auto space = line.find(' ');
  if (space == line.npos || line.size() < space + 4) return 0;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

const std::string* FindHeader(const Headers& headers, std::string_view lowercase_name) {
  auto it = headers.find(std::string(lowercase_name));
  return it == headers.end() ? nullptr : &it->second;
}

Request::Request(Global& global, RequestHandler& handler)
    : global_(global), handler_(handler), link_(std::make_shared<RequestLink>()) {
  link_->request = this;
  if (!global.ok()) return;
  link_->easy = api().easy_init();
  if (link_->easy == nullptr) return;
  CURL* e = link_->easy;
  api().easy_setopt(e, CURLOPT_PRIVATE, link_.get());
  api().easy_setopt(e, CURLOPT_ERRORBUFFER, link_->error);
  api().easy_setopt(e, CURLOPT_HEADERFUNCTION, &Request::HeaderFunction);
  api().easy_setopt(e, CURLOPT_HEADERDATA, link_.get());
  api().easy_setopt(e, CURLOPT_WRITEFUNCTION, &Request::WriteFunction);
  api().easy_setopt(e, CURLOPT_WRITEDATA, link_.get());
  api().easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  api().easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
}

Request::~Request() {
  link_->request = nullptr;
  if (link_->easy == nullptr) return;
  global_.Abandon(std::move(link_));
}

CURLcode Request::SetFollowRedirects(long max_redirects) {
  follow_ = max_redirects > 0;
  CURLcode rc = api().easy_setopt(link_->easy, CURLOPT_FOLLOWLOCATION, follow_ ? 1L : 0L);
  if (rc == CURLE_OK && follow_) rc = api().easy_setopt(link_->easy, CURLOPT_MAXREDIRS, max_redirects);
  return rc;
}

CURLcode Request::SetHeaders(StringList headers) {
  link_->headers = std::move(headers);
  return api().easy_setopt(link_->easy, CURLOPT_HTTPHEADER, link_->headers.get());
}

void Request::Start() { global_.Add(link_); }

void Request::Pause() {
  link_->want_paused = true;
  global_.Pause(link_, CURLPAUSE_RECV);
}

void Request::Resume() {
  link_->want_paused = false;
  std::weak_ptr<RequestLink> weak = link_;
  Global* global = &global_;
  global_.loop().Post([weak, global] {
    auto link = weak.lock();
    if (!link || link->request == nullptr || link->want_paused) return;
    global->Pause(link, CURLPAUSE_CONT);
  });
}

std::string Request::EffectiveUrl() const {
  char* url = nullptr;
  if (api().easy_getinfo(link_->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || url == nullptr) return {};
  return url;
}

long Request::RedirectCount() const {
  long count = 0;
  api().easy_getinfo(link_->easy, CURLINFO_REDIRECT_COUNT, &count);
  return count;
}

long Request::NewConnections() const {
  long count = 0;
  if (link_->easy) api().easy_getinfo(link_->easy, CURLINFO_NUM_CONNECTS, &count);
  return count;
}

bool Request::DeliverHeaders() {
  headers_delivered_ = true;
  return handler_.OnHeaders(status_, headers_);
}

// Headers arrive line by line for every response of the exchange (1xx,
// followed redirects, the final one, then trailers); a status line starts a
// new set so that no redirect's header leaks into the final response.
bool Request::OnHeaderLine(std::string_view line) {
  if (headers_delivered_) return true;  // trailers
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (int status = ParseStatusLine(line); status != 0) {
    status_ = status;
    headers_.clear();
    return true;
  }
  if (line.empty()) {
    if (status_ < 200) return true;  // 1xx, or nothing seen yet
    bool redirect = status_ >= 300 && status_ < 400 && follow_ && FindHeader(headers_, "location");
    if (redirect) return true;  // libcurl follows it; its body is skipped
    return DeliverHeaders();
  }
  std::string_view name, value;
  if (SplitHeaderLine(line, &name, &value)) headers_.emplace(Lower(name), std::string(value));
  return true;
}

void Request::Done(CURLcode result) {
  std::shared_ptr<RequestLink> link = link_;  // the handler may destroy us
  if (result == CURLE_OK) {
    if (!headers_delivered_ && status_ != 0) {
      bool ok = DeliverHeaders();
      if (link->request == nullptr) return;
      if (!ok) {
        handler_.OnError({CURLE_WRITE_ERROR, "aborted by handler"});
        return;
      }
    }
    handler_.OnEnd();
    return;
  }
  std::string message = link->error[0] != '\0' ? std::string(link->error) : api().easy_strerror(result);
  handler_.OnError({result, std::move(message)});
}

size_t Request::HeaderFunction(char* data, size_t size, size_t n, void* userp) {
  auto* link = static_cast<RequestLink*>(userp);
  size_t len = size * n;
  Request* self = link->request;
  if (self == nullptr) return 0;
  bool ok = self->OnHeaderLine(std::string_view(data, len));
  if (link->request == nullptr || !ok) return 0;  // a short count aborts
  return len;
}

size_t Request::WriteFunction(char* data, size_t size, size_t n, void* userp) {
  auto* link = static_cast<RequestLink*>(userp);
  size_t len = size * n;
  Request* self = link->request;
  if (self == nullptr) return CURL_WRITEFUNC_ERROR;
  // Paused from inside an earlier callback of the same read: libcurl keeps
  // delivering the rest of its buffer unless told to keep it.
  if (link->want_paused) return CURL_WRITEFUNC_PAUSE;
  if (!self->headers_delivered_) {
    bool ok = self->DeliverHeaders();
    if (link->request == nullptr || !ok) return CURL_WRITEFUNC_ERROR;
  }
  bool ok = self->handler_.OnData(std::as_bytes(std::span<const char>(data, len)));
  if (link->request == nullptr || !ok) return CURL_WRITEFUNC_ERROR;
  return len;
}

}  // namespace ferry::curl
