// Manager: connecting to ferryd and the job-level calls of the manager object.
#include <fmt/format.h>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/job_impl.h"
#include "util/status_codes.h"

namespace ferry {

using sdk::Guard;

// A Manager made inside a callback of another Manager has its own connection
// and dispatcher, so it is always counted on its own.
Manager::Manager(std::shared_ptr<detail::Connection> c) : conn_(std::move(c)) { conn_->AddUser(); }
Manager::~Manager() { conn_->ReleaseUser(true); }

Status Manager::Connect(const ConnectOptions& options, std::unique_ptr<Manager>* manager) {
  return Guard([&] {
    if (!manager) return Status(code::kInvalidArg, "manager is null");
    std::shared_ptr<detail::Connection> c;
    if (Status s = detail::Connection::Open(options, &c); !s.ok()) return s;
    manager->reset(new Manager(std::move(c)));
    return Status::OK();
  });
}

namespace {

Status JobFromPath(detail::Connection& conn, const std::string& path, std::unique_ptr<Job>* job) {
  Guid id;
  if (!sdk::JobIdFromPath(path, &id))
    return Status(code::kUnexpected, fmt::format("the service returned a bad job path: {}", path));
  *job = conn.NewJob(path, id);
  return Status::OK();
}

}  // namespace

Status Manager::CreateJob(std::string_view display_name, JobType type, Guid* id, std::unique_ptr<Job>* job) {
  return Guard([&] {
    std::string path = conn_->manager->CreateJob(sdk::Text(display_name, "display_name"), static_cast<uint32_t>(type));
    std::unique_ptr<Job> j;
    if (Status s = JobFromPath(*conn_, path, &j); !s.ok()) return s;
    if (id) j->GetId(id);
    if (job) *job = std::move(j);
    return Status::OK();
  });
}

Status Manager::GetJob(const Guid& id, std::unique_ptr<Job>* job) {
  return Guard([&] {
    if (!job) return Status(code::kInvalidArg, "job is null");
    std::string path = conn_->manager->GetJob(id.ToString());
    return JobFromPath(*conn_, path, job);
  });
}

Status Manager::EnumJobs(uint32_t flags, std::vector<std::unique_ptr<Job>>* jobs) {
  return Guard([&] {
    if (!jobs) return Status(code::kInvalidArg, "jobs is null");
    std::vector<std::unique_ptr<Job>> out;
    for (const sdbus::ObjectPath& path : conn_->manager->EnumJobs(flags)) {
      std::unique_ptr<Job> j;
      if (Status s = JobFromPath(*conn_, path, &j); !s.ok()) return s;
      out.push_back(std::move(j));
    }
    *jobs = std::move(out);
    return Status::OK();
  });
}

Status Manager::GetErrorDescription(int32_t c, std::string* description) {
  // The same table the service uses (src/util/status_codes.cc): no round trip.
  return Guard([&] {
    if (!description) return Status(code::kInvalidArg, "description is null");
    *description = fmt::format("{}: {}", StatusCodeName(c), StatusCodeMessage(c));
    return Status::OK();
  });
}

Status Manager::GetServiceStatus(ServiceStatus* status) {
  return Guard([&] {
    if (!status) return Status(code::kInvalidArg, "status is null");
    std::map<std::string, sdbus::Variant> m = conn_->manager->GetStatus();
    ServiceStatus out;
    auto get = [&](const char* key, auto* v) {
      auto it = m.find(key);
      if (it == m.end()) return;
      using T = std::remove_pointer_t<decltype(v)>;
      if (it->second.containsValueOfType<T>()) *v = it->second.get<T>();
    };
    get("version", &out.version);
    get("mode", &out.mode);
    get("jobs_by_state", &out.jobs_by_state);
    get("jobs_total", &out.jobs_total);
    get("running_transfers", &out.running_transfers);
    get("background_limit", &out.background_limit);
    get("foreground_limit", &out.foreground_limit);
    get("caller_is_admin", &out.caller_is_admin);
    *status = std::move(out);
    return Status::OK();
  });
}

Status Manager::SetBandwidthLimits(uint64_t background, uint64_t foreground) {
  return Guard([&] {
    conn_->manager->SetBandwidthLimits(background, foreground);
    return Status::OK();
  });
}

Status Manager::CreateDownload(std::unique_ptr<Download>*) {
  return Status(code::kNotImpl, "the single-download API (IDODownload) is not implemented yet");
}

Status Manager::EnumDownloads(const DownloadEnumCategory*, std::vector<std::unique_ptr<Download>>*) {
  return Status(code::kNotImpl, "the single-download API (IDODownload) is not implemented yet");
}

}  // namespace ferry
