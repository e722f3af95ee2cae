// The HTTP response header parsers (src/util/http_header): header lines, and
// the Content-Range, Content-Length, Retry-After and ETag values the engine
// acts on.
//
// The input is a response header block. Like libtorrent's http_parser fuzzer,
// it is delivered in two chunks split at every point (at one point chosen
// from the input when it is long), reassembled into lines the way libcurl
// hands them to Request::OnHeaderLine, and the headers must come out the same
// for every split. Each value then goes through its parser, whose results
// must hold their invariants and survive format -> parse round trips.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "util/http_header.h"

namespace {

using namespace ferry;
using Headers = std::multimap<std::string, std::string>;

// libcurl's header callback: one call per line ending in LF; what is left
// when the response ends is the last line.
class LineAssembler {
 public:
  void Feed(std::string_view chunk) {
    for (char c : chunk) {
      pending_ += c;
      if (c == '\n') Line();
    }
  }
  Headers Finish() {
    if (!pending_.empty()) Line();
    return std::move(headers_);
  }

 private:
  void Line() {
    std::string_view name, value;
    if (SplitHeaderLine(pending_, &name, &value)) {
      FUZZ_CHECK(!name.empty() && name.find(':') == std::string_view::npos);
      FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.back() != '\n'));
      std::string lower(name);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      FUZZ_CHECK(EqualsIgnoreCase(lower, name));
      headers_.emplace(std::move(lower), std::string(value));
    }
    pending_.clear();
  }
  std::string pending_;
  Headers headers_;
};

Headers Assemble(std::string_view block, size_t split) {
  LineAssembler a;
  a.Feed(block.substr(0, split));
  a.Feed(block.substr(split));
  return a.Finish();
}

void CheckUint(std::string_view text) {
  std::optional<uint64_t> n = ParseUint64(text);
  if (!n) return;
  std::string back = std::to_string(*n);
  FUZZ_CHECK(ParseUint64(back) == n);
  std::string_view digits = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
  FUZZ_CHECK(digits == back);
}

void CheckContentRange(std::string_view value) {
  if (std::optional<ContentRange> r = ParseContentRange(value)) {
    FUZZ_CHECK(r->first <= r->last);
    FUZZ_CHECK(!r->total || *r->total > r->last);
    std::string back = "bytes " + std::to_string(r->first) + "-" + std::to_string(r->last) + "/" +
                       (r->total ? std::to_string(*r->total) : "*");
    std::optional<ContentRange> again = ParseContentRange(back);
    FUZZ_CHECK(again && again->first == r->first && again->last == r->last &&
               again->total == r->total);
  }
  if (std::optional<uint64_t> total = ParseUnsatisfiedRangeTotal(value)) {
    FUZZ_CHECK(ParseUnsatisfiedRangeTotal("bytes */" + std::to_string(*total)) == total);
  }
}

void CheckRetryAfter(std::string_view value) {
  // A fixed "now" (2026-01-01T00:00:00Z) keeps the target deterministic.
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  std::optional<std::chrono::seconds> d = ParseRetryAfter(value, now);
  if (!d) return;
  FUZZ_CHECK(d->count() >= 0);
  FUZZ_CHECK(*d <= std::chrono::seconds(365ll * 86400));
}

void CheckValue(const std::string& name, const std::string& value) {
  if (name == "content-range") CheckContentRange(value);
  if (name == "content-length") CheckUint(value);
  if (name == "retry-after") CheckRetryAfter(value);
  if (name == "etag" && IsStrongEtag(value)) FUZZ_CHECK(value.size() >= 2 && value.front() == '"');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view block(reinterpret_cast<const char*>(data), size);
  Headers whole = Assemble(block, 0);
  if (size <= 128) {
    for (size_t split = 1; split <= size; ++split) FUZZ_CHECK(Assemble(block, split) == whole);
  } else {
    FUZZ_CHECK(Assemble(block, data[0] * size / 256) == whole);
  }
  for (const auto& [name, value] : whole) CheckValue(name, value);
  // The value parsers also see the raw input, not only what a line split left.
  CheckContentRange(block);
  CheckRetryAfter(block);
  CheckUint(block);
  return 0;
}
