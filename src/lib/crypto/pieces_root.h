// The BitTorrent v2 pieces root of a file (BEP 52): the root of a binary
// SHA-256 merkle tree whose leaves are the hashes of the file's 16 KiB
// blocks (the last block may be shorter and is hashed as it is), the leaf
// count padded to a power of two with all-zero hashes. It does not depend on
// the piece length. An empty file has no tree; its root is 32 zero bytes
// (libtorrent's file_storage::root() of an empty file).
//
// This is what a content id carries (util/content_id.h, docs/content-id.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/crypto/sha256.h"

namespace ferry::crypto {

constexpr size_t kMerkleBlockBytes = 16 * 1024;

// Incremental: bytes are given in file order, in chunks of any size. Memory
// is one block plus one hash per tree level. Not thread-safe: one owner at a
// time (it may move between threads).
class PiecesRoot {
 public:
  using Hash = std::array<std::byte, 32>;

  void Update(std::span<const std::byte> data);
  // The root of every byte given since construction (or the previous
  // Final); afterwards the object starts over.
  Hash Final();
  std::string FinalHex();                  // 64 lowercase hex digits
  uint64_t size() const { return size_; }  // bytes given so far

 private:
  struct Node {
    Hash hash;
    uint32_t level;  // 0: a leaf (one block)
  };
  void AddLeaf(const Hash& leaf);
  Hash Parent(const Hash& left, const Hash& right);

  Sha256 sha_;
  std::vector<std::byte> block_;
  // Complete subtrees not yet paired, levels strictly decreasing.
  std::vector<Node> stack_;
  uint64_t leaves_ = 0;
  uint64_t size_ = 0;
};

// One-shot: the pieces root of `data` as 64 lowercase hex digits.
std::string PiecesRootHex(std::span<const std::byte> data);

}  // namespace ferry::crypto
