// The torrent module: libferry-torrent.so, the one part of ferry linked with
// libtorrent-rasterbar, loaded with dlopen at first use so that an idle ferryd
// maps none of it (sys/shared_library.h; docs/p2p.md has the figures).
//
// The module exports one C function, kCreateSessionSymbol, of type
// CreateSessionFn. The session it returns is a torrent::Session (session.h);
// both sides are built from the same tree, and kModuleAbiVersion catches a
// module left over from another build.
#pragma once

#include <memory>
#include <string>

#include "lib/torrent/session.h"
#include "util/result.h"

namespace ferry::torrent {

// Bump when session.h changes in a way that breaks a built module.
inline constexpr int kModuleAbiVersion = 10;
inline constexpr char kCreateSessionSymbol[] = "ferry_torrent_create_session";
// Returns a new session (the caller owns it; delete it through Session) or
// nullptr with *error set.
using CreateSessionFn = Session* (*)(int abi_version, const SessionSettings* settings,
                                     std::string* error);

// Where `cmake --install` puts the module: LIBDIR/ferry/libferry-torrent.so
// found from the running program's BINDIR when it is there (an install under
// another prefix), else the configured CMAKE_INSTALL_FULL_LIBDIR/ferry.
std::string InstalledModulePath();

// Loads the module at `path` once per process: the first call's path wins and
// later calls return its outcome. E_UNEXPECTED when it cannot be loaded (the
// message says why). Thread-safe.
Status LoadModule(const std::string& path);

// LoadModule(path), then a new session. E_UNEXPECTED when the module is
// missing or libtorrent refuses the settings.
Result<std::unique_ptr<Session>> CreateSession(const SessionSettings& settings,
                                               const std::string& path);

}  // namespace ferry::torrent
