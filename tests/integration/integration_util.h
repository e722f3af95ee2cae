// Helpers shared by the integration tests: a real EngineHost (SQLite store,
// staging files, libcurl and file:// backends) driven from the test thread.
//
// Every wait is a bounded poll: GetJob through EngineHost::Call every 20 ms
// until the condition holds or the deadline (default 120 s) passes. A wait
// never asserts by itself; it returns an AssertionResult that carries the
// job's last state and error, so the caller's ASSERT shows what went wrong.
//
// Sizes scale with $FERRY_TEST_SCALE (a positive real, default 1): slow
// builds (TSan) run the same tests on smaller files.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/engine.h"
#include "daemon/engine_host.h"
#include "ferry/types.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"
#include "util/result.h"

namespace ferry::test {

using Host = daemon::EngineHost;
constexpr std::chrono::seconds kDeadline{120};

// $FERRY_TEST_SCALE, clamped to [0.01, 100]; 1 when unset or malformed.
double Scale();
// bytes * Scale(), at least `min`, rounded down to a multiple of 4 KiB.
uint64_t Scaled(uint64_t bytes, uint64_t min = 256 * 1024);

// The engine's defaults, except a 1 s retry floor (a transient error retries
// quickly instead of after the 600 s BITS default).
core::EngineConfig TestConfig();

// Starts a host on `state_dir` (created when missing).
std::unique_ptr<Host> StartHost(const std::string& state_dir, const core::EngineConfig& config,
                                Status* status);

struct JobOptions {
  JobPriority priority = JobPriority::kNormal;
  uint32_t min_retry_delay_s = 1;      // raised to the config's floor
  uint32_t no_progress_timeout_s = 0;  // 0: keep the default
};

// CreateJob (as the current uid, admin), AddFiles with one file, the job's
// options, Resume — all in one call on the loop thread. On failure the job is
// cancelled and the error returned.
Status CreateAndResume(Host& host, const std::string& url, const std::string& local_name, Guid* id,
                       const JobOptions& options = {});

// GetJob on the loop thread.
Result<core::JobSnapshot> Snapshot(Host& host, const Guid& id);

// "TRANSFERRING 1234/5678 bytes, error 0x80190194 REMOTE_FILE: ..." for messages.
std::string Describe(const Result<core::JobSnapshot>& snap);

// Polls until pred(snapshot) holds. Fails at the deadline, when GetJob fails,
// or (unless `allow_error`) as soon as the job is in ERROR.
::testing::AssertionResult WaitUntil(Host& host, const Guid& id,
                                     const std::function<bool(const core::JobSnapshot&)>& pred,
                                     core::JobSnapshot* last = nullptr, bool allow_error = false,
                                     std::chrono::milliseconds deadline = kDeadline);
// Polls until the job is in `state` (ERROR fails early unless it is `state`).
::testing::AssertionResult WaitForState(Host& host, const Guid& id, JobState state,
                                        core::JobSnapshot* last = nullptr,
                                        std::chrono::milliseconds deadline = kDeadline);

// Engine::Complete, waiting (bounded) for its callback; returns its status,
// or E_UNEXPECTED when the callback did not come before the deadline.
Status CompleteSync(Host& host, const Guid& id, std::chrono::milliseconds deadline = kDeadline);

// <state dir>/staging/<job hex> and its file's staging path.
std::string StagingDir(const Host& host, const Guid& id);
std::string StagingFile(const Host& host, const Guid& id, uint32_t file = 0);

// nginx's access log once it has at least `n` lines (nginx writes a line
// just after the response, so a client may see the answer first); whatever
// it has after `deadline` otherwise.
std::vector<test::NginxLogEntry> AccessLogAtLeast(const test::NginxFixture& nginx, size_t n,
                                                  std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace ferry::test
