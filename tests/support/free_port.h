// Loopback TCP ports for servers a test starts (nginx, a TLS origin).
#pragma once

#include <cstdint>

namespace ferry::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, the
// kernel's choice, then closed); 0 when no socket could be bound. Another
// process may take it before the caller binds it: callers retry on
// "Address already in use".
uint16_t PickFreePort();

// True when something accepts a TCP connection on 127.0.0.1:`port` now.
bool CanConnect(uint16_t port);

}  // namespace ferry::test
