#include "lib/curl/global.h"

#include <cassert>
#include <chrono>

#include "lib/curl/api.h"
#include "lib/curl/request.h"
#include "util/log.h"

namespace ferry::curl {

Global::Global(sys::EventLoop& loop) : loop_(loop) {
  if (LoadApi(&error_) == nullptr) return;
  multi_ = api().multi_init();
  if (multi_ == nullptr) {
    error_ = "api().multi_init failed";
    log::Error("HTTP transfers are unavailable: {}", error_);
    return;
  }
  api().multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Global::SocketFunction);
  api().multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  api().multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Global::TimerFunction);
  api().multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

Global::~Global() {
  if (multi_ == nullptr) return;
  FreeAbandoned();
  closing_ = true;
  if (timer_id_ != 0) loop_.CancelTimer(timer_id_);
  timer_id_ = 0;
  // May call SocketFunction(CURL_POLL_REMOVE) for cached connections.
  api().multi_cleanup(multi_);
}

void Global::Add(const std::shared_ptr<RequestLink>& link) {
  if (depth_ == 0) {
    DoAdd(link);
    return;
  }
  std::weak_ptr<RequestLink> weak = link;
  loop_.Post([this, weak] {
    auto l = weak.lock();
    if (l && l->request != nullptr) DoAdd(l);
  });
}

void Global::DoAdd(const std::shared_ptr<RequestLink>& link) {
  CURLMcode rc = api().multi_add_handle(multi_, link->easy);
  if (rc == CURLM_OK) {
    link->in_multi = true;
    return;
  }
  log::Warn("api().multi_add_handle failed: {}", api().multi_strerror(rc));
  // Report from the loop, never from inside Request::Start().
  std::weak_ptr<RequestLink> weak = link;
  loop_.Post([weak] {
    auto l = weak.lock();
    if (l && l->request != nullptr) l->request->Done(CURLE_FAILED_INIT);
  });
}

void Global::Abandon(std::shared_ptr<RequestLink> link) {
  link->request = nullptr;
  abandoned_.push_back(std::move(link));
  if (depth_ == 0) FreeAbandoned();
}

void Global::FreeAbandoned() {
  while (!abandoned_.empty()) {
    auto batch = std::move(abandoned_);
    abandoned_.clear();
    for (auto& link : batch) {
      if (link->in_multi) api().multi_remove_handle(multi_, link->easy);
      link->in_multi = false;
      if (link->easy != nullptr) api().easy_cleanup(link->easy);
      link->easy = nullptr;
    }
  }
}

void Global::Pause(const std::shared_ptr<RequestLink>& link, int bitmask) {
  ++depth_;
  CURLcode rc = api().easy_pause(link->easy, bitmask);
  --depth_;
  if (rc != CURLE_OK) log::Warn("api().easy_pause({}) failed: {}", bitmask, api().easy_strerror(rc));
  // No ReadInfo here: completions are dispatched by the next socket action,
  // so a Pause() never ends a request from inside its caller.
  if (depth_ == 0) FreeAbandoned();
}

void Global::SocketAction(int fd, int flags) {
  int running = 0;
  ++depth_;
  api().multi_socket_action(multi_, fd, flags, &running);
  --depth_;
  AfterCurlCall();
}

void Global::AfterCurlCall() {
  if (depth_ != 0) return;
  FreeAbandoned();
  ReadInfo();
}

void Global::ReadInfo() {
  if (reading_info_) return;  // the outer loop picks up new messages
  reading_info_ = true;
  int left = 0;
  while (CURLMsg* msg = api().multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    char* priv = nullptr;
    api().easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    auto* link = reinterpret_cast<RequestLink*>(priv);
    // Removing first lets the handler destroy the Request from OnEnd/OnError.
    api().multi_remove_handle(multi_, easy);
    if (link == nullptr) continue;
    link->in_multi = false;
    if (link->request != nullptr) link->request->Done(result);
  }
  reading_info_ = false;
}

int Global::SocketFunction(CURL*, curl_socket_t s, int what, void* userp, void*) {
  auto* self = static_cast<Global*>(userp);
  if (what == CURL_POLL_REMOVE) {
    self->loop_.UnwatchFd(s);
    return 0;
  }
  if (self->closing_) return 0;
  uint32_t events = 0;
  if (what & CURL_POLL_IN) events |= sys::EventLoop::kReadable;
  if (what & CURL_POLL_OUT) events |= sys::EventLoop::kWritable;
  self->loop_.WatchFd(s, events, [self](int fd, uint32_t ev) {
    int flags = 0;
    if (ev & sys::EventLoop::kReadable) flags |= CURL_CSELECT_IN;
    if (ev & sys::EventLoop::kWritable) flags |= CURL_CSELECT_OUT;
    if (ev & sys::EventLoop::kError) flags |= CURL_CSELECT_ERR;
    self->SocketAction(fd, flags);
  });
  return 0;
}

int Global::TimerFunction(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<Global*>(userp);
  if (self->timer_id_ != 0) self->loop_.CancelTimer(self->timer_id_);
  self->timer_id_ = 0;
  if (timeout_ms < 0 || self->closing_) return 0;
  // Never call socket_action from here (libcurl forbids it); a 0 ms timeout
  // runs on the next loop turn.
  self->timer_id_ = self->loop_.AddTimer(
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms), [self] {
        self->timer_id_ = 0;
        self->SocketAction(CURL_SOCKET_TIMEOUT, 0);
      });
  return 0;
}

}  // namespace ferry::curl
