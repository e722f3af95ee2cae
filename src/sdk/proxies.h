// Concrete proxies over the classes generated from api/dbus (ferry_proxy.h).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "ferry_proxy.h"

namespace ferry::sdk {

// A method call whose reply the caller reads itself (sdk/info_reader.h reads
// a{sv} replies without a sdbus::Variant per value).
template <typename... Args>
sdbus::MethodReply CallForReply(sdbus::IProxy& proxy, const char* interface, const char* method,
                                const Args&... args) {
  sdbus::MethodCall call = proxy.createMethodCall(interface, method);
  (void)(call << ... << args);
  return proxy.callMethod(call);
}

// A job object, for method calls only: it never subscribes to signals (the
// SDK receives the manager's copies of them, see Connection), so creating one
// per handle costs no bus traffic.
class JobProxy final : public sdbus::ProxyInterfaces<org::ferry::Ferry1::Job_proxy> {
 public:
  JobProxy(sdbus::IConnection& bus, std::string path)
      : ProxyInterfaces(bus, "org.ferry.Ferry1", std::move(path)) {}
  ~JobProxy() { unregisterProxy(); }

  // Complete with a long timeout: delivery copies whole files.
  int32_t CompleteWithTimeout(const std::map<uint32_t, sdbus::UnixFd>& fds,
                              std::chrono::microseconds timeout) {
    int32_t result = 0;
    getProxy()
        .callMethod("Complete")
        .onInterface(INTERFACE_NAME)
        .withTimeout(timeout)
        .withArguments(fds)
        .storeResultsTo(result);
    return result;
  }

  // GetInfo and GetFileStats, to be read with sdk/info_reader.h.
  sdbus::MethodReply GetInfoReply() { return CallForReply(getProxy(), INTERFACE_NAME, "GetInfo"); }
  sdbus::MethodReply GetFileStatsReply(uint32_t file) {
    return CallForReply(getProxy(), INTERFACE_NAME, "GetFileStats", file);
  }

 private:
  void onTransferred() override {}
  void onError() override {}
  void onModification() override {}
  void onFileTransferred(const uint32_t&) override {}
};

// A download object, for method calls only (signals come through the
// manager, as for jobs).
class DownloadProxy final : public sdbus::ProxyInterfaces<org::ferry::Ferry1::Download_proxy> {
 public:
  DownloadProxy(sdbus::IConnection& bus, std::string path)
      : ProxyInterfaces(bus, "org.ferry.Ferry1", std::move(path)) {}
  ~DownloadProxy() { unregisterProxy(); }

  // GetStats, to be read with sdk/info_reader.h.
  sdbus::MethodReply GetStatsReply() { return CallForReply(getProxy(), INTERFACE_NAME, "GetStats"); }

  // Finalize with a long timeout: delivery may copy a whole file.
  // `fds`: empty, or {0: descriptor} in system mode (sdk/delivery.h).
  void FinalizeWithTimeout(std::chrono::microseconds timeout,
                           const std::map<uint32_t, sdbus::UnixFd>& fds) {
    getProxy()
        .callMethod("Finalize")
        .onInterface(INTERFACE_NAME)
        .withTimeout(timeout)
        .withArguments(fds);
  }

 private:
  void onStatusChanged(const uint64_t&, const uint64_t&, const uint32_t&, const int32_t&,
                       const int32_t&) override {}
};

// The manager object. Its signals (raised with the job path for every job)
// are the SDK's only subscription: registered once, before the event loop
// starts, and forwarded to `on_signal` on the event-loop thread.
class ManagerProxy final : public sdbus::ProxyInterfaces<org::ferry::Ferry1::Manager_proxy> {
 public:
  enum class Kind { kTransferred, kError, kModification, kFileTransferred };
  using SignalHandler = std::function<void(Kind, const std::string& job_path, uint32_t file)>;

  ManagerProxy(sdbus::IConnection& bus, SignalHandler on_signal, bool subscribe)
      : ProxyInterfaces(bus, "org.ferry.Ferry1", "/org/ferry/Ferry1"), on_signal_(std::move(on_signal)) {
    if (subscribe) registerProxy();
  }
  ~ManagerProxy() { unregisterProxy(); }

  // ListJobs and GetStatus, to be read with sdk/info_reader.h.
  sdbus::MethodReply ListJobsReply(uint32_t flags) {
    return CallForReply(getProxy(), INTERFACE_NAME, "ListJobs", flags);
  }
  sdbus::MethodReply GetStatusReply() {
    return CallForReply(getProxy(), INTERFACE_NAME, "GetStatus");
  }
  sdbus::MethodReply GetStatisticsReply() {
    return CallForReply(getProxy(), INTERFACE_NAME, "GetStatistics");
  }
  sdbus::MethodReply ListCacheReply() {
    return CallForReply(getProxy(), INTERFACE_NAME, "ListCache");
  }

 private:
  void onJobTransferred(const sdbus::ObjectPath& job) override { on_signal_(Kind::kTransferred, job, 0); }
  void onJobError(const sdbus::ObjectPath& job) override { on_signal_(Kind::kError, job, 0); }
  void onJobModification(const sdbus::ObjectPath& job) override {
    on_signal_(Kind::kModification, job, 0);
  }
  void onFileTransferred(const sdbus::ObjectPath& job, const uint32_t& file) override {
    on_signal_(Kind::kFileTransferred, job, file);
  }

  SignalHandler on_signal_;

 public:
  // DownloadStatusChanged: set before the event loop starts (Connection::Open).
  using DownloadHandler = std::function<void(const std::string& path, uint64_t total,
                                             uint64_t transferred, uint32_t state, int32_t error,
                                             int32_t extended_error)>;
  void SetDownloadHandler(DownloadHandler h) { on_download_ = std::move(h); }

 private:
  void onDownloadStatusChanged(const sdbus::ObjectPath& path, const uint64_t& total,
                               const uint64_t& transferred, const uint32_t& state,
                               const int32_t& error, const int32_t& extended_error) override {
    if (on_download_) on_download_(path, total, transferred, state, error, extended_error);
  }
  DownloadHandler on_download_;
};

}  // namespace ferry::sdk
