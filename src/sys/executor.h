// Executor: something that runs closures on its thread(s).
#pragma once

#include <functional>

namespace ferry::sys {

class Executor {
 public:
  virtual ~Executor() = default;
  // Queues fn. Thread-safe; never runs fn inline.
  virtual void Post(std::function<void()> fn) = 0;
};

}  // namespace ferry::sys
