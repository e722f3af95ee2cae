// The adaptor boundary. sdbus-c++ 1.2 turns only sdbus::Error thrown by a
// handler into an error reply; anything else would escape into the event
// loop and end ferryd. Every handler body runs inside Guarded(), which maps
// StatusError to the documented D-Bus error and anything unexpected to
// E_UNEXPECTED, so a hostile or malformed call can never crash the service.
#pragma once

#include <sdbus-c++/Error.h>

#include <exception>
#include <new>
#include <string_view>

#include "service/errors.h"
#include "util/log.h"

namespace ferry::service {

template <typename F>
auto Guarded(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const sdbus::Error&) {
    throw;
  } catch (const StatusError& e) {
    log::Debug("{}: {}", what, e.status().ToString());
    throw ToSdbusError(e.status());
  } catch (const std::bad_alloc&) {
    log::Error("{}: out of memory", what);
    throw ToSdbusError(Status(code::FromWin32(14), "out of memory"));  // ERROR_OUTOFMEMORY
  } catch (const std::exception& e) {
    log::Error("{}: unexpected exception: {}", what, e.what());
    throw ToSdbusError(Status(code::kUnexpected, "internal error"));
  } catch (...) {
    log::Error("{}: unexpected exception", what);
    throw ToSdbusError(Status(code::kUnexpected, "internal error"));
  }
}

}  // namespace ferry::service
