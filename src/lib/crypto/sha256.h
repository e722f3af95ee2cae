// SHA-256 on OpenSSL's EVP interface (which uses the CPU's SHA extensions
// when present). The only code of ferry that calls OpenSSL; nothing of
// OpenSSL leaks through this header. libcrypto.so.3 is loaded by the first
// Sha256 (sys/shared_library.h), not at start; if it cannot be, the process aborts with a
// message, as for a failed allocation.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ferry::crypto {

// Incremental SHA-256. Not thread-safe: one owner at a time (it may move
// between threads). Movable, not copyable.
//
// OpenSSL fails here only when it cannot allocate; that aborts the process
// (like operator new would), so no method returns an error.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const std::byte> data);
  void Update(std::string_view text) { Update(std::as_bytes(std::span(text.data(), text.size()))); }
  // The digest of everything given since construction (or the previous
  // FinalHex) as 64 lowercase hex digits. Afterwards the object starts over,
  // as if freshly constructed.
  std::string FinalHex();
  // The same digest as 32 raw bytes; afterwards the object starts over.
  std::array<std::byte, 32> Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot helpers: the lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::span<const std::byte> data);
std::string Sha256Hex(std::string_view text);

}  // namespace ferry::crypto
