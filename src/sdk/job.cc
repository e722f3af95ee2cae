// Job: one D-Bus call per method on the job's object.
#include <fmt/format.h>

#include <vector>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/delivery.h"
#include "sdk/info_reader.h"
#include "sdk/job_impl.h"

namespace ferry {

using sdk::Guard;
using sdk::InfoReader;

namespace {

Status Null(std::string_view what) { return Status(code::kInvalidArg, fmt::format("{} is null", what)); }

// Getters read the job's GetInfo (checked against the caller like every
// method) rather than its D-Bus properties, which a system-mode service may
// blank for privacy (it cannot tell who reads a property).
Status GetInfo(sdk::JobProxy& proxy, sdk::Info* info) {
  sdbus::MethodReply reply = proxy.GetInfoReply();
  return sdk::ReadInfo(reply, "GetInfo", info);
}

// GetInfo, then `read(reader)` reads the keys a getter returns. A key the
// service does not report is E_NOTIMPL here (a getter has nothing to
// return). Callers copy to their out-parameters only on success.
template <typename F>
Status ReadInfo(sdk::JobProxy& proxy, F&& read) {
  sdk::Info info;
  if (Status s = GetInfo(proxy, &info); !s.ok()) return s;
  InfoReader r(info, InfoReader::Missing::kError);
  read(r);
  return r.status();
}

template <typename T>
Status Info(sdk::JobProxy& proxy, const char* key, T* out) {
  T v{};
  Status s = ReadInfo(proxy, [&](InfoReader& r) { r.Read(key, &v); });
  if (s.ok()) *out = std::move(v);
  return s;
}

template <typename E>
Status InfoEnum(sdk::JobProxy& proxy, const char* key, E* out) {
  E v{};
  Status s = ReadInfo(proxy, [&](InfoReader& r) { r.Enum(key, &v); });
  if (s.ok()) *out = v;
  return s;
}

}  // namespace

Job::Job(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Job::~Job() = default;

Status Job::AddFile(std::string_view remote_url, std::string_view local_name) {
  return Guard([&] {
    impl_->proxy->AddFile(sdk::Text(remote_url, "remote_url"), sdk::Text(local_name, "local_name"));
    return Status::OK();
  });
}

Status Job::AddFileWithRanges(std::string_view file_id, std::string_view remote_url,
                              std::string_view local_name, std::span<const FileRange> ranges,
                              uint64_t file_size) {
  return Guard([&] {
    std::vector<sdbus::Struct<uint64_t, uint64_t>> r;
    r.reserve(ranges.size());
    for (const FileRange& range : ranges) r.emplace_back(range.initial_offset, range.length);
    impl_->proxy->AddFileWithRanges(sdk::Text(file_id, "file_id"), sdk::Text(remote_url, "remote_url"),
                                    sdk::Text(local_name, "local_name"), r, file_size);
    return Status::OK();
  });
}

Status Job::AddFileSet(std::span<const FileInfo> files) {
  return Guard([&] {
    std::vector<sdbus::Struct<std::string, std::string>> f;
    f.reserve(files.size());
    for (const FileInfo& info : files)
      f.emplace_back(sdk::Text(info.remote_name, "remote_name"), sdk::Text(info.local_name, "local_name"));
    impl_->proxy->AddFileSet(f);
    return Status::OK();
  });
}

Status Job::EnumFiles(std::vector<std::unique_ptr<File>>* files) {
  return Guard([&] {
    if (!files) return Null("files");
    auto entries = impl_->proxy->EnumFiles();
    std::vector<std::unique_ptr<File>> out;
    out.reserve(entries.size());
    for (uint32_t i = 0; i < entries.size(); ++i) {
      auto f = std::make_unique<File::Impl>(impl_->conn);
      f->job_path = impl_->path;
      f->index = i;
      f->proxy = impl_->conn->NewJobProxy(impl_->path);
      out.push_back(std::unique_ptr<File>(new File(std::move(f))));
    }
    *files = std::move(out);
    return Status::OK();
  });
}

Status Job::Resume() {
  return Guard([&] {
    impl_->proxy->Resume();
    return Status::OK();
  });
}

Status Job::Suspend() {
  return Guard([&] {
    impl_->proxy->Suspend();
    return Status::OK();
  });
}

Status Job::Cancel() {
  return Guard([&] {
    int32_t c = impl_->proxy->Cancel();
    return c == code::kOk ? Status::OK() : Status(c, {});
  });
}

Status Job::Complete() {
  return Guard([&] {
    bool system = false;
    if (Status s = impl_->conn->IsSystemMode(&system); !s.ok()) return s;
    if (!system) {
      int32_t c = impl_->proxy->CompleteWithTimeout({}, sdk::kCompleteTimeout);
      return c == code::kOk ? Status::OK() : Status(c, {});
    }
    return sdk::CompleteWithDescriptors(*impl_->proxy);
  });
}

Status Job::GetId(Guid* id) {
  if (!id) return Null("id");
  *id = impl_->id;
  return Status::OK();
}

Status Job::GetType(JobType* type) {
  return Guard([&] {
    if (!type) return Null("type");
    return InfoEnum(*impl_->proxy, "type", type);
  });
}

Status Job::GetProgress(JobProgress* progress) {
  return Guard([&] {
    if (!progress) return Null("progress");
    JobProgress p;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) { sdk::ReadJobProgress(r, &p); });
    if (s.ok()) *progress = p;
    return s;
  });
}

Status Job::GetTimes(JobTimes* times) {
  return Guard([&] {
    if (!times) return Null("times");
    JobTimes t;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) { sdk::ReadJobTimes(r, &t); });
    if (s.ok()) *times = t;
    return s;
  });
}

Status Job::GetState(JobState* state) {
  return Guard([&] {
    if (!state) return Null("state");
    return InfoEnum(*impl_->proxy, "state_code", state);
  });
}

Status Job::GetSummary(JobSummary* summary) {
  return Guard([&] {
    if (!summary) return Null("summary");
    sdk::Info info;
    JobSummary out;
    if (Status s = GetInfo(*impl_->proxy, &info); !s.ok()) return s;
    if (Status s = sdk::DecodeJobSummary(info, &out); !s.ok()) return s;
    if (out.id.IsNil()) out.id = impl_->id;
    *summary = std::move(out);
    return Status::OK();
  });
}

Status Job::GetError(std::unique_ptr<Error>* error) {
  return Guard([&] {
    if (!error) return Null("error");
    auto [context, c, message, protocol, file] = impl_->proxy->GetError();
    auto e = std::make_unique<Error::Impl>(impl_->conn);
    e->job_path = impl_->path;
    e->context = static_cast<ErrorContext>(context);
    e->code = c;
    e->message = std::move(message);
    e->protocol = std::move(protocol);
    e->file = file;
    error->reset(new Error(std::move(e)));
    return Status::OK();
  });
}

Status Job::GetOwner(std::string* owner) {
  return Guard([&] {
    if (!owner) return Null("owner");
    uint32_t uid = 0;
    std::string name;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) { sdk::ReadJobOwner(r, &uid, &name); });
    if (s.ok()) *owner = std::move(name);
    return s;
  });
}

Status Job::SetDisplayName(std::string_view name) {
  return Guard([&] {
    impl_->proxy->SetDisplayName(sdk::Text(name, "name"));
    return Status::OK();
  });
}

Status Job::GetDisplayName(std::string* name) {
  return Guard([&] {
    if (!name) return Null("name");
    return Info(*impl_->proxy, "display_name", name);
  });
}

Status Job::SetDescription(std::string_view description) {
  return Guard([&] {
    impl_->proxy->SetDescription(sdk::Text(description, "description"));
    return Status::OK();
  });
}

Status Job::GetDescription(std::string* description) {
  return Guard([&] {
    if (!description) return Null("description");
    return Info(*impl_->proxy, "description", description);
  });
}

Status Job::SetPriority(JobPriority priority) {
  return Guard([&] {
    impl_->proxy->SetPriority(static_cast<uint32_t>(priority));
    return Status::OK();
  });
}

Status Job::GetPriority(JobPriority* priority) {
  return Guard([&] {
    if (!priority) return Null("priority");
    return InfoEnum(*impl_->proxy, "priority_code", priority);
  });
}

Status Job::SetNotifyFlags(uint32_t flags) {
  return Guard([&] {
    impl_->proxy->SetNotifyFlags(flags);
    return Status::OK();
  });
}

Status Job::GetNotifyFlags(uint32_t* flags) {
  return Guard([&] {
    if (!flags) return Null("flags");
    return Info(*impl_->proxy, "notify_flags", flags);
  });
}

Status Job::SetNotifyInterface(std::shared_ptr<Callback> callback) {
  return Guard([&] { return impl_->conn->SetCallback(impl_->path, impl_->id, std::move(callback)); });
}

Status Job::GetNotifyInterface(std::shared_ptr<Callback>* callback) {
  return Guard([&] {
    if (!callback) return Null("callback");
    *callback = impl_->conn->GetCallback(impl_->path);
    return Status::OK();
  });
}

Status Job::SetNotifyCmdLine(std::string_view program, std::string_view parameters) {
  return Guard([&] {
    impl_->proxy->SetNotifyCmdLine(sdk::Text(program, "program"), sdk::Text(parameters, "parameters"));
    return Status::OK();
  });
}

Status Job::GetNotifyCmdLine(std::string* program, std::string* parameters) {
  return Guard([&] {
    if (!program || !parameters) return Null("program or parameters");
    std::string p, a;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) {
      r.Read("notify_program", &p).Read("notify_parameters", &a);
    });
    if (!s.ok()) return s;
    *program = std::move(p);
    *parameters = std::move(a);
    return Status::OK();
  });
}

Status Job::SetMinimumRetryDelay(uint32_t seconds) {
  return Guard([&] {
    impl_->proxy->SetMinimumRetryDelay(seconds);
    return Status::OK();
  });
}

Status Job::GetMinimumRetryDelay(uint32_t* seconds) {
  return Guard([&] {
    if (!seconds) return Null("seconds");
    return Info(*impl_->proxy, "min_retry_delay", seconds);
  });
}

Status Job::SetNoProgressTimeout(uint32_t seconds) {
  return Guard([&] {
    impl_->proxy->SetNoProgressTimeout(seconds);
    return Status::OK();
  });
}

Status Job::GetNoProgressTimeout(uint32_t* seconds) {
  return Guard([&] {
    if (!seconds) return Null("seconds");
    return Info(*impl_->proxy, "no_progress_timeout", seconds);
  });
}

Status Job::GetErrorCount(uint32_t* count) {
  return Guard([&] {
    if (!count) return Null("count");
    return Info(*impl_->proxy, "error_count", count);
  });
}

Status Job::SetProxySettings(ProxyUsage usage, std::string_view proxy_list, std::string_view bypass_list) {
  return Guard([&] {
    impl_->proxy->SetProxySettings(static_cast<uint32_t>(usage), sdk::Text(proxy_list, "proxy_list"),
                                   sdk::Text(bypass_list, "bypass_list"));
    return Status::OK();
  });
}

Status Job::GetProxySettings(ProxyUsage* usage, std::string* proxy_list, std::string* bypass_list) {
  return Guard([&] {
    if (!usage || !proxy_list || !bypass_list) return Null("usage, proxy_list or bypass_list");
    ProxyUsage u{};
    std::string list, bypass;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) {
      r.Enum("proxy_usage", &u).Read("proxy_list", &list).Read("proxy_bypass", &bypass);
    });
    if (!s.ok()) return s;
    *usage = u;
    *proxy_list = std::move(list);
    *bypass_list = std::move(bypass);
    return Status::OK();
  });
}

Status Job::SetCustomHeaders(std::string_view headers) {
  return Guard([&] {
    impl_->proxy->SetCustomHeaders(sdk::Text(headers, "headers"));
    return Status::OK();
  });
}

Status Job::GetCustomHeaders(std::string* headers) {
  return Guard([&] {
    if (!headers) return Null("headers");
    return Info(*impl_->proxy, "custom_headers", headers);
  });
}

Status Job::SetCostPolicy(uint32_t policy) {
  return Guard([&] {
    impl_->proxy->SetCostPolicy(policy);
    return Status::OK();
  });
}

Status Job::GetCostPolicy(uint32_t* policy) {
  return Guard([&] {
    if (!policy) return Null("policy");
    return Info(*impl_->proxy, "cost_policy", policy);
  });
}

Status Job::SetMaximumRate(uint64_t bytes_per_second) {
  return Guard([&] {
    impl_->proxy->SetMaximumRate(bytes_per_second);
    return Status::OK();
  });
}

Status Job::GetMaximumRate(uint64_t* bytes_per_second) {
  return Guard([&] {
    if (!bytes_per_second) return Null("bytes_per_second");
    return Info(*impl_->proxy, "maximum_rate", bytes_per_second);
  });
}

Status Job::SetDownloadMode(DownloadMode mode) {
  return Guard([&] {
    impl_->proxy->SetDownloadMode(static_cast<int32_t>(mode));
    return Status::OK();
  });
}

Status Job::ClearDownloadMode() {
  return Guard([&] {
    impl_->proxy->SetDownloadMode(-1);
    return Status::OK();
  });
}

Status Job::GetDownloadMode(std::optional<DownloadMode>* mode) {
  return Guard([&] {
    if (!mode) return Null("mode");
    std::optional<DownloadMode> v;
    Status s = ReadInfo(*impl_->proxy, [&](InfoReader& r) { sdk::ReadJobDownloadMode(r, &v); });
    if (s.ok()) *mode = v;
    return s;
  });
}

Status Job::TakeOwnership() {
  return Guard([&] {
    impl_->proxy->TakeOwnership();
    return Status::OK();
  });
}

}  // namespace ferry
