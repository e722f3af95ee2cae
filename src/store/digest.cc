#include "store/digest.h"

#include "lib/crypto/pieces_root.h"
#include "lib/crypto/sha256.h"

namespace ferry::store {
namespace {

class Sha256Digest final : public core::Digest {
 public:
  void Update(std::span<const std::byte> data) override { sha_.Update(data); }
  std::string FinalHex() override { return sha_.FinalHex(); }

 private:
  crypto::Sha256 sha_;
};

class PiecesRootDigest final : public core::Digest {
 public:
  void Update(std::span<const std::byte> data) override { root_.Update(data); }
  std::string FinalHex() override { return root_.FinalHex(); }

 private:
  crypto::PiecesRoot root_;
};

}  // namespace

core::DigestFactory MakeSha256DigestFactory() {
  return [] { return std::unique_ptr<core::Digest>(std::make_unique<Sha256Digest>()); };
}

core::DigestFactory MakePiecesRootDigestFactory() {
  return [] { return std::unique_ptr<core::Digest>(std::make_unique<PiecesRootDigest>()); };
}

}  // namespace ferry::store
