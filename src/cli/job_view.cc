#include "cli/job_view.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/cli.h"
#include "util/status_codes.h"

namespace ferry::cli {

namespace {

// The error's file of a job with one: EnumFiles, then that file's local name.
void ReadErrorFile(Job& job, JobView* v) {
  v->error_file.clear();
  if (!v->job.has_error || v->job.error_file < 0) return;
  std::vector<std::unique_ptr<File>> files;
  if (!job.EnumFiles(&files).ok() || static_cast<size_t>(v->job.error_file) >= files.size()) return;
  files[static_cast<size_t>(v->job.error_file)]->GetLocalName(&v->error_file);
}

}  // namespace

Status ReadJob(Job& job, bool error_file, JobView* v) {
  if (Status s = job.GetSummary(&v->job); !s.ok()) return s;
  v->error_file.clear();
  if (error_file) ReadErrorFile(job, v);
  return Status::OK();
}

Status ListJobs(Manager& m, uint32_t flags, bool error_files, std::vector<JobView>* out) {
  std::vector<JobSummary> jobs;
  if (Status s = m.ListJobs(flags, &jobs); !s.ok()) return s;
  out->clear();
  out->reserve(jobs.size());
  for (JobSummary& summary : jobs) {
    out->push_back(JobView{std::move(summary), {}});
    JobView& v = out->back();
    std::unique_ptr<Job> job;
    // A job that finished meanwhile keeps no error file.
    if (error_files && v.job.has_error && v.job.error_file >= 0 && m.GetJob(v.job.id, &job).ok())
      ReadErrorFile(*job, &v);
  }
  return Status::OK();
}

Status ReadFiles(Job& job, std::vector<FileView>* out) {
  std::vector<std::unique_ptr<File>> files;
  Status s = job.EnumFiles(&files);
  if (!s.ok()) return s;
  out->clear();
  for (auto& f : files) {
    FileView fv;
    f->GetRemoteName(&fv.remote_name);
    f->GetLocalName(&fv.local_name);
    f->GetProgress(&fv.progress);
    f->GetContentId(&fv.content_id);
    out->push_back(std::move(fv));
  }
  return Status::OK();
}

namespace {
nlohmann::json Size(uint64_t v) {
  return v == kSizeUnknown ? nlohmann::json(nullptr) : nlohmann::json(v);
}
int64_t Ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

nlohmann::json ToJson(const JobView& view) {
  const JobSummary& v = view.job;
  nlohmann::json j;
  j["id"] = v.id.ToString();
  j["display_name"] = v.display_name;
  j["description"] = v.description;
  j["state"] = std::string(JobStateName(v.state));
  j["state_code"] = static_cast<uint32_t>(v.state);
  j["priority"] = std::string(JobPriorityName(v.priority));
  j["owner"] = v.owner_name;
  j["bytes_total"] = Size(v.progress.bytes_total);
  j["bytes_transferred"] = v.progress.bytes_transferred;
  j["files_total"] = v.progress.files_total;
  j["files_transferred"] = v.progress.files_transferred;
  j["error_count"] = v.error_count;
  j["notify_flags"] = v.notify_flags;
  j["rate_limit"] = v.max_rate;
  j["download_mode"] = v.download_mode
                           ? nlohmann::json(std::string(DownloadModeName(*v.download_mode)))
                           : nlohmann::json(nullptr);
  j["effective_download_mode"] = std::string(DownloadModeName(v.effective_download_mode));
  j["creation_time_ns"] = Ns(v.times.creation);
  j["modification_time_ns"] = Ns(v.times.modification);
  j["transfer_completion_time_ns"] = Ns(v.times.transfer_completion);
  if (v.has_error) {
    j["error"] = {{"code", fmt::format("0x{:08X}", static_cast<uint32_t>(v.error_code))},
                  {"code_value", v.error_code},
                  {"name", StatusCodeName(v.error_code)},
                  {"context", std::string(ErrorContextName(v.error_context))},
                  {"message", v.error_message},
                  {"file", view.error_file.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(view.error_file)}};
  } else {
    j["error"] = nullptr;
  }
  return j;
}

nlohmann::json ToJson(const FileView& f) {
  return {{"remote_name", f.remote_name},
          {"local_name", f.local_name},
          {"bytes_total", Size(f.progress.bytes_total)},
          {"bytes_transferred", f.progress.bytes_transferred},
          {"completed", f.progress.completed},
          {"content_id",
           f.content_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.content_id)}};
}

std::string ToLine(const JobView& view) {
  const JobSummary& v = view.job;
  std::string pct = "   -";
  if (v.progress.bytes_total != kSizeUnknown && v.progress.bytes_total > 0)
    pct = fmt::format("{:3}%", v.progress.bytes_transferred * 100 / v.progress.bytes_total);
  std::string total =
      v.progress.bytes_total == kSizeUnknown ? "?" : HumanBytes(v.progress.bytes_total);
  return fmt::format("{} {:<15} {} {:>10}/{:<10} {}", v.id.ToString(), JobStateName(v.state), pct,
                     HumanBytes(v.progress.bytes_transferred), total, v.display_name);
}

}  // namespace ferry::cli
