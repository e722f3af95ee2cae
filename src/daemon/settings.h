// ferryd's configuration file (JSON, docs/configuration.md): engine limits,
// checkpoints, scheduling, bandwidth, TLS trust, log level and — for tests —
// a clock offset. Unknown keys are errors, so a typo never goes unnoticed.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/config.h"
#include "ferry/status.h"
#include "transfer/p2p/peer_backend.h"

namespace ferry::daemon {

struct Settings {
  core::EngineConfig engine;
  std::string log_level = "info";
  std::chrono::seconds clock_offset{0};  // clock_offset_seconds
  std::chrono::seconds status_interval{5};
  std::string conditions_bus;  // as --conditions-bus; "" not set
  transfer::PeerSettings peers;  // peer_listen_port, peer_listen_addresses, torrent_module…
};

// Parses a JSON document into `settings` (keys absent keep their values).
// E_INVALIDARG naming the key on a type or range error; `settings` is then
// unchanged.
Status ParseSettings(std::string_view json, Settings* settings);
// Reads and parses `path`; the error names the file.
Status LoadSettings(const std::string& path, Settings* settings);

}  // namespace ferry::daemon
