// The SDK's one mapping from D-Bus errors back to ferry::Status (the service
// maps Status to D-Bus errors in src/service; the two must agree on the wire
// format documented in api/dbus/org.ferry.Ferry1.xml).
#pragma once

#include <cstdint>
#include <string_view>

#include "ferry/status.h"

namespace ferry::sdk {

// HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE): ferryd is not on the bus.
constexpr int32_t kServiceNotActive = code::FromWin32(1062);  // 0x80070426
// E_OUTOFMEMORY.
constexpr int32_t kOutOfMemory = code::FromWin32(14);  // 0x8007000E

// HRESULT_FROM_WIN32(ERROR_TIMEOUT): a call got no answer in time.
constexpr int32_t kTimeout = code::FromWin32(1460);  // 0x800705B4

// Prefix of the service's error names: "org.ferry.Ferry1.Error.<NAME>".
inline constexpr std::string_view kErrorPrefix = "org.ferry.Ferry1.Error.";
inline constexpr std::string_view kBusName = "org.ferry.Ferry1";

// A D-Bus error (name, message) as a Status:
// - "org.ferry.Ferry1.Error.<NAME>" with message "0x%08X: text" gives
//   Status(code, text); without the hex, <NAME> is looked up in the code table;
// - errors of the bus itself or of sd-bus (the service is gone, no reply,
//   disconnected) give 0x80070426 with a sentence saying to start ferryd;
// - an unknown job object gives DO_E_JOB_NOT_FOUND, a bus policy denial
//   E_ACCESSDENIED, bad arguments E_INVALIDARG;
// - anything else E_UNEXPECTED with the D-Bus name and message.
// Never fails, never throws.
Status StatusFromDBusError(std::string_view name, std::string_view message);

// The Status for "ferryd is not reachable" with a hint on how to start it.
Status ServiceNotActive(std::string_view detail);

}  // namespace ferry::sdk
