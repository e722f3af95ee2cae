// Which backend fetches a file: one policy function, so that a new transport
// (peers: magnet: links and .torrent files, issue 12 §3) is one more case
// here and one more Fetch implementation, not a change to the engine.
#pragma once

#include <string_view>

namespace ferry::core {

enum class FetchBackend {
  kHttp,         // http://, https://: Attempt on the HTTP ByteSource
  kFile,         // file://: Attempt on the file ByteSource
  kPeers,        // magnet:, http(s)/file URLs of a .torrent: EngineDeps::peers
  kUnsupported,  // any other scheme: Attempt on whichever ByteSource claims it, if any
};

// Decides from the file's remote name alone (the URL's scheme, case-
// insensitive, and a path ending in ".torrent": util/torrent_source.h). Pure.
FetchBackend ChooseFetch(std::string_view remote_url);

}  // namespace ferry::core
