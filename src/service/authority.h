// Who is calling, and may they act on other users' jobs.
//
// Identity is the uid of the bus credentials of the message's sender,
// cached per unique bus name (unique names are never reused; Forget() drops
// a name when it leaves the bus). Administrator = uid 0, or — when polkit is
// used (system mode) — a caller that polkit authorizes for the action
// org.ferry.manage-all-jobs, asked over D-Bus (CheckAuthorization, no user
// interaction), cached per sender for kAdminCacheTtl. When polkit is not on
// the bus (or does not answer) only uid 0 is an administrator.
#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>
#include <sdbus-c++/Message.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "core/engine.h"

namespace ferry::service {

inline constexpr const char* kPolkitAction = "org.ferry.manage-all-jobs";

class Authority {
 public:
  static constexpr std::chrono::seconds kAdminCacheTtl{30};

  Authority(sdbus::IConnection& connection, bool use_polkit);
  ~Authority();

  // The caller of `message` (uid from its credentials; admin computed on
  // demand by IsAdmin). Throws StatusError(E_ACCESSDENIED) when the bus
  // cannot tell who sent it.
  uint32_t SenderUid(const sdbus::Message& message);
  bool IsAdmin(const std::string& sender, uint32_t uid);
  void Forget(const std::string& sender);

 private:
  bool AskPolkit(const std::string& sender);

  sdbus::IConnection& conn_;
  bool use_polkit_;
  std::unique_ptr<sdbus::IProxy> polkit_;
  std::map<std::string, uint32_t> uids_;
  struct AdminEntry {
    bool admin;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, AdminEntry> admins_;
};

}  // namespace ferry::service
