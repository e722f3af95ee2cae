// The module's one exported function (lib/torrent/module.h).
#include <string>

#include "lib/torrent/module.h"
#include "lib/torrent/module/lt_session.h"

extern "C" __attribute__((visibility("default"))) ferry::torrent::Session*
ferry_torrent_create_session(int abi_version, const ferry::torrent::SessionSettings* settings,
                             std::string* error) {
  if (abi_version != ferry::torrent::kModuleAbiVersion) {
    *error = "libferry-torrent was built for interface version " +
             std::to_string(ferry::torrent::kModuleAbiVersion) + ", not " +
             std::to_string(abi_version);
    return nullptr;
  }
  return ferry::torrent::LtSession::Create(*settings, error).release();
}
