#include "lib/crypto/pieces_root.h"

#include <algorithm>

namespace ferry::crypto {

void PiecesRoot::Update(std::span<const std::byte> data) {
  size_ += data.size();
  while (!data.empty()) {
    size_t take = std::min(kMerkleBlockBytes - block_.size(), data.size());
    if (block_.empty() && take == kMerkleBlockBytes) {
      sha_.Update(data.first(take));  // a whole block: no copy
    } else {
      block_.insert(block_.end(), data.begin(), data.begin() + take);
      if (block_.size() < kMerkleBlockBytes) return;
      sha_.Update(block_);
      block_.clear();
    }
    data = data.subspan(take);
    AddLeaf(sha_.Final());
  }
}

PiecesRoot::Hash PiecesRoot::Parent(const Hash& left, const Hash& right) {
  sha_.Update(left);
  sha_.Update(right);
  return sha_.Final();
}

void PiecesRoot::AddLeaf(const Hash& leaf) {
  ++leaves_;
  Node cur{leaf, 0};
  while (!stack_.empty() && stack_.back().level == cur.level) {
    cur = Node{Parent(stack_.back().hash, cur.hash), cur.level + 1};
    stack_.pop_back();
  }
  stack_.push_back(cur);
}

PiecesRoot::Hash PiecesRoot::Final() {
  if (!block_.empty()) {
    sha_.Update(block_);
    block_.clear();
    AddLeaf(sha_.Final());
  }
  Hash root{};
  if (leaves_ > 0) {
    uint32_t height = 0;
    while ((uint64_t{1} << height) < leaves_) ++height;
    // The padding: a zero leaf, and the root of each all-zero subtree.
    Hash zero{};
    uint32_t zero_level = 0;
    Node cur = stack_.back();
    stack_.pop_back();
    while (!stack_.empty() || cur.level < height) {
      if (!stack_.empty() && stack_.back().level == cur.level) {
        cur = Node{Parent(stack_.back().hash, cur.hash), cur.level + 1};
        stack_.pop_back();
        continue;
      }
      for (; zero_level < cur.level; ++zero_level) zero = Parent(zero, zero);
      cur = Node{Parent(cur.hash, zero), cur.level + 1};
    }
    root = cur.hash;
  }
  stack_.clear();
  leaves_ = 0;
  size_ = 0;
  return root;
}

std::string PiecesRoot::FinalHex() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : Final()) {
    out.push_back(kHex[std::to_integer<unsigned>(b) >> 4]);
    out.push_back(kHex[std::to_integer<unsigned>(b) & 15]);
  }
  return out;
}

std::string PiecesRootHex(std::span<const std::byte> data) {
  PiecesRoot r;
  r.Update(data);
  return r.FinalHex();
}

}  // namespace ferry::crypto
