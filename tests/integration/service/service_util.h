// The service-test helpers moved to tests/support: service_env.h (ServiceEnv,
// WaitFor, RunCli, RecordingCallback, …) and service_test.h (the ServiceTest
// base fixture), in namespace ferry::test. This header keeps tests written
// against the old place and namespace (ferry::service_test) compiling; new
// tests include support/service_test.h.
#pragma once

#include "support/service_test.h"

namespace ferry::service_test {
using namespace ::ferry::test;  // NOLINT: a compatibility alias
}  // namespace ferry::service_test
