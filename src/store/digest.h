// The SHA-256 DigestFactory the engine hashes files with (lib/crypto).
#pragma once

#include "core/ports.h"

namespace ferry::store {

// Each call of the returned factory makes a fresh, independent Digest.
// Thread-safe factory; each Digest is for one thread at a time.
core::DigestFactory MakeSha256DigestFactory();

}  // namespace ferry::store
