// Manager: connecting to ferryd and the job-level calls of the manager object.
#include <fmt/format.h>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/info_reader.h"
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
  if (!JobIdFromPath(path, &id))
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

Status Manager::ListJobs(uint32_t flags, std::vector<JobSummary>* jobs) {
  return Guard([&] {
    if (!jobs) return Status(code::kInvalidArg, "jobs is null");
    sdbus::MethodReply reply = conn_->manager->ListJobsReply(flags);
    std::vector<JobSummary> out;
    Status s = sdk::ReadInfoList(reply, "ListJobs", [&](const sdk::Info& info) {
      JobSummary& job = out.emplace_back();
      if (Status d = sdk::DecodeJobSummary(info, &job); !d.ok()) return d;
      if (job.id.IsNil())
        return Status(code::kUnexpected, "the service listed a job without an id");
      return Status::OK();
    });
    if (s.ok()) *jobs = std::move(out);
    return s;
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
    sdbus::MethodReply reply = conn_->manager->GetStatusReply();
    sdk::Info m;
    if (Status s = sdk::ReadInfo(reply, "GetStatus", &m); !s.ok()) return s;
    ServiceStatus out;
    sdk::InfoReader r(m, sdk::InfoReader::Missing::kKeepDefault);
    r.Read("version", &out.version)
        .Read("mode", &out.mode)
        .Read("jobs_by_state", &out.jobs_by_state)
        .Read("jobs_total", &out.jobs_total)
        .Read("running_transfers", &out.running_transfers)
        .Read("background_limit", &out.background_limit)
        .Read("foreground_limit", &out.foreground_limit)
        .Read("caller_is_admin", &out.caller_is_admin)
        .Read("network_known", &out.network_known)
        .Read("metered", &out.metered)
        .Read("cellular", &out.cellular)
        .Read("connectivity", &out.connectivity)
        .Read("link_type", &out.link_type)
        .Read("power_known", &out.power_known)
        .Read("on_battery", &out.on_battery)
        .Read("battery_percent", &out.battery_percent)
        .Read("schedule_limit", &out.schedule_limit)
        .Read("blocked_jobs", &out.blocked_jobs);
    if (!r.status().ok()) return r.status();
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

}  // namespace ferry
