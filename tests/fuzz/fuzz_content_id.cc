// Content id parsing (util/content_id.h, docs/content-id.md).
//
// Invariants: a parsed id formats back to exactly the text given (the
// format is canonical: one text per id); what is refused is E_INVALIDARG.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "util/content_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = ParseContentId(text);
  if (!id.ok()) {
    FUZZ_CHECK(id.status().code() == code::kInvalidArg);
    return 0;
  }
  FUZZ_CHECK(FormatContentId(id.value()) == text);
  FUZZ_CHECK(id.value().root.size() == 64);
  auto again = ParseContentId(FormatContentId(id.value()));
  FUZZ_CHECK(again.ok() && again.value() == id.value());
  return 0;
}
