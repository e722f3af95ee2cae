// The D-Bus object of one DO download, /org/ferry/Ferry1/download/<32 hex>,
// interface org.ferry.Ferry1.Download (docs/dbus-api.md), over
// core::Downloads. Only the download's owner or an administrator may call it
// (E_ACCESSDENIED otherwise), as for jobs. Loop thread only.
#pragma once

#include <ferry_adaptor.h>
#include <sdbus-c++/sdbus-c++.h>

#include <map>
#include <string>

#include "ferry/types.h"
#include "service/service.h"

namespace ferry::service {

// "/org/ferry/Ferry1/download/<hex>" and back.
std::string DownloadPath(const Guid& id);
bool DownloadIdFromPath(std::string_view path, Guid* id);

class DownloadObject final : public sdbus::AdaptorInterfaces<org::ferry::Ferry1::Download_adaptor> {
 public:
  DownloadObject(Service::Impl& svc, const Guid& id);
  ~DownloadObject();

  // For signals, which go to the download's audience only (service/audience.h).
  sdbus::IObject& object() { return getObject(); }

 private:
  void Start(const std::vector<sdbus::Struct<uint64_t, uint64_t>>& ranges) override;
  void Pause() override;
  void Abort() override;
  void Finalize(sdbus::Result<>&& result, std::map<uint32_t, sdbus::UnixFd> fds) override;
  std::tuple<uint64_t, uint64_t, uint32_t, int32_t, int32_t> GetStatus() override;
  std::map<std::string, sdbus::Variant> GetStats() override;
  sdbus::Variant GetProperty(const uint32_t& property) override;
  void SetProperty(const uint32_t& property, const sdbus::Variant& value) override;
  void SetStreamSink(const sdbus::UnixFd& fd) override;

  // The caller, checked against the download's owner; throws StatusError.
  void Check();
  std::map<uint32_t, int> FinalizeDescriptors(const std::map<uint32_t, sdbus::UnixFd>& fds);

  Service::Impl& svc_;
  Guid id_;
};

}  // namespace ferry::service
