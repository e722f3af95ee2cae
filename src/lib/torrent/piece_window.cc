#include "lib/torrent/piece_window.h"

#include <algorithm>
#include <utility>

namespace ferry::torrent {

PieceWindow::PieceWindow(std::vector<bool> have, int window)
    : have_(std::move(have)), window_(std::max(window, 1)) {
  const int pieces = static_cast<int>(have_.size());
  while (prefix_ < pieces && have_[prefix_]) ++prefix_;
  end_ = std::min(pieces, prefix_ + window_);
}

std::vector<int> PieceWindow::Passed(int piece) {
  const int pieces = static_cast<int>(have_.size());
  if (piece < 0 || piece >= pieces || have_[piece]) return {};
  have_[piece] = true;
  while (prefix_ < pieces && have_[prefix_]) ++prefix_;
  std::vector<int> joined;
  const int end = std::min(pieces, prefix_ + window_);
  for (int i = end_; i < end; ++i)
    if (!have_[i]) joined.push_back(i);
  end_ = std::max(end_, end);
  return joined;
}

}  // namespace ferry::torrent
