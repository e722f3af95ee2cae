// Download (IDODownload) and Manager's IDOManager calls, over the
// org.ferry.Ferry1.Download objects.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/delivery.h"
#include "sdk/info_reader.h"
#include "util/status_codes.h"

namespace ferry {

using sdk::Guard;
using P = DownloadProperty;

namespace {

constexpr std::string_view kDownloadPathPrefix = "/org/ferry/Ferry1/download/";
constexpr auto kFinalizeTimeout = std::chrono::minutes(30);
constexpr auto kBlockingPoll = std::chrono::milliseconds(50);

bool DownloadIdFromPath(std::string_view path, Guid* id) {
  if (path.substr(0, kDownloadPathPrefix.size()) != kDownloadPathPrefix) return false;
  std::string_view hex = path.substr(kDownloadPathPrefix.size());
  return hex.size() == 32 && Guid::Parse(hex, id);
}

DownloadStatus ToStatus(const std::tuple<uint64_t, uint64_t, uint32_t, int32_t, int32_t>& t) {
  return DownloadStatus{std::get<0>(t), std::get<1>(t), static_cast<DownloadState>(std::get<2>(t)),
                        std::get<3>(t), std::get<4>(t)};
}

// The bus form of a value; false for the SDK-only alternatives.
bool ToVariant(const PropertyValue& v, sdbus::Variant* out) {
  if (const auto* s = std::get_if<std::string>(&v))
    *out = sdbus::Variant(sdk::Text(*s, "value"));
  else if (const auto* b = std::get_if<bool>(&v))
    *out = sdbus::Variant(*b);
  else if (const auto* u = std::get_if<uint32_t>(&v))
    *out = sdbus::Variant(*u);
  else if (const auto* w = std::get_if<uint64_t>(&v))
    *out = sdbus::Variant(*w);
  else
    return false;
  return true;
}

// Creates the missing directories above `local_path`, with this process's
// rights and umask (docs/download.md: the service never creates them).
Status MakeParentDirectories(const std::string& local_path) {
  std::filesystem::path dir = std::filesystem::path(local_path).parent_path();
  std::error_code ec;
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) return Status::OK();
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus(ec.value(), fmt::format("creating {}", dir.string()));
  return Status::OK();
}

// Before the first Start: LocalPath's missing directories, made here so
// that they belong to the caller in both modes.
Status PrepareLocalPath(sdk::DownloadProxy& proxy) {
  if (ToStatus(proxy.GetStatus()).state != DownloadState::kCreated) return Status::OK();
  sdbus::Variant v;
  try {
    v = proxy.GetProperty(static_cast<uint32_t>(P::kLocalPath));
  } catch (const sdbus::Error&) {
    return Status::OK();  // not set: Start gives the service's code
  }
  if (!v.containsValueOfType<std::string>()) return Status::OK();
  return MakeParentDirectories(v.get<std::string>());
}

}  // namespace

struct Download::Impl {
  ~Impl() { conn->ReleaseUser(user); }
  std::shared_ptr<detail::Connection> conn;
  bool user = true;
  std::string path;
  Guid id;
  std::unique_ptr<sdk::DownloadProxy> proxy;
  std::optional<StreamSink> sink;  // what this handle set
};

Download::Download(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Download::~Download() = default;

Status Download::Start(const std::vector<DownloadRange>* ranges) {
  return Guard([&] {
    std::vector<sdbus::Struct<uint64_t, uint64_t>> r;
    if (ranges)
      for (const auto& x : *ranges) r.emplace_back(x.offset, x.length);
    if (Status s = PrepareLocalPath(*impl_->proxy); !s.ok()) return s;
    impl_->proxy->Start(r);
    PropertyValue blocking;
    if (!GetProperty(P::kBlockingMode, &blocking).ok() || !std::get<bool>(blocking))
      return Status::OK();
    // BlockingMode: until Transferred, failed, or paused.
    for (;;) {
      DownloadStatus st;
      if (Status s = GetStatus(&st); !s.ok()) return s;
      if (st.error != 0) return Status(st.error, "the download failed");
      if (st.state == DownloadState::kTransferred) return Status::OK();
      bool transient = st.state == DownloadState::kPaused && st.extended_error != 0;
      if (st.state != DownloadState::kTransferring && !transient) return Status::OK();
      std::this_thread::sleep_for(kBlockingPoll);
    }
  });
}

Status Download::Pause() {
  return Guard([&] {
    impl_->proxy->Pause();
    return Status::OK();
  });
}

Status Download::Abort() {
  return Guard([&] {
    impl_->proxy->Abort();
    return Status::OK();
  });
}

Status Download::Finalize() {
  return Guard([&] {
    bool system = false;
    if (Status s = impl_->conn->IsSystemMode(&system); !s.ok()) return s;
    auto finalize = [this](std::map<uint32_t, sdbus::UnixFd>& fds) {
      impl_->proxy->FinalizeWithTimeout(kFinalizeTimeout, fds);
      return Status::OK();
    };
    std::map<uint32_t, sdbus::UnixFd> none;
    DownloadStatus st;
    if (!system || !GetStatus(&st).ok() || st.state != DownloadState::kTransferred)
      return finalize(none);  // the service answers what the table says
    // System mode, as Job::Complete: the file is written through a
    // descriptor this process opened beside LocalPath, with its own rights.
    // A stream download has no file to deliver.
    try {
      impl_->proxy->GetProperty(static_cast<uint32_t>(P::kStreamInterface));
      return finalize(none);
    } catch (const sdbus::Error&) {
    }
    sdbus::Variant path = impl_->proxy->GetProperty(static_cast<uint32_t>(P::kLocalPath));
    std::vector<sdk::DeliveryTarget> targets{{0, path.get<std::string>(), st.bytes_total, ""}};
    return sdk::DeliverWithDescriptors(targets, finalize);
  });
}

Status Download::GetStatus(DownloadStatus* status) {
  return Guard([&] {
    if (!status) return Status(code::kInvalidArg, "status is null");
    *status = ToStatus(impl_->proxy->GetStatus());
    return Status::OK();
  });
}

Status Download::GetStats(FileStats* stats) {
  return Guard([&] {
    if (!stats) return Status(code::kInvalidArg, "stats is null");
    sdbus::MethodReply reply = impl_->proxy->GetStatsReply();
    sdk::Info m;
    if (Status s = sdk::ReadInfo(reply, "GetStats", &m); !s.ok()) return s;
    FileStats out;
    if (Status s = sdk::DecodeFileStats(m, &out); !s.ok()) return s;
    *stats = out;
    return Status::OK();
  });
}

Status Download::GetProperty(DownloadProperty id, PropertyValue* value) {
  return Guard([&] {
    if (!value) return Status(code::kInvalidArg, "value is null");
    if (id == P::kCallbackInterface) {
      auto cb = impl_->conn->download_watchers.Get(impl_->path);
      if (!cb) return Status(code::kNotSet, "CallbackInterface was never set");
      *value = std::move(cb);
      return Status::OK();
    }
    if (id == P::kStreamInterface) {
      if (!impl_->sink) return Status(code::kNotSet, "StreamInterface was not set by this handle");
      *value = *impl_->sink;
      return Status::OK();
    }
    sdbus::Variant v = impl_->proxy->GetProperty(static_cast<uint32_t>(id));
    if (v.containsValueOfType<std::string>())
      *value = v.get<std::string>();
    else if (v.containsValueOfType<bool>())
      *value = v.get<bool>();
    else if (v.containsValueOfType<uint32_t>())
      *value = v.get<uint32_t>();
    else if (v.containsValueOfType<uint64_t>())
      *value = v.get<uint64_t>();
    else
      return Status(code::kUnexpected, "the service answered a value of an unknown type");
    return Status::OK();
  });
}

Status Download::SetProperty(DownloadProperty id, const PropertyValue& value) {
  return Guard([&] {
    if (id == P::kCallbackInterface) {
      const auto* cb = std::get_if<std::shared_ptr<DownloadStatusCallback>>(&value);
      if (!cb) return Status(code::kInvalidArg, "CallbackInterface: the value must be a callback");
      DownloadStatus st;  // the download must exist and be the caller's
      if (Status s = GetStatus(&st); !s.ok()) return s;
      return impl_->conn->SetDownloadCallback(impl_->path, impl_->id, *cb);
    }
    if (id == P::kStreamInterface) {
      const auto* sink = std::get_if<StreamSink>(&value);
      if (!sink || sink->fd < 0)
        return Status(code::kInvalidArg,
                      "StreamInterface: the value must be a StreamSink with an fd");
      impl_->proxy->SetStreamSink(sdbus::UnixFd(sink->fd));  // sdbus dups it
      impl_->sink = *sink;
      return Status::OK();
    }
    sdbus::Variant v;
    if (!ToVariant(value, &v))
      return Status(code::kInvalidArg,
                    fmt::format("property {}: wrong value type", static_cast<uint32_t>(id)));
    impl_->proxy->SetProperty(static_cast<uint32_t>(id), v);
    if (id == P::kCallbackFreqPercent)
      impl_->conn->download_watchers.SetFrequency(impl_->path, std::get<uint32_t>(value), {});
    if (id == P::kCallbackFreqSeconds)
      impl_->conn->download_watchers.SetFrequency(impl_->path, {}, std::get<uint32_t>(value));
    return Status::OK();
  });
}

// --- Manager ---------------------------------------------------------------------

namespace {
Status DownloadFromPath(detail::Connection& conn, const std::string& path,
                        std::unique_ptr<Download>* out) {
  Guid id;
  if (!DownloadIdFromPath(path, &id))
    return Status(code::kUnexpected,
                  fmt::format("the service returned a bad download path: {}", path));
  *out = conn.NewDownload(path, id);
  return Status::OK();
}
}  // namespace

Status Manager::CreateDownload(std::unique_ptr<Download>* download) {
  return Guard([&] {
    if (!download) return Status(code::kInvalidArg, "download is null");
    return DownloadFromPath(*conn_, conn_->manager->CreateDownload(), download);
  });
}

Status Manager::EnumDownloads(const DownloadEnumCategory* category,
                              std::vector<std::unique_ptr<Download>>* out) {
  return Guard([&] {
    if (!out) return Status(code::kInvalidArg, "out is null");
    std::vector<sdbus::ObjectPath> paths =
        category ? conn_->manager->EnumDownloads(true, static_cast<uint32_t>(category->property),
                                                 sdk::Text(category->value, "category value"))
                 : conn_->manager->EnumDownloads(false, 0, "");
    std::vector<std::unique_ptr<Download>> list;
    for (const auto& p : paths) {
      std::unique_ptr<Download> d;
      if (Status s = DownloadFromPath(*conn_, p, &d); !s.ok()) return s;
      list.push_back(std::move(d));
    }
    *out = std::move(list);
    return Status::OK();
  });
}

}  // namespace ferry

namespace ferry::detail {

std::unique_ptr<Download> Connection::NewDownload(const std::string& path, const Guid& id,
                                                  bool user) {
  auto impl = std::make_unique<Download::Impl>();
  impl->conn = shared_from_this();
  impl->user = user && AddUser();
  impl->path = path;
  impl->id = id;
  impl->proxy = std::make_unique<sdk::DownloadProxy>(*bus, path);
  return std::make_unique<Download>(std::move(impl));
}

Status Connection::SetDownloadCallback(const std::string& path, const Guid& id,
                                       std::shared_ptr<DownloadStatusCallback> cb) {
  uint64_t generation = download_watchers.Set(path, id, std::move(cb));
  if (!generation) return Status::OK();
  // The signal handler is in place: read the status now so that a change
  // made before the registration is delivered too (at least once).
  sdk::DownloadProxy proxy(*bus, path);
  DownloadStatus st = ToStatus(proxy.GetStatus());
  uint64_t g = 0;
  if (download_watchers.Offer(path, st, sdk::DownloadWatchers::Clock::now(), &g))
    QueueDownload(path, st, g);
  return Status::OK();
}

void Connection::OnDownloadSignal(const std::string& path, const DownloadStatus& status) {
  uint64_t g = 0;
  if (download_watchers.Offer(path, status, sdk::DownloadWatchers::Clock::now(), &g))
    QueueDownload(path, status, g);
}

void Connection::QueueDownload(const std::string& path, const DownloadStatus& status,
                               uint64_t generation) {
  if (!dispatcher_) return;
  dispatcher_->Post([weak = weak_from_this(), path, status, generation] {
    std::shared_ptr<Connection> self = weak.lock();
    if (!self) return;
    Guid id;
    std::shared_ptr<DownloadStatusCallback> cb;
    if (!self->download_watchers.Current(path, generation, &id, &cb)) return;
    std::unique_ptr<Download> d = self->NewDownload(path, id, /*user=*/false);
    cb->OnStatusChange(*d, status);
  });
}

}  // namespace ferry::detail
