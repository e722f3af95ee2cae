#include "sdk/errors.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

#include "util/status_codes.h"

namespace ferry::sdk {
namespace {

constexpr std::string_view kFreedesktop = "org.freedesktop.DBus.Error.";
// sdbus-c++'s own errors (a failed sd-bus call, e.g. on a broken connection).
constexpr std::string_view kSdbusCpp = "org.sdbuscpp.Error";

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "0x80D02013: text" -> code and "text". The service always writes eight hex
// digits; accept any count so that a hand-written error still maps.
bool ParseCodeMessage(std::string_view message, int32_t* code, std::string_view* text) {
  if (message.size() < 3 || message[0] != '0' || (message[1] != 'x' && message[1] != 'X'))
    return false;
  std::string_view hex = message.substr(2);
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (ec != std::errc() || end == hex.data()) return false;
  std::string_view rest(end, hex.data() + hex.size() - end);
  if (!rest.empty() && rest[0] != ':') return false;
  if (!rest.empty()) rest.remove_prefix(1);
  while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  *code = static_cast<int32_t>(value);
  *text = rest;
  return true;
}

// A table name, or "HRESULT_0x80190194" for codes whose name is not a valid
// D-Bus name element.
bool CodeFromName(std::string_view name, int32_t* code) {
  if (StartsWith(name, "HRESULT_0x") && name.size() == 18) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(name.data() + 10, name.data() + 18, v, 16);
    if (ec == std::errc() && end == name.data() + 18) {
      *code = static_cast<int32_t>(v);
      return true;
    }
  }
  for (const StatusCodeInfo& info : AllStatusCodes())
    if (info.name == name) {
      *code = info.value;
      return true;
    }
  return false;
}

Status Unexpected(std::string_view name, std::string_view message) {
  return Status(code::kUnexpected, fmt::format("{}: {}", name, message));
}

}  // namespace

Status ServiceNotActive(std::string_view detail) {
  return Status(kServiceNotActive,
                fmt::format("ferryd is not reachable ({}): start it with `ferryd --user` "
                            "(session) or `systemctl start ferryd` (system)",
                            detail));
}

Status StatusFromDBusError(std::string_view name, std::string_view message) {
  if (StartsWith(name, kErrorPrefix)) {
    int32_t c = 0;
    std::string_view text;
    if (ParseCodeMessage(message, &c, &text)) {
      // A success code carried as an error is a service bug; never turn it
      // into ok() here.
      if (c >= 0) return Unexpected(name, message);
      return Status(c, std::string(text.empty() ? std::string_view(StatusCodeMessage(c)) : text));
    }
    if (CodeFromName(name.substr(kErrorPrefix.size()), &c) && c < 0)
      return Status(c, std::string(message));
    return Unexpected(name, message);
  }
  if (StartsWith(name, kFreedesktop)) {
    std::string_view what = name.substr(kFreedesktop.size());
    if ((what == "NoReply" || what == "Timeout" || what == "TimedOut") &&
        message.find("timed out") != std::string_view::npos)
      return Status(kTimeout, fmt::format("ferryd did not answer in time ({})", message));
    if (what == "ServiceUnknown" || what == "NameHasNoOwner" || what == "NoReply" ||
        what == "Disconnected" || what == "NoServer" || what == "Spawn.ServiceNotFound" ||
        what == "Spawn.ChildExited" || what == "Spawn.ExecFailed" || what == "TimedOut" ||
        what == "Timeout")
      return ServiceNotActive(fmt::format("{}: {}", name, message));
    if (what == "UnknownObject" || what == "UnknownInterface")
      return Status(code::kJobNotFound, fmt::format("no such job on the service ({})", message));
    if (what == "AccessDenied" || what == "AuthFailed")
      return Status(code::kAccessDenied, std::string(message));
    if (what == "InvalidArgs" || what == "InvalidSignature")
      return Status(code::kInvalidArg, std::string(message));
    if (what == "NoMemory") return Status(kOutOfMemory, std::string(message));
    return Unexpected(name, message);
  }
  if (StartsWith(name, kSdbusCpp)) {
    // sdbus-c++ reports failed sd-bus calls with an errno-based message; a
    // connection-level failure means the service (or the bus) is unreachable.
    for (std::string_view hint : {"Connection", "connection", "ENOTCONN", "ECONNRESET", "EPIPE",
                                  "Transport endpoint", "Broken pipe", "timed out", "Timeout"})
      if (message.find(hint) != std::string_view::npos)
        return ServiceNotActive(fmt::format("{}: {}", name, message));
    return Unexpected(name, message);
  }
  return Unexpected(name, message);
}

}  // namespace ferry::sdk
