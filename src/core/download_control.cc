// Downloads: the calls of the state table (do-download.md §1) and the
// property sets, each mapped onto the job underneath.
#include <fmt/format.h>
#include <unistd.h>

#include "core/download.h"
#include "core/download_entry.h"
#include "core/download_properties.h"
#include "core/policy.h"
#include "util/log.h"

namespace ferry::core {
namespace {

using P = DownloadProperty;

Status NotFound(const Guid& id) {
  return Status(code::kJobNotFound, fmt::format("no download {}", id.ToString()));
}

Status BadState(std::string_view call, DownloadState s) {
  return Status(code::kInvalidState,
                fmt::format("{} is not allowed in state {}", call, DownloadStateName(s)));
}

// The job's file ranges for `ranges`: empty (or one range covering the
// whole file) means the whole file.
std::vector<FileRange> ToFileRanges(std::span<const DownloadRange> ranges) {
  std::vector<FileRange> out;
  if (ranges.size() == 1 && ranges[0].offset == 0 && ranges[0].length == kLengthToEof) return out;
  for (const auto& r : ranges) out.push_back(FileRange{r.offset, r.length});
  return out;
}

// The job's custom headers: the caller's, plus the auth headers once the
// origin asked for them.
std::string JobHeaders(const std::string& custom, const std::string& auth, bool with_auth) {
  if (!with_auth || auth.empty()) return custom;
  if (custom.empty()) return auth;
  std::string h = custom;
  if (h.back() != '\n') h += "\r\n";
  return h + auth;
}

uint32_t SecurityFlagsOf(const Downloads::Entry& e) {
  const DownloadValue* v = e.Get(P::kSecurityFlags);
  return v && std::holds_alternative<uint32_t>(*v) ? std::get<uint32_t>(*v) : 0;
}

}  // namespace

Status Downloads::StartFirst(Entry& e, std::span<const DownloadRange> ranges) {
  const Guid& id = e.rec.id;
  std::string uri = e.Str(P::kUri);
  if (uri.empty()) {
    if (e.Get(P::kContentId))
      return Status(code::kNotImpl,
                    "a download by ContentId alone needs peers (not available yet)");
    return Status(code::kDownloadNoUri, "set Uri before Start");
  }
  if (e.Flag(P::kIntegrityCheckMandatory) && e.Str(P::kIntegrityCheckInfo).empty())
    return Status(code::kValidationFailed,
                  "IntegrityCheckMandatory is set but no IntegrityCheckInfo was given");
  NewFile nf;
  nf.remote_url = uri;
  if (e.stream_fd >= 0)
    nf.local_name = fmt::format("{}/{}", deps_.stream_dir, id.ToString());
  else
    nf.local_name = e.Str(P::kLocalPath);
  if (nf.local_name.empty())
    return Status(code::kDownloadSinkUnspecified, "set LocalPath or StreamInterface before Start");
  nf.ranges = ToFileRanges(ranges);
  if (const DownloadValue* v = e.Get(P::kTotalSizeBytes)) nf.file_size = std::get<uint64_t>(*v);
  if (std::string info = e.Str(P::kIntegrityCheckInfo); !info.empty()) {
    auto sha = deps_.parse_integrity(info);
    if (!sha.ok()) return sha.status();
    nf.sha256 = sha.value();
  }
  // With ranges, another TotalSizeBytes or a torrent Uri: E_INVALIDARG from
  // AddFiles (core/validation.h ValidateFileContentId).
  nf.content_id = e.Str(P::kContentId);
  if (e.stream_fd >= 0) {
    if (Status s = StartStream(e); !s.ok()) return s;
  }
  Status s = deps_.engine->AddFiles(id, std::span<const NewFile>(&nf, 1));
  if (s.ok()) s = deps_.engine->Resume(id);
  if (!s.ok()) {
    e.writer.reset();
    return s;
  }
  if (e.stream_fd >= 0) ::close(e.stream_fd);  // the writer has its own copy
  e.stream_fd = -1;
  e.rec.started = true;
  return Save(e);
}

Status Downloads::Start(const Guid& id, std::span<const DownloadRange> ranges) {
  Entry* e = Find(id);
  if (!e) return NotFound(id);
  auto st = GetStatus(id);
  if (!st.ok()) return st.status();
  switch (st->state) {
    case DownloadState::kCreated:
      return StartFirst(*e, ranges);
    case DownloadState::kTransferring:
      return Status::OK();
    case DownloadState::kTransferred: {
      // Ranges not fetched yet are added after the others and fetched;
      // ranges already there (or a whole file) make it a no-op.
      std::vector<FileRange> more = ToFileRanges(ranges);
      // A stream's sink is closed once Transferred (docs/download.md).
      if (e->Stream() && !more.empty())
        return Status(code::kNotImpl, "a stream download's sink is closed once Transferred: "
                                      "start a new download for other ranges");
      bool added = false;
      if (Status s = deps_.engine->AddFileRanges(id, 0, more, &added); !s.ok()) return s;
      return added ? deps_.engine->Resume(id) : Status::OK();
    }
    case DownloadState::kPaused:
      if (e->failure && e->Stream()) return *e->failure;  // its sink is closed: only Abort
      e->failure.reset();
      return deps_.engine->Resume(id);
    case DownloadState::kFinalized:
    case DownloadState::kAborted:
      return BadState("Start", st->state);
  }
  return Status::OK();
}

Status Downloads::Pause(const Guid& id) {
  if (!Find(id)) return NotFound(id);
  auto st = GetStatus(id);
  if (!st.ok()) return st.status();
  switch (st->state) {
    case DownloadState::kTransferring:
      return deps_.engine->Suspend(id);
    case DownloadState::kFinalized:
    case DownloadState::kAborted:
      return BadState("Pause", st->state);
    default:
      return Status::OK();
  }
}

Status Downloads::Abort(const Guid& id) {
  Entry* e = Find(id);
  if (!e) return NotFound(id);
  auto st = GetStatus(id);
  if (!st.ok()) return st.status();
  if (st->state == DownloadState::kAborted) return Status::OK();
  if (st->state == DownloadState::kFinalized) return BadState("Abort", st->state);
  if (deps_.engine->IsLive(id)) {
    if (Status s = deps_.engine->Cancel(id); !s.ok()) return s;
  }
  End(*e, DownloadState::kAborted);
  return Status::OK();
}

void Downloads::Finalize(const Guid& id, std::map<uint32_t, int> fds,
                         std::function<void(Status)> done) {
  auto close_fds = [&fds] {
    for (auto& [i, fd] : fds) ::close(fd);
    fds.clear();
  };
  Entry* e = Find(id);
  if (!e || e->Stream()) close_fds();  // a stream download delivers no file
  if (!e) return done(NotFound(id));
  auto st = GetStatus(id);
  if (!st.ok()) return done(st.status());
  if (st->state != DownloadState::kTransferred) close_fds();
  if (st->state == DownloadState::kFinalized) return done(Status::OK());
  if (st->state != DownloadState::kTransferred) return done(BadState("Finalize", st->state));
  if (e->stream_fd >= 0 || e->Get(P::kStreamInterface)) {
    // The bytes went to the stream; there is no file to deliver.
    deps_.engine->Cancel(id);
    End(*e, DownloadState::kFinalized);
    return done(Status::OK());
  }
  auto finished = [this, id, done = std::move(done)](Status s) {
    Entry* e = Find(id);
    if (e && s.ok()) End(*e, DownloadState::kFinalized);
    done(s);
  };
  if (fds.empty())
    deps_.engine->Complete(id, std::move(finished));
  else
    deps_.engine->Complete(id, std::move(fds), std::move(finished));
}

Status Downloads::GetProperty(const Guid& id, uint32_t property, DownloadValue* value) const {
  const Entry* e = Find(id);
  if (!e) return NotFound(id);
  const PropSpec* spec = FindPropSpec(property);
  if (!spec) return Status(code::kUnknownPropertyId, fmt::format("no property {}", property));
  if (spec->access == PropAccess::kWriteOnly)
    return Status(code::kWriteOnlyProperty, fmt::format("{} is write-only", spec->name));
  if (spec->id == P::kId) {
    *value = id.ToString();
    return Status::OK();
  }
  if (const DownloadValue* v = e->Get(spec->id)) {
    *value = *v;
    return Status::OK();
  }
  if (!std::holds_alternative<std::monostate>(spec->default_value)) {
    *value = spec->default_value;
    return Status::OK();
  }
  return Status(code::kNotSet, fmt::format("{} was never set", spec->name));
}

// The part of a set that the job itself carries; refused sets change nothing.
Status Downloads::ApplyToJob(Entry& e, uint32_t property, const DownloadValue& value) {
  const Guid& id = e.rec.id;
  Engine& engine = *deps_.engine;
  switch (static_cast<P>(property)) {
    case P::kDisplayName:
      return engine.SetDisplayName(id, std::get<std::string>(value));
    case P::kHttpCustomHeaders:
      return engine.SetCustomHeaders(id, JobHeaders(std::get<std::string>(value),
                                                    e.Str(P::kHttpCustomAuthHeaders), e.auth_sent));
    case P::kHttpCustomAuthHeaders:
      if (!e.auth_sent) return Status::OK();
      return engine.SetCustomHeaders(
          id, JobHeaders(e.Str(P::kHttpCustomHeaders), std::get<std::string>(value), true));
    case P::kNoProgressTimeoutSeconds:
      return engine.SetNoProgressTimeout(id, std::get<uint32_t>(value));
    case P::kForegroundPriority:
      return engine.SetPriority(
          id, std::get<bool>(value) ? JobPriority::kForeground : JobPriority::kNormal);
    case P::kUri:
      if (!e.rec.started) return Status::OK();
      return engine.SetFileRemoteName(id, 0, std::get<std::string>(value));
    case P::kHttpAllowSecureToNonSecureRedirect:
      return engine.SetTransferSecurity(id, std::get<bool>(value), SecurityFlagsOf(e));
    case P::kSecurityFlags:
      return engine.SetTransferSecurity(id, e.Flag(P::kHttpAllowSecureToNonSecureRedirect),
                                        std::get<uint32_t>(value));
    case P::kCostPolicy: {
      const DownloadValue* cellular = e.Get(P::kDisallowOnCellular);
      return engine.SetDownloadCostPolicy(
          id, CostPolicyOfDownload(std::get<uint32_t>(value),
                                   cellular && std::holds_alternative<bool>(*cellular) &&
                                       std::get<bool>(*cellular)));
    }
    case P::kDisallowOnCellular: {
      const DownloadValue* policy = e.Get(P::kCostPolicy);
      std::optional<uint32_t> p;
      if (policy && std::holds_alternative<uint32_t>(*policy)) p = std::get<uint32_t>(*policy);
      return engine.SetDownloadCostPolicy(id, CostPolicyOfDownload(p, std::get<bool>(value)));
    }
    case P::kDownloadMode:
      return engine.SetDownloadMode(id, static_cast<DownloadMode>(std::get<uint32_t>(value)));
    case P::kIntegrityCheckInfo: {
      auto sha = deps_.parse_integrity(std::get<std::string>(value));
      return sha.ok() ? Status::OK() : sha.status();
    }
    default:
      return Status::OK();
  }
}

Status Downloads::SetProperty(const Guid& id, uint32_t property, const DownloadValue& value) {
  Entry* e = Find(id);
  if (!e) return NotFound(id);
  const PropSpec* spec = FindPropSpec(property);
  if (!spec) return Status(code::kUnknownPropertyId, fmt::format("no property {}", property));
  if (spec->access == PropAccess::kReadOnly)
    return Status(code::kReadOnlyProperty, fmt::format("{} is read-only", spec->name));
  if (Status s = CheckPropType(*spec, value); !s.ok()) return s;
  auto st = GetStatus(id);
  if (!st.ok()) return st.status();
  if (!(spec->set_states & StateBit(st->state)))
    return Status(code::kInvalidState, fmt::format("{} cannot be set in state {}", spec->name,
                                                   DownloadStateName(st->state)));
  if (Status s = CheckPropValue(*spec, value); !s.ok()) return s;
  if (Status s = ApplyToJob(*e, property, value); !s.ok()) return s;
  if (spec->id == P::kCorrelationVector)
    log::Info("download {}: correlation vector {}", id.ToString(), std::get<std::string>(value));
  DownloadRecord before = e->rec;
  e->rec.props[property] = value;
  if (Status s = Save(*e); !s.ok()) {
    e->rec = std::move(before);
    return s;
  }
  return Status::OK();
}

Status Downloads::SetStreamSink(const Guid& id, int fd) {
  Entry* e = Find(id);
  auto refuse = [fd](Status s) {
    if (fd >= 0) ::close(fd);
    return s;
  };
  if (!e) return refuse(NotFound(id));
  auto st = GetStatus(id);
  if (!st.ok()) return refuse(st.status());
  if (st->state != DownloadState::kCreated)
    return refuse(Status(code::kInvalidState, "StreamInterface can only be set in Created"));
  if (fd < 0) return refuse(Status(code::kInvalidArg, "StreamInterface: no descriptor"));
  if (deps_.stream_dir.empty() || !deps_.payload || !deps_.loop)
    return refuse(Status(code::kNotImpl, "this service has no stream directory"));
  if (e->stream_fd >= 0) ::close(e->stream_fd);
  e->stream_fd = fd;
  e->rec.props[static_cast<uint32_t>(P::kStreamInterface)] = true;
  return Save(*e);
}

void Downloads::Fail(const Guid& id, Status error) {
  Entry* e = Find(id);
  if (!e || e->ended) return;
  log::Warn("download {} failed: {}", id.ToString(), error.ToString());
  e->failure = std::move(error);
  if (e->Stream()) {
    e->writer.reset();  // closes the sink
    if (e->stream_fd >= 0) ::close(e->stream_fd);
    e->stream_fd = -1;
  }
  if (deps_.engine->IsLive(id)) {
    if (Status s = deps_.engine->Suspend(id); !s.ok())
      log::Debug("download {}: suspend after failure: {}", id.ToString(), s.ToString());
    deps_.engine->events().Emit(EventKind::kModification, id);  // publishes the failure
  }
}

bool Downloads::OnEvent(const EngineEvent& event) {
  Entry* e = Find(event.job);
  if (!e || e->ended) return true;
  if (e->writer) FeedStream(*e);
  if (event.kind != EventKind::kError) return true;
  auto snap = deps_.engine->GetJob(event.job);
  if (!snap.ok() || !snap->job.error) return true;
  int32_t c = snap->job.error->code;
  if (c == code::kValidationFailed && e->Flag(P::kIntegrityCheckMandatory)) {
    // A failed mandatory check gives up: nothing of it may be delivered.
    log::Warn("download {}: integrity check failed, aborted", event.job.ToString());
    if (Status s = deps_.engine->Cancel(event.job); !s.ok())
      log::Warn("download {}: cannot cancel its job: {}", event.job.ToString(), s.ToString());
    End(*e, DownloadState::kAborted, c);
    return true;
  }
  std::string auth = e->Str(P::kHttpCustomAuthHeaders);
  if ((c == code::HttpError(401) || c == code::HttpError(407)) && !auth.empty() && !e->auth_sent) {
    // The origin asked for credentials: retry once with the auth headers.
    e->auth_sent = true;
    Status s = deps_.engine->SetCustomHeaders(
        event.job, JobHeaders(e->Str(P::kHttpCustomHeaders), auth, true));
    if (s.ok()) s = deps_.engine->Resume(event.job);
    if (!s.ok()) log::Warn("download {}: auth retry: {}", event.job.ToString(), s.ToString());
  }
  return true;
}

}  // namespace ferry::core
