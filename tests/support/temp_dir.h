// Temporary directories and deterministic test files.
//
// TempDir is an RAII directory made with mkdtemp(3) under $TMPDIR (or /tmp)
// and removed recursively by its destructor. The helpers below make files of
// pseudo-random bytes from a seed (splitmix64: fast, so multi-GB files are
// quick to generate, and identical on every run) and hash files with the
// project's own SHA-256 (lib/crypto/sha256.h).
//
// No function throws; failures are reported through the return value.
// Thread-compatible: distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::test {

constexpr uint64_t kMiB = 1ull << 20;

class TempDir {
 public:
  // Creates "<$TMPDIR or /tmp>/<prefix>-XXXXXX". On failure ok() is false and
  // path() is empty.
  explicit TempDir(std::string_view prefix = "ferry-test");
  // Removes the directory and everything in it (errors ignored).
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  // The absolute directory path, without a trailing '/'.
  const std::string& path() const { return path_; }
  // path() + "/" + relative.
  std::string Path(std::string_view relative) const;

 private:
  std::string path_;
};

// `size` deterministic pseudo-random bytes for `seed`. The same (size, seed)
// always gives the same bytes, and RandomBytes(n, s) is a prefix of
// RandomBytes(m, s) for n <= m.
std::string RandomBytes(uint64_t size, uint64_t seed);

// Writes RandomBytes(size, seed) to `path` (created or truncated, mode 0644)
// without holding it all in memory. Returns the content's SHA-256 as 64
// lowercase hex digits, or "" on any I/O error.
std::string WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed);

// SHA-256 of a file's contents as 64 lowercase hex digits; "" when the file
// cannot be read.
std::string Sha256File(const std::string& path);
// SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

// Whole-file helpers. ReadFile: nullopt when the file cannot be read.
// WriteFile: creates or truncates (mode 0644); false on any error.
std::optional<std::string> ReadFile(const std::string& path);
bool WriteFile(const std::string& path, std::string_view content);
// True when something (even a dangling link) is at `path`.
bool PathExists(const std::string& path);
// The size of a file, or -1 when it cannot be stat'ed.
int64_t FileSize(const std::string& path);

}  // namespace ferry::test
