// Real unix users for tests that need more than one identity (system-mode
// ferryd, per-user authorization). Running programs or code as them:
// support/child_process.h (SpawnOptions::as, RunOptions::as, RunAs).
//
// EnsureUser() creates a user with useradd(8) when it does not exist yet
// (names like "ferrytest-a"; a system user without a home directory and
// with a nologin shell) and returns its uid/gid. Creating users needs root:
// tests call IsRoot() first and GTEST_SKIP otherwise.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "ferry/status.h"

namespace ferry::test {

struct UnixUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// True when the effective uid is 0.
bool IsRoot();

// Looks `name` up; when absent, creates it with
// `useradd --system --no-create-home --user-group --shell /usr/sbin/nologin`.
// E_ACCESSDENIED when not root and the user is missing; the useradd output
// in the message when it fails.
Status EnsureUser(const std::string& name, UnixUser* user);
// EnsureUser for each (name, user) in order; the first failure.
Status EnsureUsers(const std::vector<std::pair<std::string, UnixUser*>>& users);
// Looks a user up by name (no creation). False when absent.
bool LookupUser(const std::string& name, UnixUser* user);

// Drops the calling process to `user` (setgroups({gid}), setgid, setuid;
// then verifies setuid(0) fails when user.uid != 0). For forked children.
bool DropTo(const UnixUser& user);

}  // namespace ferry::test
