// ferryd's JSON configuration (src/daemon/settings, docs/configuration.md).
//
// Invariants: a document that parses yields settings within the documented
// bounds, and those settings written back as JSON parse to the same settings;
// a document that is rejected changes nothing (semantics: bad input changes
// nothing).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/settings.h"
#include "fuzz/fuzz_check.h"

namespace {

using namespace ferry;
using nlohmann::json;

// Every field a configuration key sets, as one JSON document (the key table of
// docs/configuration.md).
json ToJson(const daemon::Settings& s) {
  const core::EngineConfig& e = s.engine;
  json j;
  j["max_jobs_per_user"] = e.max_jobs_per_user;
  j["max_files_per_job"] = e.max_files_per_job;
  j["max_ranges_per_file"] = e.max_ranges_per_file;
  j["max_job_age_seconds"] = e.max_job_age.count();
  j["min_retry_delay_floor_seconds"] = e.min_retry_delay_floor.count();
  j["checkpoint_bytes"] = e.checkpoint_bytes;
  j["checkpoint_interval_ms"] = e.checkpoint_interval.count();
  j["write_buffer_bytes"] = e.write_buffer_bytes;
  j["max_background_transfers"] = e.max_background_transfers;
  j["time_slice_seconds"] = e.time_slice.count();
  j["background_limit"] = e.background_limit;
  j["foreground_limit"] = e.foreground_limit;
  j["progress_coalesce_ms"] = e.progress_coalesce.count();
  j["connect_timeout_seconds"] = e.connect_timeout.count();
  j["ca_file"] = e.ca_file;
  j["log_level"] = s.log_level;
  j["status_interval_seconds"] = s.status_interval.count();
  j["clock_offset_seconds"] = s.clock_offset.count();
  return j;
}

void CheckBounds(const daemon::Settings& s) {
  const core::EngineConfig& e = s.engine;
  FUZZ_CHECK(e.max_jobs_per_user >= 1 && e.max_files_per_job >= 1 && e.max_ranges_per_file >= 1);
  FUZZ_CHECK(e.max_job_age.count() >= 1 && e.time_slice.count() >= 1);
  FUZZ_CHECK(e.checkpoint_bytes >= 64 * 1024);
  FUZZ_CHECK(e.write_buffer_bytes >= 64 * 1024 && e.write_buffer_bytes <= (1u << 30));
  FUZZ_CHECK(e.checkpoint_interval.count() >= 10 && e.connect_timeout.count() >= 1);
  FUZZ_CHECK(e.max_background_transfers >= 1);
  FUZZ_CHECK(e.ca_file.empty() || e.ca_file[0] == '/');
  FUZZ_CHECK(s.status_interval.count() >= 1 && s.status_interval.count() <= 3600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const json defaults = ToJson(daemon::Settings{});
  daemon::Settings s;
  Status st = daemon::ParseSettings(text, &s);
  if (!st.ok()) {
    FUZZ_CHECK(st.code() == code::kInvalidArg);
    FUZZ_CHECK(ToJson(s) == defaults);
    return 0;
  }
  CheckBounds(s);
  std::string written = ToJson(s).dump();
  daemon::Settings again;
  FUZZ_CHECK(daemon::ParseSettings(written, &again).ok());
  FUZZ_CHECK(ToJson(again) == ToJson(s));
  return 0;
}
