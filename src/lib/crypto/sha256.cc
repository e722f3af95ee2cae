#include "lib/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace ferry::crypto {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "ferry: OpenSSL %s failed (out of memory?)\n", what);
  std::abort();
}

}  // namespace

struct Sha256::Impl {
  Impl() {
    ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) Die("EVP_MD_CTX_new");
    Init();
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
  void Init() {
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) Die("EVP_DigestInit_ex");
  }
  EVP_MD_CTX* ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&& other) noexcept = default;
Sha256& Sha256::operator=(Sha256&& other) noexcept = default;

void Sha256::Update(std::span<const std::byte> data) {
  if (!impl_) impl_ = std::make_unique<Impl>();  // moved-from: usable again
  if (data.empty()) return;
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) Die("EVP_DigestUpdate");
}

std::string Sha256::FinalHex() {
  if (!impl_) impl_ = std::make_unique<Impl>();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1) Die("EVP_DigestFinal_ex");
  impl_->Init();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string Sha256Hex(std::span<const std::byte> data) {
  Sha256 h;
  h.Update(data);
  return h.FinalHex();
}

std::string Sha256Hex(std::string_view text) {
  Sha256 h;
  h.Update(text);
  return h.FinalHex();
}

}  // namespace ferry::crypto
