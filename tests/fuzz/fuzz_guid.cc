// GUID parsing (Guid::Parse, the service's ParseJobId and JobIdFromPath).
//
// Invariants: a parsed GUID formats back (ToString, ToHex) to text that parses
// to the same GUID; the accepted text is the formatted text up to case and
// braces; an object path maps to the id it was made from and back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/types.h"
#include "fuzz/fuzz_check.h"
#include "util/bus_paths.h"
#include "service/arguments.h"

namespace {

using namespace ferry;

std::string LowerHex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '{' || c == '}' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Guid g;
  bool parsed = Guid::Parse(text, &g);
  Guid via_service;
  FUZZ_CHECK(service::ParseJobId(text, &via_service).ok() == parsed);
  if (parsed) {
    FUZZ_CHECK(via_service == g);
    FUZZ_CHECK(text.size() == 32 || text.size() == 36 || text.size() == 38);
    FUZZ_CHECK(LowerHex(text) == g.ToHex());
    Guid again;
    FUZZ_CHECK(Guid::Parse(g.ToString(), &again) && again == g);
    FUZZ_CHECK(Guid::Parse(g.ToHex(), &again) && again == g);
    FUZZ_CHECK(Guid::Parse(g.ToString().substr(1, 36), &again) && again == g);
    FUZZ_CHECK(JobIdFromPath(JobPath(g), &again) && again == g);
  }
  Guid from_path;
  if (JobIdFromPath(text, &from_path)) {
    std::string path = JobPath(from_path);
    FUZZ_CHECK(path.size() == text.size());
    FUZZ_CHECK(text.substr(0, path.size() - 32) ==
               std::string_view(path).substr(0, path.size() - 32));
    FUZZ_CHECK(LowerHex(text.substr(path.size() - 32)) == from_path.ToHex());
  }
  return 0;
}
