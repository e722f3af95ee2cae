#include "support/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "lib/crypto/sha256.h"

namespace ferry::test {
namespace {

// splitmix64: one 64-bit state step per 8 output bytes.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Fills `out` with the next bytes of the stream (little-endian words). `out`
  // must be a multiple of 8 long except for the last call.
  void Fill(char* out, size_t n) {
    while (n > 0) {
      uint64_t v = Next();
      size_t take = n < 8 ? n : 8;
      for (size_t i = 0; i < take; ++i) out[i] = static_cast<char>(v >> (8 * i));
      out += take;
      n -= take;
    }
  }

 private:
  uint64_t state_;
};

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = (base && *base) ? base : "/tmp";
  while (tmpl.size() > 1 && tmpl.back() == '/') tmpl.pop_back();
  tmpl += "/";
  tmpl += prefix;
  tmpl += "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Path(std::string_view relative) const {
  std::string p = path_;
  p += '/';
  p += relative;
  return p;
}

std::string RandomBytes(uint64_t size, uint64_t seed) {
  std::string out(size, '\0');
  SplitMix64 rng(seed);
  rng.Fill(out.data(), out.size());
  return out;
}

std::string WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "";
  SplitMix64 rng(seed);
  crypto::Sha256 sha;
  std::vector<char> buf(1 << 20);  // a multiple of 8: the stream stays aligned
  uint64_t left = size;
  bool ok = true;
  while (left > 0 && ok) {
    size_t n = left < buf.size() ? static_cast<size_t>(left) : buf.size();
    rng.Fill(buf.data(), n);
    sha.Update(std::string_view(buf.data(), n));
    ok = WriteAll(fd, buf.data(), n);
    left -= n;
  }
  if (::close(fd) != 0) ok = false;
  return ok ? sha.FinalHex() : "";
}

std::string Sha256File(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  crypto::Sha256 sha;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return "";
    }
    if (r == 0) break;
    sha.Update(std::string_view(buf.data(), static_cast<size_t>(r)));
  }
  ::close(fd);
  return sha.FinalHex();
}

std::string Sha256Hex(std::string_view data) { return crypto::Sha256Hex(data); }

std::optional<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return out;
}

bool WriteFile(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, content.data(), content.size());
  if (::close(fd) != 0) ok = false;
  return ok;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

}  // namespace ferry::test
