// What the CLI shows of a job and its files, read through the SDK, as text
// lines and as the JSON documents of api.md §3 (snake_case keys).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ferry/ferry.h"

namespace ferry::cli {

struct JobView {
  Guid id;
  std::string display_name;
  std::string description;
  JobState state = JobState::kSuspended;
  JobPriority priority = JobPriority::kNormal;
  std::string owner;
  JobProgress progress;
  JobTimes times;
  uint32_t error_count = 0;
  uint32_t notify_flags = 0;
  bool has_error = false;
  ErrorContext error_context = ErrorContext::kNone;
  int32_t error_code = 0;
  std::string error_message;
  std::string error_file;
};

struct FileView {
  std::string remote_name, local_name;
  FileProgress progress;
};

Status ReadJob(Job& job, JobView* out);
Status ReadFiles(Job& job, std::vector<FileView>* out);

nlohmann::json ToJson(const JobView& v);
nlohmann::json ToJson(const FileView& f);
// One line: "{guid} STATE        42%  12.0 MiB/100.0 MiB  name".
std::string ToLine(const JobView& v);

}  // namespace ferry::cli
