#include "cli/job_view.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/cli.h"
#include "util/status_codes.h"

namespace ferry::cli {

Status ReadJob(Job& job, JobView* v) {
  Status s;
  if (!(s = job.GetId(&v->id)).ok()) return s;
  if (!(s = job.GetDisplayName(&v->display_name)).ok()) return s;
  if (!(s = job.GetDescription(&v->description)).ok()) return s;
  if (!(s = job.GetState(&v->state)).ok()) return s;
  if (!(s = job.GetPriority(&v->priority)).ok()) return s;
  if (!(s = job.GetOwner(&v->owner)).ok()) return s;
  if (!(s = job.GetProgress(&v->progress)).ok()) return s;
  if (!(s = job.GetTimes(&v->times)).ok()) return s;
  if (!(s = job.GetErrorCount(&v->error_count)).ok()) return s;
  if (!(s = job.GetNotifyFlags(&v->notify_flags)).ok()) return s;
  v->has_error = false;
  if (v->state == JobState::kError || v->state == JobState::kTransientError) {
    std::unique_ptr<Error> err;
    if (job.GetError(&err).ok() && err) {
      v->has_error = true;
      err->GetError(&v->error_context, &v->error_code);
      err->GetErrorDescription(&v->error_message);
      std::unique_ptr<File> f;
      if (err->GetFile(&f).ok() && f) f->GetLocalName(&v->error_file);
    }
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
    out->push_back(std::move(fv));
  }
  return Status::OK();
}

namespace {
nlohmann::json Size(uint64_t v) { return v == kSizeUnknown ? nlohmann::json(nullptr) : nlohmann::json(v); }
int64_t Ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

nlohmann::json ToJson(const JobView& v) {
  nlohmann::json j;
  j["id"] = v.id.ToString();
  j["display_name"] = v.display_name;
  j["description"] = v.description;
  j["state"] = std::string(JobStateName(v.state));
  j["state_code"] = static_cast<uint32_t>(v.state);
  j["priority"] = std::string(JobPriorityName(v.priority));
  j["owner"] = v.owner;
  j["bytes_total"] = Size(v.progress.bytes_total);
  j["bytes_transferred"] = v.progress.bytes_transferred;
  j["files_total"] = v.progress.files_total;
  j["files_transferred"] = v.progress.files_transferred;
  j["error_count"] = v.error_count;
  j["notify_flags"] = v.notify_flags;
  j["creation_time_ns"] = Ns(v.times.creation);
  j["modification_time_ns"] = Ns(v.times.modification);
  j["transfer_completion_time_ns"] = Ns(v.times.transfer_completion);
  if (v.has_error) {
    j["error"] = {{"code", fmt::format("0x{:08X}", static_cast<uint32_t>(v.error_code))},
                  {"code_value", v.error_code},
                  {"name", StatusCodeName(v.error_code)},
                  {"context", std::string(ErrorContextName(v.error_context))},
                  {"message", v.error_message},
                  {"file", v.error_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.error_file)}};
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
          {"completed", f.progress.completed}};
}

std::string ToLine(const JobView& v) {
  std::string pct = "   -";
  if (v.progress.bytes_total != kSizeUnknown && v.progress.bytes_total > 0)
    pct = fmt::format("{:3}%", v.progress.bytes_transferred * 100 / v.progress.bytes_total);
  std::string total =
      v.progress.bytes_total == kSizeUnknown ? "?" : HumanBytes(v.progress.bytes_total);
  return fmt::format("{} {:<15} {} {:>10}/{:<10} {}", v.id.ToString(), JobStateName(v.state), pct,
                     HumanBytes(v.progress.bytes_transferred), total, v.display_name);
}

}  // namespace ferry::cli
