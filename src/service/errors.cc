#include "service/errors.h"

#include <fmt/format.h>
#include <sdbus-c++/Error.h>

#include <charconv>

#include "util/status_codes.h"

namespace ferry::service {

bool IsValidNameElement(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  if (s[0] >= '0' && s[0] <= '9') return false;
  for (char c : s) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

DbusError ToDbusError(const Status& status) {
  Status s =
      status.ok() ? Status(code::kUnexpected, "a success code was sent as an error") : status;
  std::string name = StatusCodeName(s.code());
  if (!IsValidNameElement(name))
    name = fmt::format("HRESULT_0x{:08X}", static_cast<uint32_t>(s.code()));
  std::string text = s.message().empty() ? StatusCodeMessage(s.code()) : s.message();
  return DbusError{std::string(kErrorPrefix) + name,
                   fmt::format("0x{:08X}: {}", static_cast<uint32_t>(s.code()), text)};
}

sdbus::Error ToSdbusError(const Status& status) {
  DbusError e = ToDbusError(status);
  return sdbus::Error(e.name, e.message);
}

namespace {
bool ParseHex32(std::string_view hex, int32_t* out) {
  if (hex.size() != 8) return false;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
  if (ec != std::errc() || p != hex.data() + hex.size()) return false;
  *out = static_cast<int32_t>(v);
  return true;
}
}  // namespace

Status FromDbusError(std::string_view name, std::string_view message) {
  int32_t c = 0;
  if (message.size() >= 11 && message.substr(0, 2) == "0x" && message[10] == ':' &&
      ParseHex32(message.substr(2, 8), &c)) {
    std::string_view rest = message.substr(11);
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    return Status(c, std::string(rest));
  }
  if (name.substr(0, kErrorPrefix.size()) == kErrorPrefix) {
    std::string_view n = name.substr(kErrorPrefix.size());
    if (n.substr(0, 10) == "HRESULT_0x" && ParseHex32(n.substr(10), &c))
      return Status(c, std::string(message));
    for (const auto& info : AllStatusCodes())
      if (info.name == n) return Status(info.value, std::string(message));
  }
  return Status(code::kUnexpected, fmt::format("{}: {}", name, message));
}

}  // namespace ferry::service
