#include "service/service.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "service/arguments.h"
#include "service/errors.h"
#include "service/service_impl.h"
#include "util/log.h"

namespace ferry::service {

namespace {

class Consumer final : public core::EventConsumer {
 public:
  Consumer(Service::Impl& svc, bool raw) : svc_(svc), raw_(raw) {}
  bool OnEvent(const core::EngineEvent& e) override {
    // Never let a bus failure escape into the engine's dispatch.
    try {
      if (raw_)
        svc_.OnRawEvent(e);
      else
        svc_.OnFilteredEvent(e);
    } catch (const std::exception& ex) {
      log::Warn("D-Bus: could not publish {} of job {}: {}", core::EventKindName(e.kind),
                e.job.ToString(), ex.what());
    }
    return true;  // signals are fire-and-forget; clients re-read state (at-least-once)
  }

 private:
  Service::Impl& svc_;
  bool raw_;
};

}  // namespace

Service::Impl::~Impl() {
  life.Reset();  // completions arriving during teardown are dropped
  if (filtered_sub) engine.events().Unsubscribe(filtered_sub);
  if (raw_sub) engine.events().Unsubscribe(raw_sub);
  if (driver) driver->Stop();
  jobs.clear();
  download_objects.clear();
  manager.reset();
  notify.reset();
  authority.reset();
  driver.reset();
  conn.reset();  // flushes queued replies and signals
}

CallContext Service::Impl::Who(const sdbus::IObject& object) {
  const sdbus::Message* m = object.getCurrentlyProcessedMessage();
  if (!m && property_caller) return *property_caller;
  if (!m) throw StatusError(Status(code::kAccessDenied, "no caller"));
  CallContext c;
  c.sender = m->getSender();
  c.uid = authority->SenderUid(*m);
  return c;
}

core::JobSnapshot Service::Impl::Authorized(const Guid& id, const CallContext& c) {
  // A DO download's job is reachable only through its download object: the
  // job interface would bypass the download's state table.
  if (options.downloads && options.downloads->Has(id))
    throw StatusError(Status(code::kJobNotFound, fmt::format("no job {}", id.ToString())));
  auto snap = engine.GetJob(id);
  if (!snap.ok()) throw StatusError(snap.status());
  if (snap->job.owner_uid != c.uid && !IsAdmin(c))
    throw StatusError(
        Status(code::kAccessDenied, fmt::format("job {} belongs to another user", id.ToString())));
  return std::move(snap).value();
}

void Service::Impl::RequireConfigOwner(const CallContext& c, std::string_view what) {
  bool owner = options.system_mode ? IsAdmin(c) : (c.uid == ::getuid() || IsAdmin(c));
  if (!owner)
    throw StatusError(
        Status(code::kAccessDenied,
               fmt::format("{}: only {} may change it", what,
                           options.system_mode ? "an administrator" : "the user ferryd runs as")));
}

void Service::Impl::EnsureObject(const Guid& id) {
  object_use[id] = ++use_clock;
  if (!jobs.count(id)) jobs.emplace(id, std::make_unique<JobObject>(*this, id));
  if (jobs.size() > kCachedObjects && !trim_posted) {
    // Never destroy an object inside one of its own handlers.
    trim_posted = true;
    sys::PostIfAlive(loop, life, [this] {
      trim_posted = false;
      TrimObjects();
    });
  }
}

void Service::Impl::TrimObjects() {
  if (jobs.size() <= kCachedObjects) return;
  std::vector<std::pair<uint64_t, Guid>> by_use;
  by_use.reserve(jobs.size());
  for (const auto& [id, obj] : jobs) by_use.emplace_back(object_use[id], id);
  // Down to three quarters, so that a stream of new jobs trims once per
  // 64 objects rather than at every one.
  size_t drop = jobs.size() - kCachedObjects * 3 / 4;
  std::nth_element(by_use.begin(), by_use.begin() + static_cast<ptrdiff_t>(drop), by_use.end());
  for (size_t i = 0; i < drop; ++i) {
    jobs.erase(by_use[i].second);
    object_use.erase(by_use[i].second);
  }
}

void Service::Impl::DropObjectLater(const Guid& id) {
  callbacks.erase(id);
  // A final job has no more filtered events (core/events.h), and its raw ones
  // publish nothing: nobody needs its signals. A client that calls it again
  // joins again until it leaves the bus.
  audiences.Drop(id);
  // The object of a final job goes with the LRU; a handle obtained earlier
  // still reads the final state while the engine remembers the job (it
  // registers the object again on demand). GetJob/EnumJobs no longer return it.
}

void Service::Impl::OnRawEvent(const core::EngineEvent& e) {
  if (options.downloads && options.downloads->Has(e.job)) {
    PublishDownload(e.job);
    if (!engine.IsLive(e.job)) audiences.Drop(e.job);  // finalized or aborted: published last
    return;
  }
  if (!engine.IsLive(e.job)) {
    DropObjectLater(e.job);
    return;
  }
  const Audiences::Members& to = audiences.Of(e.job);
  if (to.empty() || e.kind == core::EventKind::kFileTransferred) return;
  EnsureObject(e.job);
  jobs.at(e.job)->EmitPropertiesChanged(to);
}

void Service::Impl::OnFilteredEvent(const core::EngineEvent& e) {
  if (options.downloads && options.downloads->Has(e.job)) return;  // raw events publish them
  // Every copy is addressed to one member of the job's audience, on the job's
  // object and, with its path, on the manager (docs/dbus-api.md).
  const Audiences::Members& to = audiences.Of(e.job);
  const char* member = nullptr;
  switch (e.kind) {
    case core::EventKind::kTransferred: member = "Transferred"; break;
    case core::EventKind::kError: member = "Error"; break;
    case core::EventKind::kModification: member = "Modification"; break;
    case core::EventKind::kFileTransferred: member = "FileTransferred"; break;
  }
  if (!to.empty()) {
    EnsureObject(e.job);
    sdbus::IObject& job = jobs.at(e.job)->object();
    const std::string job_interface = org::ferry::Ferry1::Job_adaptor::INTERFACE_NAME;
    const std::string manager_interface = org::ferry::Ferry1::Manager_adaptor::INTERFACE_NAME;
    sdbus::ObjectPath path(JobPath(e.job));
    if (e.kind == core::EventKind::kFileTransferred) {
      auto file = static_cast<uint32_t>(e.file_index);
      Unicast(job, job_interface, member, to, file);
      Unicast(manager->object(), manager_interface, "FileTransferred", to, path, file);
    } else {
      Unicast(job, job_interface, member, to);
      Unicast(manager->object(), manager_interface, std::string("Job") + member, to, path);
    }
  }
  if (e.kind != core::EventKind::kTransferred && e.kind != core::EventKind::kError) return;
  // The notify command line: user mode, nobody has a callback for the job.
  if (options.system_mode) return;
  if (auto cb = callbacks.find(e.job); cb != callbacks.end() && !cb->second.empty()) return;
  auto snap = engine.GetJob(e.job);
  if (!snap.ok() || snap->job.notify_program.empty()) return;
  Status s =
      notify->Run(snap->job.notify_program, snap->job.notify_parameters, e.job, snap->job.state);
  if (!s.ok())
    log::Warn("job {}: notify program failed to start: {}", e.job.ToString(), s.ToString());
}

void Service::Impl::OnClientGone(const std::string& name) {
  authority->Forget(name);
  audiences.Leave(name);
  for (auto it = callbacks.begin(); it != callbacks.end();) {
    it->second.erase(name);
    it = it->second.empty() ? callbacks.erase(it) : std::next(it);
  }
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::Start(core::Engine& engine, sys::EventLoop& loop,
                                                const ServiceOptions& options,
                                                std::function<void()> on_bus_lost) {
  auto impl = std::make_unique<Impl>(engine, loop, options);
  Impl& s = *impl;
  s.on_bus_lost = std::move(on_bus_lost);
  const char* bus_kind = options.system_mode ? "system bus" : "session bus";
  try {
    if (!options.bus_address.empty())
      s.conn = sdbus::createSessionBusConnectionWithAddress(options.bus_address);
    else if (options.system_mode)
      s.conn = sdbus::createSystemBusConnection();
    else
      s.conn = sdbus::createSessionBusConnection();
  } catch (const std::exception& e) {
    return Status(code::kUnexpected, fmt::format("cannot connect to the {} ({}): {}",
                                                 options.bus_address.empty() ? bus_kind : "bus at",
                                                 options.bus_address, e.what()));
  }
  try {
    s.authority = std::make_unique<Authority>(*s.conn, options.system_mode);
    s.notify = std::make_unique<NotifyRunner>(loop);
    s.manager = std::make_unique<ManagerObject>(s);
    s.raw_consumer = std::make_unique<Consumer>(s, true);
    s.filtered_consumer = std::make_unique<Consumer>(s, false);
    s.raw_sub = engine.events().Subscribe(s.raw_consumer.get(), true);
    s.filtered_sub = engine.events().Subscribe(s.filtered_consumer.get(), false);
    Impl* raw = &s;
    s.conn->addMatch(
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='"
        "NameOwnerChanged'",
        [raw](sdbus::Message& msg) {
          try {
            std::string name, old_owner, new_owner;
            msg >> name >> old_owner >> new_owner;
            if (new_owner.empty() && !name.empty() && name[0] == ':') raw->OnClientGone(name);
          } catch (const std::exception& e) {
            log::Debug("NameOwnerChanged: {}", e.what());
          }
        },
        sdbus::floating_slot);
    // A call to a job's path registers its object first (see EnsureObject).
    s.conn->addMatch(
        "type='method_call',path_namespace='/org/ferry/Ferry1/job'",
        [raw](sdbus::Message& msg) {
          Guid id;
          if (!JobIdFromPath(msg.getPath(), &id) || !raw->engine.GetJob(id).ok()) return;
          if (raw->options.downloads && raw->options.downloads->Has(id)) return;
          try {
            raw->EnsureObject(id);
          } catch (const std::exception& e) {
            log::Warn("job {}: cannot register its object: {}", id.ToString(), e.what());
          }
        },
        sdbus::floating_slot);
    s.conn->addMatch(
        "type='method_call',interface='org.freedesktop.DBus.Properties'",
        [raw](sdbus::Message& msg) {
          raw->property_caller.reset();
          try {
            raw->property_caller = CallContext{msg.getSender(), raw->authority->SenderUid(msg)};
          } catch (const std::exception& e) {
            log::Debug("Properties call: no caller: {}", e.what());
          }
        },
        sdbus::floating_slot);
  } catch (const std::exception& e) {
    return Status(code::kUnexpected, fmt::format("cannot export the D-Bus objects: {}", e.what()));
  }
  try {
    s.conn->requestName(options.bus_name);
  } catch (const std::exception& e) {
    return Status(code::kUnexpected,
                  fmt::format("cannot own the bus name {} (is another ferryd running?): {}",
                              options.bus_name, e.what()));
  }
  s.driver = std::make_unique<BusDriver>(
      loop, *s.conn,
      [raw = &s] {
        if (raw->on_bus_lost) raw->on_bus_lost();
      },
      [raw = &s] { raw->property_caller.reset(); });
  s.driver->Start();
  log::Info("D-Bus: {} on the {}, {} job object(s)", options.bus_name,
            options.bus_address.empty() ? bus_kind : options.bus_address, s.jobs.size());
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

void Service::StopAccepting() {
  Impl& s = *impl_;
  if (!s.accepting) return;
  s.accepting = false;
  try {
    s.conn->releaseName(s.options.bus_name);
  } catch (const std::exception& e) {
    log::Debug("releasing {}: {}", s.options.bus_name, e.what());
  }
  if (s.driver) s.driver->Stop();
}

ServiceCounters Service::counters() const {
  ServiceCounters c;
  c.job_objects = impl_->jobs.size();
  for (auto& [id, names] : impl_->callbacks) c.callbacks += names.size();
  c.notify_programs_running = impl_->notify ? impl_->notify->running() : 0;
  return c;
}

}  // namespace ferry::service
