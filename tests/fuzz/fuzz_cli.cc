// The CLI's value parsers (src/cli/parsers.h): ParseRate, the rate syntax
// of `ferry limits`, `get --limit-rate` and `set JOB rate-limit`
// ("unlimited", 0, 512K, 1.5MiB, 2G), ParseRange, `add --range`, and
// ParseDownloadMode, `set JOB download-mode` and `get --download-mode`.
//
// Invariants: a rate that parses is a value in bytes/s without undefined
// float-to-integer conversion (UBSan); a whole number of a unit parses to
// exactly that number times the unit; an accepted rate or range holds
// nothing but digits, '.', ':', the units and eof (no sign, space, exponent
// or hexadecimal); an accepted download mode is one of the six, or none
// for "default" only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/parsers.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  uint64_t rate = 1;
  if (ferry::cli::ParseRate(text, &rate)) {
    if (text == "unlimited" || text == "0") FUZZ_CHECK(rate == 0);
    FUZZ_CHECK(text.find_first_not_of("0123456789.bBkKiMGunlimted") == std::string::npos);
  }
  ferry::FileRange range;
  if (ferry::cli::ParseRange(text, &range))
    FUZZ_CHECK(text.find_first_not_of("0123456789:eofEOF") == std::string::npos);
  std::optional<ferry::DownloadMode> mode;
  if (ferry::cli::ParseDownloadMode(text, &mode)) {
    FUZZ_CHECK(mode.has_value() == (text != "default"));
    FUZZ_CHECK(!mode || ferry::IsDownloadMode(static_cast<uint32_t>(*mode)));
  }
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
