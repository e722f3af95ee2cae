// LoadLibrary: dlopen(3) of a C library at first use, for the libraries an
// idle ferryd does not need (libcurl and, through it, ~25 more; libcrypto).
// Linking them would map and relocate all of them at start: about 5.9 MiB of
// resident pages in a daemon that may sit idle for days (bench/README.md,
// finding 8). systemd loads its optional libraries the same way.
//
// The library is opened RTLD_NOW | RTLD_LOCAL and never closed: its global
// state (libcurl's, OpenSSL's) lives until the process exits.
#pragma once

#include <span>

#include "util/result.h"

namespace ferry::sys {

// One function to resolve: its name and where its address goes. `slot`
// points to a function pointer of the symbol's exact type (dlsym(3)'s
// documented idiom: *(void**)&fn = dlsym(...)).
struct Symbol {
  const char* name;
  void** slot;
};

// Opens `soname` (e.g. "libcurl.so.4", the ABI the headers were built for)
// and fills every slot. On failure no slot is written and the Status
// (E_UNEXPECTED) says which library or symbol, with dlerror's text.
// Thread-safe (dlopen and dlsym are); call it under a std::call_once.
Status LoadLibrary(const char* soname, std::span<const Symbol> symbols);

}  // namespace ferry::sys
