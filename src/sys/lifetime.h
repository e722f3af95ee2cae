// Lifetime: the one way an object guards callbacks that may outlive it.
//
// An object that posts work to later loop iterations, to workers, or hands
// completion callbacks to another module owns a Lifetime member (declared
// last, so it dies first). A callback wrapped by Guard() — or posted with
// PostIfAlive / RunOnWorkerThenLoop — runs only while that Lifetime exists;
// afterwards it is a no-op. The check and the call happen on the thread
// that calls the wrapped callback, so they are race-free exactly when that
// thread is the one that destroys the owner (the event loop, in ferryd).
//
// Replaces hand-rolled `std::weak_ptr<bool> alive` members.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "sys/executor.h"

namespace ferry::sys {

class Lifetime {
 public:
  // A cheap, copyable handle; Alive() until the Lifetime is destroyed or
  // Reset().
  class Token {
   public:
    Token() = default;
    bool Alive() const { return !weak_.expired(); }

   private:
    friend class Lifetime;
    explicit Token(std::weak_ptr<const char> w) : weak_(std::move(w)) {}
    std::weak_ptr<const char> weak_;
  };

  Lifetime() = default;
  Lifetime(const Lifetime&) = delete;
  Lifetime& operator=(const Lifetime&) = delete;

  Token token() const { return Token(anchor_); }

  // Invalidates every token handed out so far (the owner lives on, e.g. a
  // restarted attempt whose old callbacks must be dropped).
  void Reset() { anchor_ = std::make_shared<const char>(0); }

  // fn wrapped so that calling it does nothing once this Lifetime is gone.
  // The wrapper returns void.
  template <class F>
  auto Guard(F fn) const {
    return [t = token(), fn = std::move(fn)](auto&&... args) mutable {
      if (t.Alive()) fn(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::shared_ptr<const char> anchor_ = std::make_shared<const char>(0);
};

// Posts fn to `on`; it runs there only if `life` still exists then.
template <class F>
void PostIfAlive(Executor& on, const Lifetime& life, F fn) {
  on.Post(life.Guard(std::move(fn)));
}

// Runs work() on `worker`, then done(result) — or done() when work returns
// void — on `loop`, only if `life` still exists when it gets there. work must
// not touch the owner (it runs while the owner may be destroyed); everything
// it needs is captured by value. `loop` must outlive the work.
template <class Work, class Done>
void RunOnWorkerThenLoop(Executor& worker, Executor& loop, const Lifetime& life, Work work, Done done) {
  worker.Post([&loop, t = life.token(), work = std::move(work), done = std::move(done)]() mutable {
    if constexpr (std::is_void_v<std::invoke_result_t<Work&>>) {
      work();
      loop.Post([t, done = std::move(done)]() mutable {
        if (t.Alive()) done();
      });
    } else {
      auto result = work();
      loop.Post([t, done = std::move(done), result = std::move(result)]() mutable {
        if (t.Alive()) done(std::move(result));
      });
    }
  });
}

}  // namespace ferry::sys
