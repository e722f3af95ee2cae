#include "support/unix_users.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "support/child_process.h"
#include "util/status_codes.h"

namespace ferry::test {

bool IsRoot() { return ::geteuid() == 0; }

bool LookupUser(const std::string& name, UnixUser* user) {
  struct passwd pw{};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  user->name = name;
  user->uid = found->pw_uid;
  user->gid = found->pw_gid;
  return true;
}

Status EnsureUser(const std::string& name, UnixUser* user) {
  if (LookupUser(name, user)) return Status::OK();
  if (!IsRoot()) return Status(code::kAccessDenied, "creating user " + name + " needs root");
  CommandResult r = RunCommand({"useradd", "--system", "--no-create-home", "--user-group",
                                "--shell", "/usr/sbin/nologin", name});
  // Another test process may have created it meanwhile (exit 9: exists).
  if (!LookupUser(name, user))
    return Status(code::kUnexpected, "useradd " + name + ": " + r.Describe());
  return Status::OK();
}

bool DropTo(const UnixUser& user) {
  gid_t groups[1] = {user.gid};
  if (::setgroups(1, groups) != 0) return false;
  if (::setgid(user.gid) != 0) return false;
  if (::setuid(user.uid) != 0) return false;
  if (user.uid != 0 && ::setuid(0) == 0) return false;
  return ::getuid() == user.uid && ::geteuid() == user.uid;
}

Status EnsureUsers(const std::vector<std::pair<std::string, UnixUser*>>& users) {
  for (const auto& [name, user] : users) {
    if (Status s = EnsureUser(name, user); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace ferry::test
