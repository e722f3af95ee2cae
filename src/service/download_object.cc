#include "service/download_object.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "service/arguments.h"
#include "service/errors.h"
#include "service/guard.h"
#include "service/service_impl.h"
#include "service/statistics_dict.h"
#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::service {
namespace {

constexpr std::string_view kDownloadPathPrefix = "/org/ferry/Ferry1/download/";

core::DownloadValue FromVariant(const sdbus::Variant& v) {
  if (v.containsValueOfType<std::string>()) return v.get<std::string>();
  if (v.containsValueOfType<bool>()) return v.get<bool>();
  if (v.containsValueOfType<uint32_t>()) return v.get<uint32_t>();
  if (v.containsValueOfType<uint64_t>()) return v.get<uint64_t>();
  return std::monostate{};  // a type no property has: E_INVALIDARG from the type check
}

sdbus::Variant ToVariant(const core::DownloadValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return sdbus::Variant(*s);
  if (const auto* b = std::get_if<bool>(&v)) return sdbus::Variant(*b);
  if (const auto* u = std::get_if<uint32_t>(&v)) return sdbus::Variant(*u);
  if (const auto* w = std::get_if<uint64_t>(&v)) return sdbus::Variant(*w);
  return sdbus::Variant(std::string());
}

}  // namespace

std::string DownloadPath(const Guid& id) { return std::string(kDownloadPathPrefix) + id.ToHex(); }

bool DownloadIdFromPath(std::string_view path, Guid* id) {
  if (path.substr(0, kDownloadPathPrefix.size()) != kDownloadPathPrefix) return false;
  std::string_view hex = path.substr(kDownloadPathPrefix.size());
  return hex.size() == 32 && Guid::Parse(hex, id);
}

// --- Service::Impl's part ------------------------------------------------------

core::Downloads& Service::Impl::Downloads() {
  if (!options.downloads)
    throw StatusError(Status(code::kNotImpl, "this service has no download API"));
  return *options.downloads;
}

void Service::Impl::AuthorizeDownload(const Guid& id, const CallContext& c) {
  auto owner = Downloads().Owner(id);
  if (!owner)
    throw StatusError(Status(code::kJobNotFound, fmt::format("no download {}", id.ToString())));
  if (*owner != c.uid && !IsAdmin(c))
    throw StatusError(Status(code::kAccessDenied,
                             fmt::format("download {} belongs to another user", id.ToString())));
  Join(id, c);
}

void Service::Impl::EnsureDownloadObject(const Guid& id) {
  if (!download_objects.count(id))
    download_objects.emplace(id, std::make_unique<DownloadObject>(*this, id));
}

void Service::Impl::PublishDownload(const Guid& id) {
  auto st = Downloads().GetStatus(id);
  if (!st.ok()) return;
  EnsureDownloadObject(id);
  const DownloadStatus& s = st.value();
  auto state = static_cast<uint32_t>(s.state);
  const Audiences::Members& to = audiences.Of(id);
  Unicast(download_objects.at(id)->object(), org::ferry::Ferry1::Download_adaptor::INTERFACE_NAME,
          "StatusChanged", to, s.bytes_total, s.bytes_transferred, state, s.error,
          s.extended_error);
  Unicast(manager->object(), org::ferry::Ferry1::Manager_adaptor::INTERFACE_NAME,
          "DownloadStatusChanged", to, sdbus::ObjectPath(DownloadPath(id)), s.bytes_total,
          s.bytes_transferred, state, s.error, s.extended_error);
}

// --- Manager methods -------------------------------------------------------------

sdbus::ObjectPath ManagerObject::CreateDownload() {
  return Guarded("CreateDownload", [&] {
    CallContext c = svc_.Who(getObject());
    Guid id;
    Check(svc_.Downloads().Create(svc_.EngineCaller(c), &id));
    svc_.Join(id, c);
    svc_.EnsureDownloadObject(id);
    return sdbus::ObjectPath(DownloadPath(id));
  });
}

std::vector<sdbus::ObjectPath> ManagerObject::EnumDownloads(const bool& filter,
                                                            const uint32_t& property,
                                                            const std::string& value) {
  return Guarded("EnumDownloads", [&] {
    CallContext c = svc_.Who(getObject());
    std::optional<std::pair<uint32_t, std::string>> category;
    if (filter) {
      using P = DownloadProperty;
      auto p = static_cast<P>(property);
      if (p != P::kId && p != P::kUri && p != P::kContentId && p != P::kDisplayName &&
          p != P::kLocalPath)
        throw StatusError(Status(code::kInvalidArg,
                                 "filter by Id, Uri, ContentId, DisplayName or LocalPath only"));
      Check(CheckString("the filter value", value, kMaxLongStringBytes));
      category.emplace(property, value);
    }
    std::vector<sdbus::ObjectPath> out;
    for (const Guid& id : svc_.Downloads().Enum(c.uid, category)) {
      svc_.EnsureDownloadObject(id);
      out.emplace_back(DownloadPath(id));
    }
    return out;
  });
}

// --- The download object -----------------------------------------------------------

DownloadObject::DownloadObject(Service::Impl& svc, const Guid& id)
    : AdaptorInterfaces(*svc.conn, DownloadPath(id)), svc_(svc), id_(id) {
  registerAdaptor();
}

DownloadObject::~DownloadObject() { unregisterAdaptor(); }

void DownloadObject::Check() { svc_.AuthorizeDownload(id_, svc_.Who(getObject())); }

void DownloadObject::Start(const std::vector<sdbus::Struct<uint64_t, uint64_t>>& ranges) {
  Guarded("Download.Start", [&] {
    Check();
    std::vector<DownloadRange> r;
    for (const auto& x : ranges) r.push_back(DownloadRange{std::get<0>(x), std::get<1>(x)});
    service::Check(svc_.Downloads().Start(id_, r));
    svc_.PublishDownload(id_);
  });
}

void DownloadObject::Pause() {
  Guarded("Download.Pause", [&] {
    Check();
    service::Check(svc_.Downloads().Pause(id_));
    svc_.PublishDownload(id_);
  });
}

void DownloadObject::Abort() {
  Guarded("Download.Abort", [&] {
    Check();
    service::Check(svc_.Downloads().Abort(id_));
    svc_.PublishDownload(id_);
  });
}

// Our own copies of Finalize's descriptors (as Job.Complete checks them):
// file 0 only, each a writable regular file. In system mode a file download
// needs one: the service never writes into a user's directory with its own
// rights.
std::map<uint32_t, int> DownloadObject::FinalizeDescriptors(
    const std::map<uint32_t, sdbus::UnixFd>& fds) {
  std::map<uint32_t, int> owned;
  try {
    for (const auto& [index, ufd] : fds) {
      struct stat st {};
      int flags = ufd.isValid() ? ::fcntl(ufd.get(), F_GETFL) : -1;
      if (index != 0 || flags < 0 || (flags & O_ACCMODE) == O_RDONLY ||
          ::fstat(ufd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw StatusError(
            Status(code::kInvalidArg,
                   "Finalize takes one descriptor, for file 0: a writable regular file"));
      int dup = ::fcntl(ufd.get(), F_DUPFD_CLOEXEC, 3);
      if (dup < 0) throw StatusError(ErrnoStatus(errno, "dup"));
      owned[index] = dup;
    }
    core::DownloadValue sink;
    bool stream =
        svc_.Downloads()
            .GetProperty(id_, static_cast<uint32_t>(DownloadProperty::kStreamInterface), &sink)
            .ok();
    if (svc_.options.system_mode && owned.empty() && !stream)
      throw StatusError(
          Status(code::kInvalidArg,
                 "ferryd runs as a system service and never writes into users' directories: pass a "
                 "descriptor of a temporary file beside LocalPath (the ferry SDK does this)"));
  } catch (...) {
    for (auto& [i, fd] : owned) ::close(fd);
    throw;
  }
  return owned;
}

void DownloadObject::Finalize(sdbus::Result<>&& result, std::map<uint32_t, sdbus::UnixFd> fds) {
  std::map<uint32_t, int> owned;
  try {
    Guarded("Download.Finalize", [&] {
      Check();
      owned = FinalizeDescriptors(fds);
    });
  } catch (const sdbus::Error& e) {
    result.returnError(e);
    return;
  }
  auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
  Guid id = id_;
  Service::Impl* svc = &svc_;
  svc_.Downloads().Finalize(id, std::move(owned), svc_.life.Guard([reply, id, svc](Status s) {
    try {
      if (s.ok()) {
        svc->PublishDownload(id);
        reply->returnResults();
      } else {
        reply->returnError(ToSdbusError(s));
      }
    } catch (const std::exception& e) {
      log::Warn("Download.Finalize: could not reply: {}", e.what());
    }
  }));
}

std::tuple<uint64_t, uint64_t, uint32_t, int32_t, int32_t> DownloadObject::GetStatus() {
  return Guarded("Download.GetStatus", [&] {
    Check();
    auto st = svc_.Downloads().GetStatus(id_);
    if (!st.ok()) throw StatusError(st.status());
    const DownloadStatus& s = st.value();
    return std::make_tuple(s.bytes_total, s.bytes_transferred, static_cast<uint32_t>(s.state),
                           s.error, s.extended_error);
  });
}

std::map<std::string, sdbus::Variant> DownloadObject::GetStats() {
  return Guarded("Download.GetStats", [&] {
    Check();
    auto st = svc_.Downloads().GetStats(id_);
    if (!st.ok()) throw StatusError(st.status());
    return FileStatsDict(st.value());
  });
}

sdbus::Variant DownloadObject::GetProperty(const uint32_t& property) {
  return Guarded("Download.GetProperty", [&] {
    Check();
    core::DownloadValue v;
    service::Check(svc_.Downloads().GetProperty(id_, property, &v));
    return ToVariant(v);
  });
}

void DownloadObject::SetProperty(const uint32_t& property, const sdbus::Variant& value) {
  Guarded("Download.SetProperty", [&] {
    Check();
    if (property == static_cast<uint32_t>(DownloadProperty::kDownloadMode))
      svc_.RequireConfigOwner(svc_.Who(getObject()), "DownloadMode");
    if (property == static_cast<uint32_t>(DownloadProperty::kSecurityFlags) &&
        svc_.options.system_mode && !svc_.IsAdmin(svc_.Who(getObject())))
      throw StatusError(
          Status(code::kAccessDenied, "SecurityFlags: only an administrator may relax TLS checks"));
    core::DownloadValue v = FromVariant(value);
    if (const auto* s = std::get_if<std::string>(&v))
      service::Check(CheckString("the property value", *s, kMaxLongStringBytes));
    service::Check(svc_.Downloads().SetProperty(id_, property, v));
  });
}

void DownloadObject::SetStreamSink(const sdbus::UnixFd& fd) {
  Guarded("Download.SetStreamSink", [&] {
    Check();
    int own = ::dup(fd.get());
    if (own < 0) throw StatusError(Status(code::kInvalidArg, "the descriptor cannot be used"));
    service::Check(svc_.Downloads().SetStreamSink(id_, own));
  });
}

}  // namespace ferry::service
