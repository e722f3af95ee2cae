// Internal state of the service shared by the manager and job objects.
#pragma once

#include <ferry_adaptor.h>
#include <sdbus-c++/sdbus-c++.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/engine.h"
#include "core/events.h"
#include "service/audience.h"
#include "service/authority.h"
#include "service/bus_driver.h"
#include "service/download_object.h"
#include "service/notify_program.h"
#include "service/service.h"
#include "sys/lifetime.h"

namespace ferry::service {

class DownloadObject;
class JobObject;
class ManagerObject;

// Who sent the message being handled.
struct CallContext {
  std::string sender;  // unique bus name
  uint32_t uid = 0;
};

struct Service::Impl {
  Impl(core::Engine& e, sys::EventLoop& l, ServiceOptions o)
      : engine(e), loop(l), options(std::move(o)) {}
  ~Impl();

  // The caller of the message `object` is handling; throws StatusError.
  CallContext Who(const sdbus::IObject& object);
  bool IsAdmin(const CallContext& c) { return authority->IsAdmin(c.sender, c.uid); }
  core::Caller EngineCaller(const CallContext& c) { return core::Caller{c.uid, IsAdmin(c)}; }
  // What only whoever owns ferryd's configuration may change (a job's or a
  // download's download mode): in system mode an administrator; in user
  // mode ferryd's own user, whom the session bus and Authorized already
  // leave as the only caller. Throws StatusError(E_ACCESSDENIED) naming `what`.
  void RequireConfigOwner(const CallContext& c, std::string_view what);
  // The job, if the caller is its owner or an administrator; throws
  // StatusError (DO_E_JOB_NOT_FOUND, E_ACCESSDENIED).
  core::JobSnapshot Authorized(const Guid& id, const CallContext& c);
  // The caller of an authorized call on id's object receives id's signals
  // from now on (service/audience.h).
  void Join(const Guid& id, const CallContext& c) { audiences.Join(id, c.sender, c.uid); }

  // Job objects are a cache, not one per job: an sdbus-c++ object costs
  // ~16 KiB, too much for 10,000 jobs. EnsureObject registers the object of
  // a job the engine knows (live or recently final) when a call is addressed
  // to its path (a match runs it before sd-bus dispatches the call) or an
  // event is emitted on it, and marks it recently used; beyond
  // kCachedObjects the least recently used ones are unregistered on a later
  // loop turn (never inside their own handlers). A client never sees the
  // difference: the next call to that path registers the object again.
  static constexpr size_t kCachedObjects = 256;
  void EnsureObject(const Guid& id);
  void DropObjectLater(const Guid& id);
  void TrimObjects();
  void OnFilteredEvent(const core::EngineEvent& e);
  void OnRawEvent(const core::EngineEvent& e);
  void OnClientGone(const std::string& name);
  // DO downloads (download_object.cc): the core layer (E_NOTIMPL when
  // absent), the caller's check, and the StatusChanged signals.
  core::Downloads& Downloads();
  void AuthorizeDownload(const Guid& id, const CallContext& c);
  void EnsureDownloadObject(const Guid& id);
  void PublishDownload(const Guid& id);

  core::Engine& engine;
  sys::EventLoop& loop;
  ServiceOptions options;
  std::function<void()> on_bus_lost;
  std::unique_ptr<sdbus::IConnection> conn;
  std::unique_ptr<Authority> authority;
  std::unique_ptr<BusDriver> driver;
  std::unique_ptr<NotifyRunner> notify;
  std::unique_ptr<ManagerObject> manager;
  // sdbus-c++ 1.2 does not give a property getter its message, so a match on
  // org.freedesktop.DBus.Properties calls (sd-bus runs matches before it
  // dispatches the call to the object) keeps the caller of the call being
  // dispatched here, and the driver clears it after every message. Who()
  // falls back to it; when it is missing the read is refused.
  std::optional<CallContext> property_caller;
  std::map<Guid, std::unique_ptr<JobObject>> jobs;
  std::map<Guid, std::unique_ptr<DownloadObject>> download_objects;
  std::map<Guid, uint64_t> object_use;  // job -> last use (a counter), for the LRU
  uint64_t use_clock = 0;
  bool trim_posted = false;
  std::map<Guid, std::set<std::string>> callbacks;  // job -> unique names with a callback
  Audiences audiences;  // who receives each job's and download's signals
  std::unique_ptr<core::EventConsumer> filtered_consumer, raw_consumer;
  uint64_t filtered_sub = 0, raw_sub = 0;
  sys::Lifetime life;  // guards callbacks from the engine and the loop
  bool accepting = true;
};

class ManagerObject final : public sdbus::AdaptorInterfaces<org::ferry::Ferry1::Manager_adaptor> {
 public:
  ManagerObject(Service::Impl& svc);
  ~ManagerObject();

  // For signals, which go to each job's audience only (service/audience.h).
  sdbus::IObject& object() { return getObject(); }

 private:
  void CreateJob(sdbus::Result<sdbus::ObjectPath>&& result, std::string display_name,
                 uint32_t type) override;
  sdbus::ObjectPath GetJob(const std::string& id) override;
  std::vector<sdbus::ObjectPath> EnumJobs(const uint32_t& flags) override;
  void ListJobs(sdbus::Result<std::vector<std::map<std::string, sdbus::Variant>>>&& result,
                uint32_t flags) override;
  std::tuple<std::string, std::string> GetErrorDescription(const int32_t& code) override;
  std::map<std::string, sdbus::Variant> GetStatus() override;
  void SetBandwidthLimits(const uint64_t& background, const uint64_t& foreground) override;
  std::map<std::string, sdbus::Variant> GetStatistics() override;
  // cache_calls.cc: the seeding cache
  std::vector<std::map<std::string, sdbus::Variant>> ListCache() override;
  void ClearCache() override;
  // download_object.cc
  sdbus::ObjectPath CreateDownload() override;
  std::vector<sdbus::ObjectPath> EnumDownloads(const bool& filter, const uint32_t& property,
                                               const std::string& value) override;

  std::vector<Guid> Enumerate(uint32_t flags, const CallContext& c);

  Service::Impl& svc_;
};

class JobObject final : public sdbus::AdaptorInterfaces<org::ferry::Ferry1::Job_adaptor> {
 public:
  JobObject(Service::Impl& svc, const Guid& id);
  ~JobObject();

  // For signals, which go to the job's audience only (service/audience.h).
  sdbus::IObject& object() { return getObject(); }
  void EmitPropertiesChanged(const Audiences::Members& to);

 private:
  // Methods.
  void AddFile(sdbus::Result<>&& result, std::string remote_url, std::string local_name) override;
  void AddFileWithRanges(sdbus::Result<>&& result, std::string file_id, std::string remote_url,
                         std::string local_name,
                         std::vector<sdbus::Struct<uint64_t, uint64_t>> ranges,
                         uint64_t file_size) override;
  void AddFileSet(sdbus::Result<>&& result,
                  std::vector<sdbus::Struct<std::string, std::string>> files) override;
  std::vector<sdbus::Struct<std::string, std::string, uint64_t, uint64_t, bool>> EnumFiles()
      override;
  void Suspend() override;
  void Resume() override;
  int32_t Cancel() override;
  void Complete(sdbus::Result<int32_t>&& result, std::map<uint32_t, sdbus::UnixFd> fds) override;
  std::tuple<uint32_t, int32_t, std::string, std::string, int32_t> GetError() override;
  void RegisterCallback() override;
  void UnregisterCallback() override;
  std::map<std::string, sdbus::Variant> GetInfo() override;
  void SetDisplayName(const std::string& value) override;
  void SetDescription(const std::string& value) override;
  void SetPriority(const uint32_t& value) override;
  void SetNotifyFlags(const uint32_t& value) override;
  void SetNotifyCmdLine(const std::string& program, const std::string& parameters) override;
  void SetMinimumRetryDelay(const uint32_t& seconds) override;
  void SetNoProgressTimeout(const uint32_t& seconds) override;
  void SetProxySettings(const uint32_t& usage, const std::string& proxy_list,
                        const std::string& bypass_list) override;
  void SetCustomHeaders(const std::string& headers) override;
  void SetCostPolicy(const uint32_t& policy) override;
  void SetMaximumRate(const uint64_t& bytes_per_second) override;
  void SetDownloadMode(const int32_t& mode) override;
  void TakeOwnership() override;
  void SetFileRemoteName(const uint32_t& file, const std::string& remote_url) override;
  void SetFileIntegrity(const uint32_t& file, const std::string& sha256) override;
  void SetFileContentId(const uint32_t& file, const std::string& content_id) override;
  std::string GetFileContentId(const uint32_t& file) override;
  std::tuple<std::vector<sdbus::Struct<uint64_t, uint64_t>>, int32_t> GetFileRanges(
      const uint32_t& file) override;
  std::map<std::string, sdbus::Variant> GetFileStats(const uint32_t& file) override;

  // Properties: each read is authorized like a method (E_ACCESSDENIED for
  // another user's job, BG_E_NOT_FOUND once the job is gone).
  std::string Id() override;
  std::string DisplayName() override;
  std::string Description() override;
  uint32_t Type() override;
  uint32_t State() override;
  uint32_t Priority() override;
  uint32_t Owner() override;
  sdbus::Struct<uint64_t, uint64_t, uint32_t, uint32_t> Progress() override;
  sdbus::Struct<uint64_t, uint64_t, uint64_t> Times() override;
  uint32_t NotifyFlags() override;
  uint32_t ErrorCount() override;
  uint32_t MinimumRetryDelay() override;
  uint32_t NoProgressTimeout() override;
  uint32_t CostPolicy() override;
  uint64_t MaximumRate() override;
  int32_t DownloadMode() override;
  std::string CustomHeaders() override;

  // The authorized caller's snapshot of this job (methods only).
  core::JobSnapshot Checked(CallContext* who = nullptr);
  // Runs a state/property change after authorization, then answers.
  template <typename F>
  void Change(std::string_view what, F&& f);
  // AddFile*: authorizes, builds the files with `build` (bad input answers
  // at once) and answers after the group commit that adds them.
  template <typename F>
  void AddGrouped(std::string_view what, sdbus::Result<>&& result, F&& build);
  // The authorized snapshot for a property getter; throws sdbus::Error.
  core::JobRecord Peek(JobProgress* progress = nullptr);

  Service::Impl& svc_;
  Guid id_;
};

}  // namespace ferry::service
