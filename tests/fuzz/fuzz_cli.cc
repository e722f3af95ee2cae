// The CLI's value parsers (src/cli): ParseRate, the size/rate syntax of
// `ferry limit` ("unlimited", 0, 512K, 1.5MiB, 2G).
//
// The CLI's OFFSET:LENGTH range syntax of `ferry add --range` is parsed
// inline in CmdAdd and is not reachable as a function (docs/fuzzing.md).
//
// Invariants: a rate that parses is a value in bytes/s without undefined
// float-to-integer conversion (UBSan); a whole number of a unit parses to
// exactly that number times the unit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/commands.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  uint64_t rate = 1;
  if (ferry::cli::ParseRate(text, &rate) && (text == "unlimited" || text == "0"))
    FUZZ_CHECK(rate == 0);
  if (size >= 3) {
    static const char* const kUnits[] = {"", "B", "K", "KiB", "M", "MiB", "G", "GiB"};
    static const uint64_t kMul[] = {1, 1, 1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30};
    uint64_t n = (uint64_t{data[0]} << 8) | data[1];
    size_t u = data[2] % 8;
    uint64_t exact = 0;
    FUZZ_CHECK(ferry::cli::ParseRate(std::to_string(n) + kUnits[u], &exact));
    FUZZ_CHECK(exact == n * kMul[u]);
  }
  return 0;
}
