// The DigestFactories the engine hashes files with (lib/crypto): SHA-256,
// and the BitTorrent v2 pieces root that content ids carry.
#pragma once

#include "core/ports.h"

namespace ferry::store {

// Each call of the returned factory makes a fresh, independent Digest.
// Thread-safe factory; each Digest is for one thread at a time.
core::DigestFactory MakeSha256DigestFactory();
// The same for the pieces root (lib/crypto/pieces_root.h): FinalHex is the
// root of every byte given, 64 zeros for none.
core::DigestFactory MakePiecesRootDigestFactory();

}  // namespace ferry::store
