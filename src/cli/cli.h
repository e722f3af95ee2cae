// The ferry command: verbs of api.md §3 on the SDK (libferry-client). The CLI
// sees nothing the SDK does not offer.
//
// Exit codes: 0 success; 1 the service answered with an error (its code is
// printed); 2 usage; 3 the service is not reachable; `wait` and `get` exit 4
// when the job is in ERROR (`get` also when it gave up: no progress for
// --timeout seconds); 130 after SIGINT.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/ferry.h"

namespace ferry::cli {

enum Exit : int {
  kOk = 0,
  kServiceError = 1,
  kUsage = 2,
  kUnreachable = 3,
  kJobError = 4,
  kInterrupted = 130
};

struct Globals {
  bool json = false;
  bool user = false;
  bool system = false;
  std::string bus_address;
};

// Connects as the global options say; prints the error and returns nullptr
// when the service cannot be reached.
std::unique_ptr<Manager> Connect(const Globals& g, int* exit_code);

// Prints "0x80D02013 DO_E_INVALID_STATE: message" and a hint to stderr (or
// {"error": {...}} on stdout with --json) and returns the exit code for it.
int Fail(const Globals& g, const Status& s, std::string_view doing);

// Resolves JOB: a GUID (with or without braces), a unique prefix of the
// 32-hex form, or a unique display name among the caller's jobs.
Status ResolveJob(Manager& m, const std::string& ref, std::unique_ptr<Job>* job);

// From now on SIGINT and SIGTERM only set a flag that Interrupted() reads:
// the verbs that wait poll it, clean up and exit 130.
void CatchInterrupts();
bool Interrupted();

// Human-readable size and rate.
std::string HumanBytes(uint64_t bytes);

}  // namespace ferry::cli
