#include "sdk/connection.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "sdk/job_impl.h"

namespace ferry::sdk {
namespace {

// The bus driver (org.freedesktop.DBus) on `bus`.
std::unique_ptr<sdbus::IProxy> BusDriver(sdbus::IConnection& bus) {
  return sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus");
}

bool NameHasOwner(sdbus::IConnection& bus) {
  bool has = false;
  BusDriver(bus)
      ->callMethod("NameHasOwner")
      .onInterface("org.freedesktop.DBus")
      .withArguments(std::string(kBusName))
      .storeResultsTo(has);
  return has;
}

bool NameActivatable(sdbus::IConnection& bus) {
  std::vector<std::string> names;
  BusDriver(bus)
      ->callMethod("ListActivatableNames")
      .onInterface("org.freedesktop.DBus")
      .storeResultsTo(names);
  return std::find(names.begin(), names.end(), kBusName) != names.end();
}

std::string_view BusLabel(ConnectPlan::Bus b) {
  switch (b) {
    case ConnectPlan::Bus::kSession:
      return "session bus";
    case ConnectPlan::Bus::kSystem:
      return "system bus";
    case ConnectPlan::Bus::kAddress:
      return "bus";
  }
  return "bus";
}

}  // namespace

Status PlanConnect(const ConnectOptions& options, ConnectPlan* plan) {
  ConnectPlan p;
  using B = ConnectPlan::Bus;
  switch (options.bus) {
    case ConnectOptions::Bus::kAuto:
      // The session bus wins when ferryd --user is running there; otherwise
      // the system service (running or activatable), then an activatable
      // user service.
      p.steps = {{B::kSession, true}, {B::kSystem, false}, {B::kSession, false}};
      break;
    case ConnectOptions::Bus::kSession:
      p.steps = {{B::kSession, false}};
      break;
    case ConnectOptions::Bus::kSystem:
      p.steps = {{B::kSystem, false}};
      break;
    case ConnectOptions::Bus::kAddress:
      if (options.address.empty())
        return Status(code::kInvalidArg, "ConnectOptions: Bus::kAddress needs an address");
      p.steps = {{B::kAddress, false}};
      p.address = options.address;
      break;
    default:
      return Status(code::kInvalidArg, "ConnectOptions: unknown bus");
  }
  if (options.bus != ConnectOptions::Bus::kAddress && !options.address.empty())
    return Status(code::kInvalidArg, "ConnectOptions: an address is only used with Bus::kAddress");
  *plan = std::move(p);
  return Status::OK();
}

void ConnectAttempts::Note(ConnectPlan::Bus bus, std::string why) {
  for (auto& [b, text] : tried_) {
    if (b == bus) {
      text = std::move(why);
      return;
    }
  }
  tried_.emplace_back(bus, std::move(why));
}

std::string ConnectAttempts::ToString() const {
  std::string out;
  for (const auto& [bus, why] : tried_)
    out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", BusLabel(bus), why);
  return out.empty() ? "no bus" : out;
}

std::chrono::seconds NextBackoff(std::chrono::seconds current, uint32_t min_retry_delay_s) {
  auto cap = std::chrono::seconds(std::max<uint32_t>(1, min_retry_delay_s));
  auto next = std::max(current, std::chrono::seconds(1)) * 2;
  return std::min(next, cap);
}

}  // namespace ferry::sdk

namespace ferry::detail {

using sdk::ConnectPlan;

Status Connection::Open(const ConnectOptions& options, std::shared_ptr<Connection>* out) {
  ConnectPlan plan;
  if (Status s = sdk::PlanConnect(options, &plan); !s.ok()) return s;
  sdk::ConnectAttempts tried;
  for (const ConnectPlan::Step& step : plan.steps) {
    std::unique_ptr<sdbus::IConnection> bus;
    Status s = sdk::Guard([&] {
      switch (step.bus) {
        case ConnectPlan::Bus::kSession:
          bus = sdbus::createSessionBusConnection();
          break;
        case ConnectPlan::Bus::kSystem:
          bus = sdbus::createSystemBusConnection();
          break;
        case ConnectPlan::Bus::kAddress:
          bus = sdbus::createSessionBusConnectionWithAddress(plan.address);
          break;
      }
      return Status::OK();
    });
    if (!s.ok()) {
      // No such bus (no session bus in a service context, no system bus in a
      // container): try the next one.
      tried.Note(step.bus, "cannot connect: " + s.message());
      continue;
    }
    bool usable = false;
    s = sdk::Guard([&] {
      usable = sdk::NameHasOwner(*bus) || (!step.require_owner && sdk::NameActivatable(*bus));
      return Status::OK();
    });
    if (!s.ok() || !usable) {
      tried.Note(step.bus, s.ok() ? "org.ferry.Ferry1 not there" : s.message());
      continue;
    }
    std::shared_ptr<Connection> c(new Connection());
    s = sdk::Guard([&] {
      c->bus = std::move(bus);
      Connection* raw = c.get();
      // Subscribed before the event loop starts: adding a match while another
      // thread polls the socket is what sd-bus handles worst.
      c->manager = std::make_unique<sdk::ManagerProxy>(
          *c->bus,
          [raw](Kind k, const std::string& path, uint32_t file) { raw->OnSignal(k, path, file); },
          /*subscribe=*/true);
      c->manager->SetDownloadHandler([raw](const std::string& path, uint64_t total,
                                           uint64_t transferred, uint32_t state, int32_t error,
                                           int32_t extended) {
        raw->OnDownloadSignal(
            path,
            DownloadStatus{total, transferred, static_cast<DownloadState>(state), error, extended});
      });
      c->dispatcher_ = std::make_unique<sdk::Dispatcher>();
      c->bus->enterEventLoopAsync();
      return Status::OK();
    });
    if (!s.ok()) return s;
    *out = std::move(c);
    return Status::OK();
  }
  return sdk::ServiceNotActive(tried.ToString());
}

Connection::~Connection() {
  // Order matters: no signal may reach the dispatcher once it is gone, and no
  // proxy may outlive the bus. A callback in progress holds a handle (and so
  // this object), so none runs now; when the last handle was dropped on the
  // dispatcher thread itself, the Dispatcher detaches instead of joining.
  try {
    if (bus) bus->leaveEventLoop();
  } catch (...) {
  }
  dispatcher_.reset();
  manager.reset();
  {
    std::lock_guard lock(mu_);
    subs_.clear();
  }
  bus.reset();
}

bool Connection::AddUser() {
  if (dispatcher_ && dispatcher_->OnDispatcherThread()) return false;
  users_.fetch_add(1);
  return true;
}

void Connection::ReleaseUser(bool counted) {
  if (counted && users_.fetch_sub(1) == 1 && dispatcher_) dispatcher_->Stop();
}

std::unique_ptr<Job> Connection::NewJob(const std::string& path, const Guid& id, bool user) {
  auto impl = std::make_unique<Job::Impl>();
  impl->conn = shared_from_this();
  impl->user = user && AddUser();
  impl->path = path;
  impl->id = id;
  impl->proxy = NewJobProxy(path);
  return std::unique_ptr<Job>(new Job(std::move(impl)));
}

Status Connection::IsSystemMode(bool* system) {
  return sdk::Guard([&] {
    std::map<std::string, sdbus::Variant> status = manager->GetStatus();
    if (auto it = status.find("mode"); it != status.end()) {
      *system = it->second.get<std::string>() == "system";
      return Status::OK();
    }
    // A service that does not say: it runs as another user => system mode.
    uint32_t uid = 0;
    sdk::BusDriver(*bus)
        ->callMethod("GetConnectionUnixUser")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string(sdk::kBusName))
        .storeResultsTo(uid);
    *system = uid != static_cast<uint32_t>(::geteuid());
    return Status::OK();
  });
}

std::shared_ptr<Callback> Connection::GetCallback(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(path);
  return it == subs_.end() ? nullptr : it->second.callback;
}

Status Connection::SetCallback(const std::string& path, const Guid& id,
                               std::shared_ptr<Callback> callback) {
  auto job = NewJobProxy(path);
  if (!callback) {
    {
      std::lock_guard lock(mu_);
      subs_.erase(path);
    }
    return sdk::Guard([&] {
      job->UnregisterCallback();
      return Status::OK();
    });
  }
  uint64_t generation;
  {
    // Signals are already subscribed (the manager's, since Connect): from
    // here on every event of this job is queued for `callback`.
    std::lock_guard lock(mu_);
    Subscription& sub = subs_[path];
    sub.id = id;
    sub.callback = std::move(callback);
    sub.generation = generation = next_generation_++;
    std::fill(std::begin(sub.queued), std::end(sub.queued), false);
    sub.backoff = std::chrono::seconds(1);
  }
  uint32_t state = 0, flags = 0;
  Status s = sdk::Guard([&] {
    job->RegisterCallback();
    auto info = job->GetInfo();
    state = info.at("state_code").get<uint32_t>();
    flags = info.at("notify_flags").get<uint32_t>();
    return Status::OK();
  });
  std::lock_guard lock(mu_);
  auto it = subs_.find(path);
  if (!s.ok()) {
    if (it != subs_.end() && it->second.generation == generation) subs_.erase(it);
    return s;
  }
  if (it == subs_.end() || it->second.generation != generation)
    return Status::OK();  // replaced meanwhile
  // At least once: an event that happened before the registration.
  if (!(flags & notify::kDisable)) {
    if (state == static_cast<uint32_t>(JobState::kTransferred) && (flags & notify::kJobTransferred))
      QueueLocked(it->second, Kind::kTransferred, path, 0, std::chrono::seconds(0));
    if (state == static_cast<uint32_t>(JobState::kError) && (flags & notify::kJobError))
      QueueLocked(it->second, Kind::kError, path, 0, std::chrono::seconds(0));
  }
  return Status::OK();
}

void Connection::OnSignal(Kind kind, const std::string& path, uint32_t file) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(path);
  if (it == subs_.end()) return;
  QueueLocked(it->second, kind, path, file, std::chrono::seconds(0));
}

void Connection::QueueLocked(Subscription& sub, Kind kind, const std::string& path, uint32_t file,
                             std::chrono::seconds delay) {
  // FileTransferred carries a file index: never coalesced.
  if (kind != Kind::kFileTransferred) {
    bool& queued = sub.queued[static_cast<int>(kind)];
    if (queued) return;
    queued = true;
  }
  if (!dispatcher_) return;
  dispatcher_->PostAt(sdk::Dispatcher::Clock::now() + delay,
                      [weak = weak_from_this(), kind, path, file, generation = sub.generation] {
                        Deliver(weak, kind, path, file, generation);
                      });
}

void Connection::Deliver(std::weak_ptr<Connection> weak, Kind kind, std::string path, uint32_t file,
                         uint64_t generation) {
  std::shared_ptr<Connection> self = weak.lock();
  if (!self) return;
  self->DeliverOnce(kind, path, file, generation);
  // `self` may be the last reference: ~Connection then runs here, on the
  // dispatcher thread, which it supports.
}

void Connection::DeliverOnce(Kind kind, const std::string& path, uint32_t file,
                             uint64_t generation) {
  std::shared_ptr<Callback> callback;
  Guid id;
  {
    std::lock_guard lock(mu_);
    auto it = subs_.find(path);
    if (it == subs_.end() || it->second.generation != generation) return;
    if (kind != Kind::kFileTransferred) it->second.queued[static_cast<int>(kind)] = false;
    callback = it->second.callback;
    id = it->second.id;
  }
  std::unique_ptr<Job> job = NewJob(path, id, /*user=*/false);
  Status result;
  uint32_t min_retry_delay = 600;
  bool retry = false;
  // A throwing handler counts as a failed one; nothing propagates.
  Status s = sdk::Guard([&]() -> Status {
    switch (kind) {
      case Kind::kModification:
        result = callback->JobModification(*job, 0);
        return Status::OK();
      case Kind::kFileTransferred: {
        std::vector<std::unique_ptr<File>> files;
        if (Status e = job->EnumFiles(&files); !e.ok()) return e;
        if (file >= files.size()) return Status::OK();
        result = callback->FileTransferred(*job, *files[file]);
        return Status::OK();
      }
      case Kind::kTransferred:
      case Kind::kError: {
        // Re-read before every call (first or retry): only a job still in
        // that state, with the flag set, gets the callback.
        auto info = job->impl_->proxy->GetInfo();
        auto state = static_cast<JobState>(info.at("state_code").get<uint32_t>());
        uint32_t flags = info.at("notify_flags").get<uint32_t>();
        if (auto it = info.find("min_retry_delay"); it != info.end())
          min_retry_delay = it->second.get<uint32_t>();
        bool transferred = kind == Kind::kTransferred;
        uint32_t bit = transferred ? notify::kJobTransferred : notify::kJobError;
        if ((flags & notify::kDisable) || !(flags & bit)) return Status::OK();
        if (state != (transferred ? JobState::kTransferred : JobState::kError)) return Status::OK();
        if (transferred) {
          result = callback->JobTransferred(*job);
        } else {
          std::unique_ptr<Error> error;
          if (Status e = job->GetError(&error); !e.ok()) return e;
          result = callback->JobError(*job, *error);
        }
        retry = !result.ok();
        return Status::OK();
      }
    }
    return Status::OK();
  });
  if (!s.ok() && (kind == Kind::kTransferred || kind == Kind::kError)) {
    // The handler threw, or the service could not be read: try again later
    // unless the job is gone for good.
    retry = s.code() != code::kJobNotFound && s.code() != code::kInvalidState;
  }
  std::lock_guard lock(mu_);
  auto it = subs_.find(path);
  if (it == subs_.end() || it->second.generation != generation) return;
  if (retry) {
    std::chrono::seconds delay = it->second.backoff;
    it->second.backoff = sdk::NextBackoff(delay, min_retry_delay);
    QueueLocked(it->second, kind, path, 0, delay);
  } else if (kind == Kind::kTransferred || kind == Kind::kError) {
    it->second.backoff = std::chrono::seconds(1);
  }
}

}  // namespace ferry::detail
