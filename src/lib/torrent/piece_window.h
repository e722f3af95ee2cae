// PieceWindow: the order in which a fetch that keeps a verified prefix asks
// for pieces (AddParams::in_order_window).
//
// Strict sequential order keeps everything that came a prefix, but hosts that
// fetch together then all want the same next piece: each asks the one host
// that has it, and they have nothing to trade among themselves (bench
// scenario 7 measured it: seven hosts took every byte from the eighth). The
// window keeps the prefix nearly whole and still lets them trade: the
// `window` pieces from the first one not verified are wanted first, in any
// order (random among equals), the others not until the window reaches
// them; each verified piece at the front slides the window on.
//
// Plain bookkeeping, no libtorrent type, not thread-safe (the module keeps
// one per torrent on the event loop's thread).
#pragma once

#include <vector>

namespace ferry::torrent {

class PieceWindow {
 public:
  // `have[i]`: piece i is verified already (resume data). window >= 1.
  PieceWindow(std::vector<bool> have, int window);

  // The first piece not verified (have.size() when all are).
  int prefix() const { return prefix_; }
  // The window is [prefix(), end()): end() <= the number of pieces.
  int end() const { return end_; }
  int pieces() const { return static_cast<int>(have_.size()); }
  bool InWindow(int piece) const { return piece >= prefix_ && piece < end_; }

  // Marks `piece` verified (out of range or known: nothing) and slides the
  // window. Returns the pieces that joined the window, ascending: the ones to
  // raise to the window's priority.
  std::vector<int> Passed(int piece);

 private:
  std::vector<bool> have_;
  int window_;
  int prefix_ = 0;
  int end_ = 0;
};

}  // namespace ferry::torrent
