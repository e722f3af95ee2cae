// RecordingSink: a ByteSink that records every call, with hooks for
// aborting, pausing or destroying the transfer from inside a callback; and
// RunUntil, the bounded way to drive the loop in these tests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.h"
#include "sys/event_loop.h"

namespace ferry::test {

class RecordingSink : public core::ByteSink {
 public:
  bool OnResponse(const core::ByteResponse& response) override {
    calls.push_back("response");
    if (response_seen) calls.push_back("response again");
    response_seen = true;
    this->response = response;
    return on_response ? on_response() : true;
  }
  bool OnData(std::span<const std::byte> data) override {
    if (calls.empty() || calls.back() != "data") calls.push_back("data");
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    ++data_calls;
    return on_data ? on_data() : true;
  }
  void OnDone(const core::ByteOutcome& outcome) override {
    calls.push_back("done");
    ++done_calls;
    this->outcome = outcome;
    if (on_done) on_done();
  }

  bool done() const { return done_calls > 0; }

  std::vector<std::string> calls;
  bool response_seen = false;
  core::ByteResponse response;
  std::string body;
  int data_calls = 0;
  int done_calls = 0;
  std::optional<core::ByteOutcome> outcome;
  std::function<bool()> on_response;
  std::function<bool()> on_data;
  std::function<void()> on_done;
};

template <typename Pred>
bool RunUntil(sys::EventLoop& loop, Pred pred,
              std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    loop.RunOnce(std::chrono::milliseconds(20));
  }
  return true;
}

// Runs the loop for `d` regardless.
inline void RunFor(sys::EventLoop& loop, std::chrono::milliseconds d) {
  auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) loop.RunOnce(std::chrono::milliseconds(10));
}

}  // namespace ferry::test
