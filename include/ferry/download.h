// ferry — Delivery Optimization's single-download API (IDOManager's
// CreateDownload/EnumDownloads, IDODownload, IDODownloadStatusCallback), as
// api.md §1 declares it. The rules (states, properties, codes) are
// do-download.md §1-2; value types are in ferry/download_types.h.
//
// A download is one file fetched by ferryd, a one-file job underneath (the
// same engine, resume rules and bandwidth limits as Job), but it is not a
// Job: Manager::EnumJobs does not list it. Handles are cheap: a Download
// refers to the download on the service by id; every call is one D-Bus round
// trip. The conventions of ferry.h hold (Status results, out-parameters
// written only on success, handles usable from any thread).
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ferry/download_types.h"
#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry {

class Download;

namespace detail {
struct Connection;
}

// IDODownloadStatusCallback. OnStatusChange runs on the SDK's callback
// thread (as Job callbacks do), never on the caller's; it may call any SDK
// method. At least one call per change of state (or of error) is delivered;
// progress calls come at most once per CallbackFreqSeconds (default 1) or
// CallbackFreqPercent of progress, whichever is set (percent wins when both
// are). Registering it (SetProperty(kCallbackInterface, ...)) delivers the
// current status once, so a change that happened before is not missed.
class DownloadStatusCallback {
 public:
  virtual ~DownloadStatusCallback() = default;
  // The returned Status is ignored (as DO ignores the HRESULT).
  virtual Status OnStatusChange(Download& download, const DownloadStatus& status) = 0;
};

// A property value: the alternative must be the property's type
// (do-download.md §2): std::string for strings (and SecurityContext's
// bytes), uint32_t, uint64_t (TotalSizeBytes), bool, the callback for
// kCallbackInterface and StreamSink for kStreamInterface. Anything else is
// E_INVALIDARG.
using PropertyValue = std::variant<std::monostate, bool, uint32_t, uint64_t, std::string,
                                   std::shared_ptr<DownloadStatusCallback>, StreamSink>;

// IDODownload.
class Download {
 public:
  ~Download();
  Download(const Download&) = delete;
  Download& operator=(const Download&) = delete;

  // The state table of do-download.md §1:
  // Created -> Transferring; needs Uri (else DO_E_DOWNLOAD_NO_URI) and
  // LocalPath or StreamInterface (else DO_E_FILE_DOWNLOADSINK_UNSPECIFIED); a
  // bad URL, path or range gives the engine's code and leaves it Created.
  // Paused -> Transferring (resumes from the validated bytes). Transferring:
  // no-op. Transferred: ranges not fetched yet are fetched (-> Transferring,
  // then Transferred again; their bytes follow the earlier ranges' in the
  // file, as AddFileWithRanges lays them out); no ranges, ranges already
  // fetched or a whole-file download: no-op. Finalized, Aborted:
  // DO_E_INVALID_STATE. LocalPath's missing directories are created (with
  // the caller's rights, by the SDK) before the first Start.
  // `ranges`: nullptr or empty for the whole file; a range's length
  // kLengthToEof means to the end.
  // With BlockingMode set, returns only once the download is Transferred
  // (S_OK) or has failed (the status' error as the code), or is paused by
  // another caller (S_OK).
  Status Start(const std::vector<DownloadRange>* ranges = nullptr);
  // Transferring -> Paused; no-op in Created, Transferred and Paused;
  // DO_E_INVALID_STATE when Finalized or Aborted.
  Status Pause();
  // Any state but Finalized -> Aborted (no-op when Aborted): the transfer
  // stops and the bytes received are deleted; nothing appears at LocalPath.
  // DO_E_INVALID_STATE when Finalized.
  Status Abort();
  // Transferred -> Finalized: the file appears at LocalPath (before this it
  // is invisible: the bytes are in the service's staging). No-op when
  // Finalized; DO_E_INVALID_STATE in any other state. Delivery errors (the
  // directory is gone, the disk is full) leave it Transferred.
  Status Finalize();

  // DO_DOWNLOAD_STATUS; DO_E_JOB_NOT_FOUND once the service has forgotten
  // the download (after a restart when it was not NonVolatile).
  Status GetStatus(DownloadStatus* status);
  // The file's statistics, as File::GetStats gives them for a job's file
  // (do-download.md §3): zeros and an unknown file_size before the first
  // Start, the last figures once Finalized or Aborted (while the service
  // remembers the download).
  Status GetStats(FileStats* stats);
  // DO_E_UNKNOWN_PROPERTY_ID, DO_E_WRITE_ONLY_PROPERTY, E_NOT_SET (0x80070490)
  // for a property never set that has no default (defaults: CallbackFreqSeconds
  // 1, the bools false). kCallbackInterface and kStreamInterface are answered
  // by this handle (what was set through it), E_NOT_SET otherwise.
  Status GetProperty(DownloadProperty id, PropertyValue* value);
  // DO_E_UNKNOWN_PROPERTY_ID, DO_E_READ_ONLY_PROPERTY (kId), E_INVALIDARG
  // (wrong type, bad value: NoProgressTimeoutSeconds < 60, an empty or
  // unsupported Uri, a relative LocalPath, malformed IntegrityCheckInfo, a
  // malformed ContentId (ferry/content_id.h), unknown CostPolicy or
  // SecurityFlags), DO_E_INVALID_STATE (the state
  // forbids the set: see the access column), E_NOTIMPL (DecryptionInfo;
  // StreamInterface in this version). A refused set changes nothing.
  // kCallbackInterface: nullptr unregisters. kContentId: the bytes are
  // verified against it (File::SetContentId says how); with Start's ranges,
  // a kTotalSizeBytes other than its size, or a torrent Uri, Start answers
  // E_INVALIDARG.
  Status SetProperty(DownloadProperty id, const PropertyValue& value);

  struct Impl;
  explicit Download(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry
