#include "daemon/integrity_info.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace ferry::daemon {

Result<std::string> ParseIntegrityCheckInfo(std::string_view json) {
  auto bad = [](std::string_view why) {
    return Status(code::kInvalidArg, std::string("IntegrityCheckInfo: ") + std::string(why));
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto it = j.find("Sha256");
  if (it == j.end() || !it->is_string()) return bad("expected {\"Sha256\": \"<64 hex digits>\"}");
  std::string hex = it->get<std::string>();
  if (hex.size() != 64 ||
      !std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; }))
    return bad("Sha256 must be 64 hex digits");
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

}  // namespace ferry::daemon
