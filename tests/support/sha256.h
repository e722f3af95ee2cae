// A minimal incremental SHA-256 (FIPS 180-4) for test support, so that test
// code can verify payloads without linking a crypto library. Not for
// production use: not constant-time, not optimised.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::test {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  // 64 lowercase hex digits. The object is spent afterwards.
  std::string FinalHex();

 private:
  void Block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace ferry::test
