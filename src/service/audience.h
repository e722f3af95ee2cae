// Who receives the signals of a job or a DO download (docs/dbus-api.md,
// "Who receives signals").
//
// ferryd never broadcasts a job's signals: every copy is addressed to one
// connection (a unicast signal, which dbus-daemon delivers to that
// connection only). A job's audience is the connections that made an
// authorized call on its object (or created the download): its owner's, and
// an administrator's that acted on it. So at N clients each event costs the
// few connections that use the job, not N, and in system mode no user's
// connection learns of another user's jobs.
//
// A member leaves when its connection leaves the bus (Leave), when the job is
// gone (Drop), or when the job changes hands and the member is neither the
// new owner nor an administrator (Keep). Not thread-safe: the loop thread.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "ferry/types.h"

namespace ferry::service {

class Audiences {
 public:
  using Members = std::map<std::string, uint32_t>;  // unique bus name -> uid

  // `name` (with `uid`) receives id's signals from now on. Idempotent.
  void Join(const Guid& id, const std::string& name, uint32_t uid);
  // id's members; an empty set when nobody listens.
  const Members& Of(const Guid& id) const;
  // Keeps only the members of id for which keep(name, uid) is true.
  void Keep(const Guid& id, const std::function<bool(const std::string&, uint32_t)>& keep);
  // Nobody receives id's signals any more.
  void Drop(const Guid& id);
  // The connection `name` left the bus: it leaves every audience.
  void Leave(const std::string& name);

  size_t jobs() const { return by_id_.size(); }

 private:
  void Forget(const Guid& id, const std::string& name);

  std::map<Guid, Members> by_id_;
  std::map<std::string, std::set<Guid>> by_name_;  // the reverse index, for Leave
};

// Sends member `member` of `interface` on `object`, with `args`, once to each
// of `to`. sd-bus seals a message when it sends it, so every copy is a new
// message with its own destination. Throws what sdbus-c++ throws.
template <typename... Args>
void Unicast(sdbus::IObject& object, const std::string& interface, const std::string& member,
             const Audiences::Members& to, const Args&... args) {
  for (const auto& [name, uid] : to) {
    sdbus::Signal signal = object.createSignal(interface, member);
    (void)(signal << ... << args);
    signal.setDestination(name);
    object.emitSignal(signal);
  }
}

}  // namespace ferry::service
