#include "util/bus_paths.h"

namespace ferry {

std::string JobPath(const Guid& id) { return std::string(kJobPathPrefix) + id.ToHex(); }

bool JobIdFromPath(std::string_view path, Guid* id) {
  if (path.substr(0, kJobPathPrefix.size()) != kJobPathPrefix) return false;
  std::string_view hex = path.substr(kJobPathPrefix.size());
  return hex.size() == 32 && Guid::Parse(hex, id);
}

}  // namespace ferry
