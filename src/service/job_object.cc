#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/statistics.h"
#include "core/validation.h"
#include "service/arguments.h"
#include "service/errors.h"
#include "service/guard.h"
#include "service/job_info.h"
#include "service/service_impl.h"
#include "service/statistics_dict.h"
#include "util/log.h"
#include "util/status_codes.h"
#include "util/torrent_source.h"

namespace ferry::service {

namespace {
const char* kJobInterface = org::ferry::Ferry1::Job_adaptor::INTERFACE_NAME;

Status FileIndexCheck(const core::JobSnapshot& snap, uint32_t file) {
  if (file >= snap.job.files.size())
    return Status(code::kInvalidArg,
                  fmt::format("the job has no file {} ({} files)", file, snap.job.files.size()));
  return Status::OK();
}

std::vector<FileRange> ToRanges(const std::vector<sdbus::Struct<uint64_t, uint64_t>>& in) {
  std::vector<FileRange> out;
  out.reserve(in.size());
  for (const auto& r : in) out.push_back(FileRange{std::get<0>(r), std::get<1>(r)});
  return out;
}
}  // namespace

JobObject::JobObject(Service::Impl& svc, const Guid& id)
    : AdaptorInterfaces(*svc.conn, JobPath(id)), svc_(svc), id_(id) {
  registerAdaptor();
}

JobObject::~JobObject() { unregisterAdaptor(); }

void JobObject::EmitPropertiesChanged(const Audiences::Members& to) {
  // What emitPropertiesChangedSignal sends, addressed: no values, only the
  // names that may have changed.
  static const std::vector<std::string> kNames = {
      "DisplayName", "Description", "State", "Priority", "Owner", "Progress", "Times",
      "NotifyFlags", "ErrorCount", "MinimumRetryDelay", "NoProgressTimeout", "CostPolicy",
      "CustomHeaders", "MaximumRate", "DownloadMode"};
  Unicast(getObject(), "org.freedesktop.DBus.Properties", "PropertiesChanged", to,
          std::string(kJobInterface), std::map<std::string, sdbus::Variant>{}, kNames);
}

core::JobSnapshot JobObject::Checked(CallContext* who) {
  CallContext c = svc_.Who(getObject());
  core::JobSnapshot snap = svc_.Authorized(id_, c);
  svc_.Join(id_, c);
  if (who) *who = std::move(c);
  return snap;
}

template <typename F>
void JobObject::Change(std::string_view what, F&& f) {
  Guarded(what, [&] {
    Checked();
    Check(f());
  });
}

// --- Files ------------------------------------------------------------------

template <typename F>
void JobObject::AddGrouped(std::string_view what, sdbus::Result<>&& result, F&& build) {
  std::vector<core::NewFile> add;
  try {
    Guarded(what, [&] {
      Checked();
      add = build();
    });
  } catch (const sdbus::Error& e) {
    result.returnError(e);
    return;
  }
  // std::function needs a copyable target: the Result lives in a shared_ptr.
  auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
  svc_.engine.AddFiles(id_, add, svc_.life.Guard([reply, what = std::string(what)](Status s) {
    try {
      if (s.ok()) {
        reply->returnResults();
      } else {
        log::Debug("{}: {}", what, s.ToString());
        reply->returnError(ToSdbusError(s));
      }
    } catch (const std::exception& e) {
      log::Warn("{}: could not reply: {}", what, e.what());
    }
  }));
}

void JobObject::AddFile(sdbus::Result<>&& result, std::string remote_url, std::string local_name) {
  AddGrouped("AddFile", std::move(result), [&] {
    Check(CheckRemoteUrl(remote_url, !svc_.options.system_mode));
    Check(CheckLocalName(local_name, IsTorrentSource(remote_url)));
    core::NewFile f;
    f.remote_url = remote_url;
    f.local_name = local_name;
    return std::vector<core::NewFile>{std::move(f)};
  });
}

void JobObject::AddFileWithRanges(sdbus::Result<>&& result, std::string file_id,
                                  std::string remote_url, std::string local_name,
                                  std::vector<sdbus::Struct<uint64_t, uint64_t>> ranges,
                                  uint64_t file_size) {
  AddGrouped("AddFileWithRanges", std::move(result), [&] {
    Check(CheckString("the file id", file_id, kMaxShortStringBytes));
    Check(CheckRemoteUrl(remote_url, !svc_.options.system_mode));
    Check(CheckLocalName(local_name));
    if (ranges.empty()) Check(Status(code::kInvalidArg, "no ranges given"));
    core::NewFile f;
    f.file_id = file_id;
    f.remote_url = remote_url;
    f.local_name = local_name;
    f.ranges = ToRanges(ranges);
    f.file_size = file_size;
    return std::vector<core::NewFile>{std::move(f)};
  });
}

void JobObject::AddFileSet(sdbus::Result<>&& result,
                           std::vector<sdbus::Struct<std::string, std::string>> files) {
  AddGrouped("AddFileSet", std::move(result), [&] {
    if (files.empty()) Check(Status(code::kInvalidArg, "the file set is empty"));
    std::vector<core::NewFile> add;
    for (const auto& file : files) {
      const std::string& url = std::get<0>(file);
      const std::string& local = std::get<1>(file);
      Check(CheckRemoteUrl(url, !svc_.options.system_mode));
      Check(CheckLocalName(local, IsTorrentSource(url)));
      core::NewFile f;
      f.remote_url = url;
      f.local_name = local;
      add.push_back(std::move(f));
    }
    return add;
  });
}

std::vector<sdbus::Struct<std::string, std::string, uint64_t, uint64_t, bool>>
JobObject::EnumFiles() {
  return Guarded("EnumFiles", [&] {
    core::JobSnapshot snap = Checked();
    std::vector<sdbus::Struct<std::string, std::string, uint64_t, uint64_t, bool>> out;
    for (const auto& f : snap.job.files)
      out.emplace_back(f.remote_url, f.local_name, f.bytes_total, f.bytes_transferred,
                       f.transferred);
    return out;
  });
}

// --- State ------------------------------------------------------------------

void JobObject::Suspend() {
  Change("Suspend", [&] { return svc_.engine.Suspend(id_); });
}

void JobObject::Resume() {
  Change("Resume", [&] { return svc_.engine.Resume(id_); });
}

int32_t JobObject::Cancel() {
  return Guarded("Cancel", [&] {
    Checked();
    Status s = svc_.engine.Cancel(id_);
    Check(s);
    return s.code();
  });
}

void JobObject::Complete(sdbus::Result<int32_t>&& result, std::map<uint32_t, sdbus::UnixFd> fds) {
  // Our own copies of the descriptors: the engine closes them, sdbus closes its own.
  std::map<uint32_t, int> owned;
  auto close_owned = [&owned] {
    for (auto& [i, fd] : owned) ::close(fd);
    owned.clear();
  };
  try {
    Guarded("Complete", [&] {
      core::JobSnapshot snap = Checked();
      for (auto& [index, ufd] : fds) {
        Check(FileIndexCheck(snap, index));
        struct stat st {};
        if (!ufd.isValid() || ::fstat(ufd.get(), &st) != 0 || !S_ISREG(st.st_mode))
          throw StatusError(
              Status(code::kInvalidArg,
                     fmt::format("the descriptor for file {} is not a regular file", index)));
        int flags = ::fcntl(ufd.get(), F_GETFL);
        if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
          throw StatusError(Status(
              code::kInvalidArg, fmt::format("the descriptor for file {} is not writable", index)));
        int dup = ::fcntl(ufd.get(), F_DUPFD_CLOEXEC, 3);
        if (dup < 0) throw StatusError(ErrnoStatus(errno, "dup"));
        owned[index] = dup;
      }
      if (svc_.options.system_mode && owned.empty()) {
        bool any_finished = false;
        for (const auto& f : snap.job.files) any_finished |= f.transferred && !f.delivered;
        if (any_finished)
          throw StatusError(
              Status(code::kInvalidArg,
                     "ferryd runs as a system service and never writes into users' directories: "
                     "pass a descriptor of a temporary file beside each finished file's local name "
                     "(the ferry SDK does this)"));
      }
    });
  } catch (const sdbus::Error& e) {
    close_owned();
    result.returnError(e);
    return;
  }
  // std::function needs a copyable target: the Result lives in a shared_ptr.
  auto reply = std::make_shared<sdbus::Result<int32_t>>(std::move(result));
  auto done = svc_.life.Guard([reply](Status s) {
    try {
      if (s.ok())
        reply->returnResults(s.code());
      else
        reply->returnError(ToSdbusError(s));
    } catch (const std::exception& e) {
      log::Warn("Complete: could not reply: {}", e.what());
    }
  });
  if (owned.empty())
    svc_.engine.Complete(id_, std::move(done));
  else
    svc_.engine.Complete(id_, std::move(owned), std::move(done));
}

std::tuple<uint32_t, int32_t, std::string, std::string, int32_t> JobObject::GetError() {
  return Guarded("GetError", [&] {
    core::JobSnapshot snap = Checked();
    if (!snap.job.error)
      throw StatusError(Status(code::kErrorInformationUnavailable,
                               fmt::format("job {} is {}, not in ERROR or TRANSIENT_ERROR",
                                           id_.ToString(), JobStateName(snap.job.state))));
    const auto& e = *snap.job.error;
    return std::make_tuple(static_cast<uint32_t>(e.context), e.code, e.message, e.protocol,
                           e.file_index);
  });
}

void JobObject::RegisterCallback() {
  Guarded("RegisterCallback", [&] {
    CallContext c;
    Checked(&c);
    if (!c.sender.empty()) svc_.callbacks[id_].insert(c.sender);
  });
}

void JobObject::UnregisterCallback() {
  Guarded("UnregisterCallback", [&] {
    CallContext c;
    Checked(&c);
    if (auto it = svc_.callbacks.find(id_); it != svc_.callbacks.end()) {
      it->second.erase(c.sender);
      if (it->second.empty()) svc_.callbacks.erase(it);
    }
  });
}

std::map<std::string, sdbus::Variant> JobObject::GetInfo() {
  return Guarded("GetInfo", [&] { return JobInfo(Checked()); });
}

// --- Properties set by methods ---------------------------------------------

void JobObject::SetDisplayName(const std::string& value) {
  Change("SetDisplayName", [&] {
    Check(CheckString("the display name", value, kMaxShortStringBytes));
    return svc_.engine.SetDisplayName(id_, value);
  });
}

void JobObject::SetDescription(const std::string& value) {
  Change("SetDescription", [&] {
    Check(CheckString("the description", value, kMaxShortStringBytes));
    return svc_.engine.SetDescription(id_, value);
  });
}

void JobObject::SetPriority(const uint32_t& value) {
  Change("SetPriority", [&] {
    Check(CheckPriority(value));
    return svc_.engine.SetPriority(id_, static_cast<JobPriority>(value));
  });
}

void JobObject::SetNotifyFlags(const uint32_t& value) {
  Change("SetNotifyFlags", [&] {
    Check(CheckNotifyFlags(value));
    return svc_.engine.SetNotifyFlags(id_, value);
  });
}

void JobObject::SetNotifyCmdLine(const std::string& program, const std::string& parameters) {
  Change("SetNotifyCmdLine", [&] {
    Check(CheckString("the notify program", program, kMaxPathBytes));
    Check(CheckString("the notify parameters", parameters, kMaxLongStringBytes));
    if (svc_.options.system_mode && !program.empty())
      return Status(code::kNotImpl,
                    "the system service does not run notify command lines; use a callback");
    if (!program.empty() && program[0] != '/')
      return Status(code::kInvalidArg, "the notify program is not an absolute path");
    return svc_.engine.SetNotifyCmdLine(id_, program, parameters);
  });
}

void JobObject::SetMinimumRetryDelay(const uint32_t& seconds) {
  Change("SetMinimumRetryDelay", [&] { return svc_.engine.SetMinimumRetryDelay(id_, seconds); });
}

void JobObject::SetNoProgressTimeout(const uint32_t& seconds) {
  Change("SetNoProgressTimeout", [&] { return svc_.engine.SetNoProgressTimeout(id_, seconds); });
}

void JobObject::SetProxySettings(const uint32_t& usage, const std::string& proxy_list,
                                 const std::string& bypass_list) {
  Change("SetProxySettings", [&] {
    Check(CheckProxyUsage(usage));
    Check(CheckString("the proxy list", proxy_list, kMaxLongStringBytes));
    Check(CheckString("the bypass list", bypass_list, kMaxLongStringBytes));
    return svc_.engine.SetProxySettings(id_, static_cast<ProxyUsage>(usage), proxy_list,
                                        bypass_list);
  });
}

void JobObject::SetCustomHeaders(const std::string& headers) {
  Change("SetCustomHeaders", [&] {
    Check(CheckString("the custom headers", headers, kMaxLongStringBytes));
    return svc_.engine.SetCustomHeaders(id_, headers);
  });
}

void JobObject::SetCostPolicy(const uint32_t& policy) {
  Change("SetCostPolicy", [&] { return svc_.engine.SetCostPolicy(id_, policy); });
}

void JobObject::SetMaximumRate(const uint64_t& bytes_per_second) {
  Change("SetMaximumRate", [&] { return svc_.engine.SetMaximumRate(id_, bytes_per_second); });
}

void JobObject::SetDownloadMode(const int32_t& mode) {
  Guarded("SetDownloadMode", [&] {
    CallContext c;
    Checked(&c);
    svc_.RequireConfigOwner(c, "a job's download mode");
    if (mode < -1)
      Check(Status(code::kInvalidArg, fmt::format("unknown download mode {} (-1: none)", mode)));
    std::optional<ferry::DownloadMode> m;
    if (mode >= 0) m = static_cast<ferry::DownloadMode>(mode);
    Check(svc_.engine.SetDownloadMode(id_, m));
  });
}

void JobObject::TakeOwnership() {
  Guarded("TakeOwnership", [&] {
    CallContext c = svc_.Who(getObject());
    if (!svc_.IsAdmin(c))
      throw StatusError(Status(code::kAccessDenied, "TakeOwnership needs administrator rights"));
    svc_.Authorized(id_, c);
    Check(svc_.engine.TakeOwnership(id_, c.uid));
    // The previous owner's connections are not entitled any more.
    svc_.audiences.Keep(id_, [&](const std::string& name, uint32_t uid) {
      return uid == c.uid || svc_.authority->IsAdmin(name, uid);
    });
    svc_.Join(id_, c);
  });
}

void JobObject::SetFileRemoteName(const uint32_t& file, const std::string& remote_url) {
  Change("SetFileRemoteName", [&] {
    Check(CheckRemoteUrl(remote_url, !svc_.options.system_mode));
    return svc_.engine.SetFileRemoteName(id_, file, remote_url);
  });
}

void JobObject::SetFileIntegrity(const uint32_t& file, const std::string& sha256) {
  Change("SetFileIntegrity", [&] {
    Check(CheckString("the SHA-256", sha256, kMaxShortStringBytes));
    return svc_.engine.SetFileIntegrity(id_, file, sha256);
  });
}

void JobObject::SetFileContentId(const uint32_t& file, const std::string& content_id) {
  Change("SetFileContentId", [&] {
    Check(CheckString("the content id", content_id, kMaxShortStringBytes));
    return svc_.engine.SetFileContentId(id_, file, content_id);
  });
}

std::tuple<std::vector<sdbus::Struct<uint64_t, uint64_t>>, int32_t> JobObject::GetFileRanges(
    const uint32_t& file) {
  return Guarded("GetFileRanges", [&] {
    core::JobSnapshot snap = Checked();
    Check(FileIndexCheck(snap, file));
    std::vector<sdbus::Struct<uint64_t, uint64_t>> out;
    for (const auto& r : snap.job.files[file].ranges) out.emplace_back(r.initial_offset, r.length);
    return std::make_tuple(out, out.empty() ? code::kFalse : code::kOk);
  });
}

std::string JobObject::GetFileContentId(const uint32_t& file) {
  return Guarded("GetFileContentId", [&] {
    core::JobSnapshot snap = Checked();
    Check(FileIndexCheck(snap, file));
    return snap.job.files[file].content_id;
  });
}

std::map<std::string, sdbus::Variant> JobObject::GetFileStats(const uint32_t& file) {
  return Guarded("GetFileStats", [&] {
    core::JobSnapshot snap = Checked();
    Check(FileIndexCheck(snap, file));
    return FileStatsDict(core::FileStatsOf(snap.job, file));
  });
}

// --- D-Bus properties -------------------------------------------------------

core::JobRecord JobObject::Peek(JobProgress* progress) {
  // sd-bus runs a property getter with the Get/GetAll call as the current
  // message, so a property read is authorized like any method.
  core::JobSnapshot snap = Guarded("reading a job property", [&] { return Checked(); });
  if (progress) *progress = snap.progress;
  return snap.job;
}

std::string JobObject::Id() { return id_.ToString(); }
std::string JobObject::DisplayName() { return Peek().display_name; }
std::string JobObject::Description() { return Peek().description; }
uint32_t JobObject::Type() { return static_cast<uint32_t>(Peek().type); }
uint32_t JobObject::State() { return static_cast<uint32_t>(Peek().state); }
uint32_t JobObject::Priority() { return static_cast<uint32_t>(Peek().priority); }
uint32_t JobObject::Owner() { return Peek().owner_uid; }
sdbus::Struct<uint64_t, uint64_t, uint32_t, uint32_t> JobObject::Progress() {
  JobProgress p;
  Peek(&p);
  return {p.bytes_total, p.bytes_transferred, p.files_total, p.files_transferred};
}
sdbus::Struct<uint64_t, uint64_t, uint64_t> JobObject::Times() {
  core::JobRecord r = Peek();
  return {ToNanos(r.creation), ToNanos(r.modification), ToNanos(r.transfer_completion)};
}
uint32_t JobObject::NotifyFlags() { return Peek().notify_flags; }
uint32_t JobObject::ErrorCount() { return Peek().error_count; }
uint32_t JobObject::MinimumRetryDelay() { return Peek().min_retry_delay_s; }
uint32_t JobObject::NoProgressTimeout() { return Peek().no_progress_timeout_s; }
uint32_t JobObject::CostPolicy() { return Peek().cost_policy; }
uint64_t JobObject::MaximumRate() { return Peek().max_rate; }
int32_t JobObject::DownloadMode() {
  core::JobRecord r = Peek();
  return r.download_mode ? static_cast<int32_t>(*r.download_mode) : -1;
}
std::string JobObject::CustomHeaders() { return Peek().custom_headers; }

}  // namespace ferry::service
