// FakeConditions: the Conditions port (core/conditions.h) as a value the test
// sets. Set() calls the engine's watcher at once, as a real source does on
// the engine thread.
#pragma once

#include <functional>
#include <utility>

#include "core/conditions.h"

namespace ferry::test {

class FakeConditions : public core::Conditions {
 public:
  core::MachineState Current() const override { return state_; }
  void Watch(std::function<void()> changed) override { changed_ = std::move(changed); }

  // Replaces the reading and tells the watcher.
  void Set(const core::MachineState& s) {
    state_ = s;
    if (changed_) changed_();
  }
  // Changes one part of the reading.
  template <typename F>
  void Change(F&& f) {
    core::MachineState s = state_;
    f(s);
    Set(s);
  }
  bool watched() const { return static_cast<bool>(changed_); }

 private:
  core::MachineState state_;
  std::function<void()> changed_;
};

}  // namespace ferry::test
