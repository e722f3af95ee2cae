#include "service/audience.h"

#include <vector>

namespace ferry::service {

void Audiences::Join(const Guid& id, const std::string& name, uint32_t uid) {
  if (name.empty()) return;  // no sender (a peer-to-peer connection): nobody to address
  by_id_[id][name] = uid;
  by_name_[name].insert(id);
}

const Audiences::Members& Audiences::Of(const Guid& id) const {
  static const Members kNobody;
  auto it = by_id_.find(id);
  return it == by_id_.end() ? kNobody : it->second;
}

void Audiences::Keep(const Guid& id,
                     const std::function<bool(const std::string&, uint32_t)>& keep) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  std::vector<std::string> gone;
  for (const auto& [name, uid] : it->second)
    if (!keep(name, uid)) gone.push_back(name);
  for (const std::string& name : gone) Forget(id, name);
}

void Audiences::Drop(const Guid& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  for (const auto& [name, uid] : it->second) {
    auto n = by_name_.find(name);
    if (n == by_name_.end()) continue;
    n->second.erase(id);
    if (n->second.empty()) by_name_.erase(n);
  }
  by_id_.erase(it);
}

void Audiences::Leave(const std::string& name) {
  auto n = by_name_.find(name);
  if (n == by_name_.end()) return;
  for (const Guid& id : n->second) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    it->second.erase(name);
    if (it->second.empty()) by_id_.erase(it);
  }
  by_name_.erase(n);
}

void Audiences::Forget(const Guid& id, const std::string& name) {
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    it->second.erase(name);
    if (it->second.empty()) by_id_.erase(it);
  }
  if (auto n = by_name_.find(name); n != by_name_.end()) {
    n->second.erase(id);
    if (n->second.empty()) by_name_.erase(n);
  }
}

}  // namespace ferry::service
