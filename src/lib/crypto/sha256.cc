#include "lib/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "sys/shared_library.h"

namespace ferry::crypto {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "ferry: OpenSSL %s failed (out of memory?)\n", what);
  std::abort();
}

// libcrypto's functions, resolved from libcrypto.so.3 by the first Sha256
// (sys/shared_library.h): a daemon that has not hashed anything yet does not map it.
struct Api {
  decltype(&::EVP_MD_CTX_new) md_ctx_new;
  decltype(&::EVP_MD_CTX_free) md_ctx_free;
  decltype(&::EVP_sha256) sha256;
  decltype(&::EVP_DigestInit_ex) digest_init;
  decltype(&::EVP_DigestUpdate) digest_update;
  decltype(&::EVP_DigestFinal_ex) digest_final;
};

// A missing libcrypto.so.3 is a broken installation (the package depends on
// it): like a failed allocation, it ends the process with a message.
const Api& Crypto() {
  static Api api;
  static std::once_flag once;
  std::call_once(once, [] {
    auto slot = [](auto& fn) { return reinterpret_cast<void**>(&fn); };
    const sys::Symbol symbols[] = {
        {"EVP_MD_CTX_new", slot(api.md_ctx_new)},      {"EVP_MD_CTX_free", slot(api.md_ctx_free)},
        {"EVP_sha256", slot(api.sha256)},              {"EVP_DigestInit_ex", slot(api.digest_init)},
        {"EVP_DigestUpdate", slot(api.digest_update)}, {"EVP_DigestFinal_ex", slot(api.digest_final)},
    };
    if (Status st = sys::LoadLibrary("libcrypto.so.3", symbols); !st.ok()) {
      std::fprintf(stderr, "ferry: %s\n", st.message().c_str());
      std::abort();
    }
  });
  return api;
}

}  // namespace

struct Sha256::Impl {
  Impl() {
    ctx = Crypto().md_ctx_new();
    if (ctx == nullptr) Die("EVP_MD_CTX_new");
    Init();
  }
  ~Impl() { Crypto().md_ctx_free(ctx); }
  void Init() {
    if (Crypto().digest_init(ctx, Crypto().sha256(), nullptr) != 1) Die("EVP_DigestInit_ex");
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
  if (Crypto().digest_update(impl_->ctx, data.data(), data.size()) != 1) Die("EVP_DigestUpdate");
}

std::string Sha256::FinalHex() {
  if (!impl_) impl_ = std::make_unique<Impl>();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (Crypto().digest_final(impl_->ctx, md, &len) != 1) Die("EVP_DigestFinal_ex");
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

std::array<std::byte, 32> Sha256::Final() {
  if (!impl_) impl_ = std::make_unique<Impl>();
  std::array<std::byte, 32> out{};
  unsigned int len = 0;
  if (Crypto().digest_final(impl_->ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1)
    Die("EVP_DigestFinal_ex");
  impl_->Init();
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
