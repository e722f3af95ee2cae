#include "lib/torrent/loop_binding.h"

namespace ferry::torrent {

LoopBinding::LoopBinding(sys::EventLoop& loop, Session& session) : loop_(loop), session_(session) {
  loop_.WatchFd(session_.NotifyFd(), sys::EventLoop::kReadable,
                [this](int, uint32_t) { session_.DispatchEvents(); });
}

LoopBinding::~LoopBinding() { loop_.UnwatchFd(session_.NotifyFd()); }

}  // namespace ferry::torrent
