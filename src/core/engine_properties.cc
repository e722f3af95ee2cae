// The engine's job property setters (Engine::Set*, TakeOwnership): each
// validates, applies and commits, and a failed commit changes nothing.
#include <string_view>

#include "core/engine.h"
#include "core/engine_impl.h"
#include "core/job_state.h"
#include "core/validation.h"
#include "util/log.h"
#include "util/url.h"

namespace ferry::core {

// --- Properties -------------------------------------------------------------

namespace {
// Applies f to a job and commits; when the commit fails, the job is put back
// as it was, so that a failed call changes nothing.
template <typename F>
Status Mutate(Engine::Impl& m, const Guid& id, F&& f) {
  RuntimeJob* j;
  if (Status s = m.Mutable(id, &j); !s.ok()) return s;
  JobRecord before = j->rec;
  bool was_dirty = j->dirty;
  if (Status s = f(*j); !s.ok()) return s;
  m.Touch(*j);
  Status s = m.Flush();
  if (!s.ok()) {
    j->rec = std::move(before);
    j->dirty = was_dirty;
  }
  return s;
}
}  // namespace

Status Engine::SetDisplayName(const Guid& id, std::string_view name) {
  if (Status s = ValidateDisplayName(name); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.display_name = name;
    return Status::OK();
  });
}

Status Engine::SetDescription(const Guid& id, std::string_view text) {
  if (Status s = ValidateDescription(text); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.description = text;
    return Status::OK();
  });
}

Status Engine::SetPriority(const Guid& id, JobPriority p) {
  if (Status s = ValidatePriority(p); !s.ok()) return s;
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.priority = p;
    return Status::OK();
  });
  if (s.ok()) impl_->ApplyPolicyTo(id);  // the default cost policy and battery rule follow priority
  impl_->Schedule();
  return s;
}

Status Engine::SetNotifyFlags(const Guid& id, uint32_t flags) {
  if (Status s = ValidateNotifyFlags(flags); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.notify_flags = flags;
    return Status::OK();
  });
}

Status Engine::SetNotifyCmdLine(const Guid& id, std::string_view program, std::string_view params) {
  if (!program.empty() && program[0] != '/')
    return Status(code::kInvalidArg, "the notify program must be an absolute path");
  if (program.size() > 4096 || params.size() > 32768 || Utf8Length(program) == SIZE_MAX ||
      Utf8Length(params) == SIZE_MAX)
    return Status(code::kInvalidArg, "the notify command line is malformed");
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.notify_program = program;
    j.rec.notify_parameters = params;
    return Status::OK();
  });
}

Status Engine::SetMinimumRetryDelay(const Guid& id, uint32_t seconds) {
  uint32_t floor = static_cast<uint32_t>(impl_->cfg.min_retry_delay_floor.count());
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.min_retry_delay_s = std::max(seconds, floor);
    return Status::OK();
  });
}

Status Engine::SetNoProgressTimeout(const Guid& id, uint32_t seconds) {
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.no_progress_timeout_s = seconds;
    j.rec.no_progress_timeout_set = true;
    return Status::OK();
  });
}

Status Engine::SetProxySettings(const Guid& id, ProxyUsage usage, std::string_view list,
                                std::string_view bypass) {
  if (Status s = ValidateProxy(usage, list, bypass); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.proxy_usage = usage;
    j.rec.proxy_list = list;
    j.rec.proxy_bypass = bypass;
    return Status::OK();
  });
}

Status Engine::SetCustomHeaders(const Guid& id, std::string_view headers) {
  if (Status s = ValidateCustomHeaders(headers); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.custom_headers = headers;
    return Status::OK();
  });
}

Status Engine::SetCostPolicy(const Guid& id, uint32_t policy) {
  if (Status s = ValidateCostPolicy(policy); !s.ok()) return s;
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.cost_policy = policy;
    return Status::OK();
  });
  if (s.ok()) impl_->ApplyPolicyTo(id);
  return s;
}

Status Engine::SetDownloadCostPolicy(const Guid& id, uint32_t policy) {
  uint32_t base = policy & ~kCostNoCellular;
  if (base != kCostPolicyDefault)
    if (Status s = ValidateCostPolicy(base); !s.ok()) return s;
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.cost_policy = policy;
    return Status::OK();
  });
  if (s.ok()) impl_->ApplyPolicyTo(id);
  return s;
}

Status Engine::SetMaximumRate(const Guid& id, uint64_t bytes_per_second) {
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.max_rate = bytes_per_second;
    j.bucket.SetRate(bytes_per_second, impl_->Now());
    return Status::OK();
  });
  if (s.ok()) impl_->OnBandwidthRound();
  return s;
}

Status Engine::SetTransferSecurity(const Guid& id, bool allow_https_to_http,
                                   uint32_t security_flags) {
  if (security_flags & ~security_flag::kAll)
    return Status(code::kInvalidArg, "unknown security flag bits");
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.allow_https_to_http = allow_https_to_http;
    j.rec.security_flags = security_flags;
    return Status::OK();
  });
}

Status Engine::SetDownloadMode(const Guid& id, std::optional<DownloadMode> mode) {
  if (Status s = ValidateDownloadMode(mode); !s.ok()) return s;
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    j.rec.download_mode = mode;
    return Status::OK();
  });
  if (s.ok())
    log::Info("job {}: download mode {}", id.ToString(),
              mode ? std::string(DownloadModeName(*mode)) : "ferryd's (no override)");
  return s;
}

Status Engine::TakeOwnership(const Guid& id, uint32_t uid) {
  uint32_t old = 0;
  Status s = Mutate(*impl_, id, [&](RuntimeJob& j) {
    old = j.rec.owner_uid;
    j.rec.owner_uid = uid;
    return Status::OK();
  });
  if (s.ok()) {
    impl_->CountJob(old, -1);
    impl_->CountJob(uid, +1);
  }
  return s;
}

Status Engine::SetFileRemoteName(const Guid& id, uint32_t file, std::string_view url) {
  if (Status s = ValidateRemoteUrl(url); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    if (file >= j.rec.files.size()) return Status(code::kInvalidArg, "no such file in the job");
    FileRecord& f = j.rec.files[file];
    if (f.transferred) return Status(code::kInvalidState, "the file is already transferred");
    if (UrlScheme(url) != UrlScheme(f.remote_url))
      return Status(code::kInvalidArg, "the new URL must keep the protocol of the old one");
    if (Status s = ValidateFileContentId(f.content_id, url, f.ranges, kSizeUnknown); !s.ok())
      return s;  // a file with a content id cannot become a torrent
    f.remote_url = url;
    j.dirty_files.push_back(file);  // Mutate marks the job
    return Status::OK();
  });
}

Status Engine::SetFileIntegrity(const Guid& id, uint32_t file, std::string_view hex) {
  if (Status s = ValidateSha256Hex(hex); !s.ok()) return s;
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    if (file >= j.rec.files.size()) return Status(code::kInvalidArg, "no such file in the job");
    FileRecord& f = j.rec.files[file];
    if (f.bytes_transferred > 0 || f.transferred)
      return Status(code::kInvalidState, "integrity can only be set before the file starts");
    f.sha256 = hex;
    std::transform(f.sha256.begin(), f.sha256.end(), f.sha256.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    j.dirty_files.push_back(file);  // Mutate marks the job
    return Status::OK();
  });
}

Status Engine::SetFileContentId(const Guid& id, uint32_t file, std::string_view content_id) {
  return Mutate(*impl_, id, [&](RuntimeJob& j) {
    if (file >= j.rec.files.size()) return Status(code::kInvalidArg, "no such file in the job");
    FileRecord& f = j.rec.files[file];
    if (Status s = ValidateFileContentId(content_id, f.remote_url, f.ranges, f.expected_size);
        !s.ok())
      return s;
    if (f.bytes_transferred > 0 || f.transferred)
      return Status(code::kInvalidState, "a content id can only be set before the file starts");
    f.content_id = content_id;
    j.dirty_files.push_back(file);  // Mutate marks the job
    return Status::OK();
  });
}

// --- Reading ----------------------------------------------------------------

}  // namespace ferry::core
