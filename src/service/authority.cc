#include "service/authority.h"

#include <sdbus-c++/sdbus-c++.h>

#include "service/errors.h"
#include "util/log.h"

namespace ferry::service {

Authority::Authority(sdbus::IConnection& connection, bool use_polkit)
    : conn_(connection), use_polkit_(use_polkit) {}

Authority::~Authority() = default;

uint32_t Authority::SenderUid(const sdbus::Message& message) {
  std::string sender = message.getSender();
  if (auto it = uids_.find(sender); it != uids_.end()) return it->second;
  uint32_t uid = 0;
  try {
    uid = static_cast<uint32_t>(message.getCredsUid());
  } catch (const std::exception& e) {
    throw StatusError(Status(code::kAccessDenied, "the bus did not tell who the caller is"));
  }
  if (!sender.empty()) uids_[sender] = uid;
  return uid;
}

bool Authority::IsAdmin(const std::string& sender, uint32_t uid) {
  if (uid == 0) return true;
  if (!use_polkit_ || sender.empty()) return false;
  auto now = std::chrono::steady_clock::now();
  if (auto it = admins_.find(sender); it != admins_.end() && it->second.until > now)
    return it->second.admin;
  bool admin = AskPolkit(sender);
  admins_[sender] = AdminEntry{admin, now + kAdminCacheTtl};
  return admin;
}

void Authority::Forget(const std::string& sender) {
  uids_.erase(sender);
  admins_.erase(sender);
}

bool Authority::AskPolkit(const std::string& sender) {
  try {
    if (!polkit_)
      polkit_ = sdbus::createProxy(conn_, "org.freedesktop.PolicyKit1",
                                   "/org/freedesktop/PolicyKit1/Authority");
    using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
    Subject subject{std::string("system-bus-name"),
                    std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant(sender)}}};
    std::map<std::string, std::string> details;
    sdbus::Struct<bool, bool, std::map<std::string, std::string>> result;
    polkit_->callMethod("CheckAuthorization")
        .onInterface("org.freedesktop.PolicyKit1.Authority")
        .withTimeout(std::chrono::seconds(2))
        .withArguments(subject, std::string(kPolkitAction), details, uint32_t{0}, std::string())
        .storeResultsTo(result);
    bool authorized = std::get<0>(result);
    log::Info("polkit: {} {} {}", sender,
              authorized ? "is authorized for" : "is not authorized for", kPolkitAction);
    return authorized;
  } catch (const std::exception& e) {
    log::Debug("polkit not available ({}): only uid 0 is an administrator", e.what());
    return false;
  }
}

}  // namespace ferry::service
