// The notify command line (semantics.md §4, user mode): when a job enters
// TRANSFERRED or ERROR and no client has a callback registered for it, the
// service runs the job's program as itself (= the job's owner in user mode).
//
// argv[0] is the program; argv[1..] are the parameters split at blanks
// (double quotes group, no other shell syntax), with %JOBID% replaced by the
// job's GUID ("{...}") and %STATE% by the state's name ("TRANSFERRED").
// Started with posix_spawn (no shell), stdin from /dev/null, default signal
// mask and dispositions; children are reaped with waitpid(WNOHANG) on a timer.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/types.h"
#include "sys/event_loop.h"

namespace ferry::service {

// The argument vector for a notify command line (pure; for tests).
std::vector<std::string> NotifyArgv(std::string_view program, std::string_view parameters,
                                    const Guid& job, JobState state);

class NotifyRunner {
 public:
  explicit NotifyRunner(sys::EventLoop& loop) : loop_(loop) {}
  ~NotifyRunner();
  NotifyRunner(const NotifyRunner&) = delete;
  NotifyRunner& operator=(const NotifyRunner&) = delete;

  // Starts the program; the result is only logged by callers.
  Status Run(std::string_view program, std::string_view parameters, const Guid& job,
             JobState state);
  size_t running() const { return children_.size(); }

 private:
  void Reap();

  sys::EventLoop& loop_;
  std::set<int> children_;
  uint64_t reap_timer_ = 0;
};

}  // namespace ferry::service
