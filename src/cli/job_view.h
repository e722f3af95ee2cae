// What the CLI shows of a job and its files, read through the SDK, as text
// lines and as the JSON documents of api.md §3 (snake_case keys).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/ferry.h"

namespace ferry::cli {

// A job as the CLI shows it: the SDK's one-round-trip JobSummary, plus the
// local name of the file its error is about (the summary has its index).
struct JobView {
  JobSummary job;
  std::string error_file;  // "" when none, or when not looked up
};

struct FileView {
  std::string remote_name, local_name;
  std::string content_id;  // "" when none
  FileProgress progress;
};

// Job::GetSummary; with `error_file`, also the local name of the file the
// job's error is about (two more round trips, only when there is one).
Status ReadJob(Job& job, bool error_file, JobView* out);
// Manager::ListJobs (one round trip) as views; with `error_files`, the
// error's file for each job that has one (GetJob + the two above).
Status ListJobs(Manager& m, uint32_t flags, bool error_files, std::vector<JobView>* out);
Status ReadFiles(Job& job, std::vector<FileView>* out);

nlohmann::json ToJson(const JobView& v);
nlohmann::json ToJson(const FileView& f);
// One line: "{guid} STATE        42%  12.0 MiB/100.0 MiB  name".
std::string ToLine(const JobView& v);

}  // namespace ferry::cli
