// The three ways case_runner_test.cc runs a case file (README.md, "Modes").
// Each reports failures through gtest.
#pragma once

#include "cases/case_file.h"

namespace ferry::test {

// The engine in this process on a virtual clock (support/sim_host.h).
void RunInProcess(const Case& c);
// A real ferryd on a private bus through the SDK.
void RunDaemon(const Case& c);
// RunInProcess under FaultInjectionFileSystem, failing operation N for every
// N (stepped when there are many): each run ends in the expected state or a
// documented error, and an engine reopened on what is left recovers.
void RunFaultFs(const Case& c);

}  // namespace ferry::test
