// One case file (tests/cases/data/*.json, format in tests/cases/README.md):
// its origin, the job it asks for, and the checks of what happened, shared
// by the three modes of case_runner_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ferry/types.h"
#include "support/scripted_origin.h"

namespace ferry::test {

using json = nlohmann::json;

enum class Mode { kInProcess, kDaemon, kFaultFs };
std::string ModeName(Mode mode);  // "InProcess", "Daemon", "FaultFs"; also the skip_modes keys

struct Case {
  std::string path;
  json doc;
  std::string file_path;  // where the origin serves the file
  JobState want{};
  std::string content1;  // version 1 of the origin's content
};

std::vector<std::string> CaseFiles();
// "001_plain_200" from ".../001_plain_200.json" (non-alphanumerics as '_').
std::string CaseName(const std::string& path);
Case LoadCase(const std::string& path);
// Why the case cannot run in `mode` (its "skip_modes"), or nothing.
std::optional<std::string> SkipReason(const Case& c, Mode mode);

// The case's ScriptedOrigin: reply i answers the i-th request on a path (the
// last repeats); redirects to "/x" point at the origin itself.
std::unique_ptr<test::ScriptedOrigin> StartOrigin(const Case& c);

// The job's one file as the case asks for it (local name given by the mode).
struct CaseFile {
  std::string url;
  std::vector<FileRange> ranges;
  std::optional<uint64_t> file_size;
  std::optional<std::string> sha256;
  std::optional<std::string> content_id;
};
CaseFile FileOf(const Case& c, const test::ScriptedOrigin& origin);

// What a mode saw when the job reached the awaited state.
struct Outcome {
  JobState state{};
  std::optional<int32_t> code;
  std::optional<ErrorContext> context;
  uint32_t error_count = 0;
  uint64_t bytes_transferred = 0;
  std::optional<int64_t> retry_after_s;    // retry time - failure time; not over the bus
  std::optional<std::string> delivered;    // the local file after Complete
  bool delivered_before_complete = false;  // something at the local name before Complete
};

// The bytes the delivered file must hold (when the case expects TRANSFERRED).
std::string ExpectedContent(const Case& c);
// gtest checks of the outcome and the origin's requests against "expect".
void CheckOutcome(const Case& c, const Outcome& o,
                  const std::vector<test::OriginRequest>& requests);
// The "kill_after_bytes" action, if any.
std::optional<uint64_t> KillAfterBytes(const Case& c);

}  // namespace ferry::test
