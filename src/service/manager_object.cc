#include <fmt/format.h>

#include "service/arguments.h"
#include "service/conditions_dict.h"
#include "service/errors.h"
#include "service/guard.h"
#include "service/job_info.h"
#include "service/service_impl.h"
#include "service/statistics_dict.h"
#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::service {

ManagerObject::ManagerObject(Service::Impl& svc)
    : AdaptorInterfaces(*svc.conn, kManagerPath), svc_(svc) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() { unregisterAdaptor(); }

void ManagerObject::CreateJob(sdbus::Result<sdbus::ObjectPath>&& result, std::string display_name,
                              uint32_t type) {
  core::Caller caller;
  try {
    Guarded("CreateJob", [&] {
      CallContext c = svc_.Who(getObject());
      Check(CheckString("the display name", display_name, kMaxShortStringBytes));
      Check(CheckJobType(type));
      caller = svc_.EngineCaller(c);
    });
  } catch (const sdbus::Error& e) {
    result.returnError(e);
    return;
  }
  // Answered after the group commit that makes the job durable; no object
  // yet: the first call to the path registers it.
  auto reply = std::make_shared<sdbus::Result<sdbus::ObjectPath>>(std::move(result));
  svc_.engine.CreateJob(caller, display_name, static_cast<JobType>(type),
                        svc_.life.Guard([reply](Status s, Guid id) {
                          try {
                            if (s.ok())
                              reply->returnResults(sdbus::ObjectPath(JobPath(id)));
                            else
                              reply->returnError(ToSdbusError(s));
                          } catch (const std::exception& e) {
                            log::Warn("CreateJob: could not reply: {}", e.what());
                          }
                        }));
}

sdbus::ObjectPath ManagerObject::GetJob(const std::string& id_text) {
  return Guarded("GetJob", [&] {
    CallContext c = svc_.Who(getObject());
    Guid id;
    Check(ParseJobId(id_text, &id));
    if (!svc_.engine.IsLive(id) || (svc_.options.downloads && svc_.options.downloads->Has(id)))
      throw StatusError(Status(code::kJobNotFound, fmt::format("no job {}", id.ToString())));
    svc_.Authorized(id, c);
    return sdbus::ObjectPath(JobPath(id));
  });
}

std::vector<Guid> ManagerObject::Enumerate(uint32_t flags, const CallContext& c) {
  Check(CheckEnumFlags(flags));
  if ((flags & kEnumAllUsers) && !svc_.IsAdmin(c))
    throw StatusError(
        Status(code::kAccessDenied, "listing every user's jobs needs administrator rights"));
  std::vector<Guid> ids =
      svc_.engine.EnumJobs((flags & kEnumAllUsers) ? std::nullopt : std::optional<uint32_t>(c.uid));
  // A DO download's job is the download's business (EnumDownloads), not a job.
  if (core::Downloads* d = svc_.options.downloads)
    std::erase_if(ids, [d](const Guid& id) { return d->Has(id); });
  return ids;
}

std::vector<sdbus::ObjectPath> ManagerObject::EnumJobs(const uint32_t& flags) {
  return Guarded("EnumJobs", [&] {
    CallContext c = svc_.Who(getObject());
    std::vector<sdbus::ObjectPath> out;
    for (const Guid& id : Enumerate(flags, c)) out.emplace_back(JobPath(id));
    return out;
  });
}

void ManagerObject::ListJobs(
    sdbus::Result<std::vector<std::map<std::string, sdbus::Variant>>>&& result, uint32_t flags) {
  // Declared async only to write the reply ourselves (AppendJobInfo), which
  // the typed Result cannot: it is answered before this returns.
  std::vector<Guid> ids;
  try {
    Guarded("ListJobs", [&] { ids = Enumerate(flags, svc_.Who(getObject())); });
  } catch (const sdbus::Error& e) {
    result.returnError(e);
    return;
  }
  // The call being handled is a MethodCall (sdbus-c++ hands the handler the
  // message it dispatches); only its reply is made from it here.
  const auto* call =
      static_cast<const sdbus::MethodCall*>(getObject().getCurrentlyProcessedMessage());
  try {
    if (!call) throw std::runtime_error("no current message");
    sdbus::MethodReply reply = call->createReply();
    reply.openContainer("a{sv}");
    for (const Guid& id : ids) {
      auto snap = svc_.engine.GetJob(id);
      if (snap.ok()) AppendJobInfo(reply, snap.value());
    }
    reply.closeContainer();
    reply.send();
  } catch (const std::exception& e) {
    log::Error("ListJobs: cannot build the reply: {}", e.what());
    result.returnError(ToSdbusError(Status(code::kUnexpected, e.what())));
  }
}

std::tuple<std::string, std::string> ManagerObject::GetErrorDescription(const int32_t& code) {
  return Guarded("GetErrorDescription",
                 [&] { return std::make_tuple(StatusCodeName(code), StatusCodeMessage(code)); });
}

std::map<std::string, sdbus::Variant> ManagerObject::GetStatus() {
  return Guarded("GetStatus", [&] {
    CallContext c = svc_.Who(getObject());
    core::EngineStats st = svc_.engine.Stats();
    std::map<std::string, uint32_t> by_state;
    uint32_t total = 0;
    for (auto& [state, n] : st.jobs_by_state) {
      by_state[std::string(JobStateName(state))] = n;
      total += n;
    }
    // The caller's own jobs, for a quick look without admin rights.
    uint32_t mine = static_cast<uint32_t>(svc_.engine.EnumJobs(c.uid).size());
    std::map<std::string, sdbus::Variant> m;
    m["version"] = sdbus::Variant(svc_.options.version);
    m["mode"] = sdbus::Variant(std::string(svc_.options.system_mode ? "system" : "user"));
    m["jobs_total"] = sdbus::Variant(total);
    m["jobs_by_state"] = sdbus::Variant(by_state);
    m["caller_jobs"] = sdbus::Variant(mine);
    m["background_limit"] = sdbus::Variant(st.background_limit);
    m["foreground_limit"] = sdbus::Variant(st.foreground_limit);
    m["running_transfers"] = sdbus::Variant(st.running_transfers);
    m["callbacks"] = sdbus::Variant(static_cast<uint32_t>(svc_.callbacks.size()));
    m["caller_uid"] = sdbus::Variant(c.uid);
    m["caller_is_admin"] = sdbus::Variant(svc_.IsAdmin(c));
    bool admin = svc_.IsAdmin(c);
    AddConditions(svc_.engine.Policy(), [&](const Guid& id) {
      if (admin) return true;
      auto snap = svc_.engine.GetJob(id);
      return snap.ok() && snap->job.owner_uid == c.uid;
    }, &m);
    return m;
  });
}

void ManagerObject::SetBandwidthLimits(const uint64_t& background, const uint64_t& foreground) {
  Guarded("SetBandwidthLimits", [&] {
    CallContext c = svc_.Who(getObject());
    if (svc_.options.system_mode && !svc_.IsAdmin(c))
      throw StatusError(
          Status(code::kAccessDenied, "changing the global limits needs administrator rights"));
    svc_.engine.SetBandwidthLimits(background, foreground);
    log::Info("bandwidth limits: background {} B/s, foreground {} B/s (uid {})", background,
              foreground, c.uid);
  });
}

std::map<std::string, sdbus::Variant> ManagerObject::GetStatistics() {
  // The service's totals are not anyone's jobs: every caller may read them,
  // as every user of a Windows machine may run Get-DeliveryOptimizationPerfSnap.
  return Guarded("GetStatistics", [&] {
    ServiceStatistics st = svc_.engine.Statistics();
    if (core::SeedCacheControl* cache = svc_.options.cache) {
      st.cache_size_bytes = cache->CacheBytes();
      st.cache_entries = cache->CacheEntries();
    }
    return ServiceStatisticsDict(st);
  });
}

}  // namespace ferry::service
