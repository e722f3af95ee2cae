// The CLI's value parsers: pure functions of their text, unit-tested in
// tests/unit/cli and fuzzed by tests/fuzz/fuzz_cli.cc. Each returns false for
// text it does not accept and then leaves *out unchanged. docs/cli.md gives
// the grammars.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ferry/types.h"

namespace ferry::cli {

// A rate in bytes per second: "unlimited" or "0" (both 0, no limit), or a
// decimal number (digits, optionally '.' and more digits) followed by no unit
// or B, k/K/KiB/kB, M/MiB/MB, G/GiB/GB (powers of 1024): "500k", "2M",
// "1.5G". No sign, space, exponent or hexadecimal; the value must be below
// 2^64 bytes/s (fractions of a byte are dropped).
bool ParseRate(const std::string& text, uint64_t* out);

// A byte count: decimal digits only (no sign, space or hexadecimal), below
// 2^64.
bool ParseCount(const std::string& text, uint64_t* out);

// A 32-bit number for `set`: decimal digits, or with `allow_hex` also
// "0x" and hexadecimal digits (notify flags are written so). No sign, space
// or octal reading of a leading 0.
bool ParseUint32(const std::string& text, bool allow_hex, uint32_t* out);

// `add --range`: "OFFSET:LENGTH" or "OFFSET:eof" (also "EOF"), each number a
// ParseCount; eof gives length kLengthToEof.
bool ParseRange(const std::string& text, FileRange* out);

// A download mode (`set JOB download-mode`, `get --download-mode`): a name —
// http-only, lan, group, internet, simple, bypass — or its number (0, 1, 2,
// 3, 99, 100, decimal as ParseUint32), or "default": ferryd's (nullopt).
// Names are lowercase only.
bool ParseDownloadMode(const std::string& text, std::optional<DownloadMode>* out);

}  // namespace ferry::cli
