// ferry — the value types of Delivery Optimization's single-download API
// (IDODownload): states, property ids, status, ranges. Shared by the SDK
// (ferry/download.h) and the service; do-download.md §1-2 has the rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry {

// DODownloadState. Created: made, never started. Transferring: bytes are
// moving. Transferred: the requested bytes are all there (Start again may
// fetch other ranges). Finalized: the file is at LocalPath; cannot start
// again. Aborted: given up; the download's file is removed. Paused: paused by
// the caller, or waiting after a transient error, or failed (error != 0).
enum class DownloadState : uint32_t {
  kCreated = 0,
  kTransferring,
  kTransferred,
  kFinalized,
  kAborted,
  kPaused
};

// DODownloadProperty values; do-download.md §2 gives each one's type, access
// and rule.
enum class DownloadProperty : uint32_t {
  kId = 0,
  kUri,
  kContentId,
  kDisplayName,
  kLocalPath,
  kHttpCustomHeaders,
  kCostPolicy,
  kSecurityFlags,
  kCallbackFreqPercent,
  kCallbackFreqSeconds,
  kNoProgressTimeoutSeconds,
  kForegroundPriority,
  kBlockingMode,
  kCallbackInterface,
  kStreamInterface,
  kSecurityContext,
  kNetworkToken,
  kCorrelationVector,
  kDecryptionInfo,
  kIntegrityCheckInfo,
  kIntegrityCheckMandatory,
  kTotalSizeBytes,
  kDisallowOnCellular,
  kHttpCustomAuthHeaders,
  kHttpAllowSecureToNonSecureRedirect,
  kNonVolatile,
  // ferry's own properties, not DO's (docs/download.md "ferry's
  // extensions"): numbered from 1000 so that ids DO adds later never
  // collide with them.
  // uint32, read/write while the download lives: the download's DownloadMode
  // (0, 1, 2, 3, 99, 100), from its file's next start; never set: ferryd's.
  // System mode: administrators only (E_ACCESSDENIED else).
  kDownloadMode = 1000,
};
// DO's ids are 0 .. kDownloadPropertyCount - 1; ferry's extensions follow
// from 1000.
inline constexpr uint32_t kDownloadPropertyCount = 26;

// DownloadCostPolicy (policy.md): the value of kCostPolicy.
enum class DownloadCostPolicy : uint32_t {
  kAlways = 0,
  kUnrestricted,
  kStandard,
  kNoRoaming,
  kNoSurcharge,
  kNoCellular
};

// A byte range of the remote file; length kLengthToEof means to its end.
struct DownloadRange {
  uint64_t offset = 0;
  uint64_t length = kLengthToEof;
  friend bool operator==(const DownloadRange&, const DownloadRange&) = default;
};

// DO_DOWNLOAD_STATUS. Read it as Microsoft's SDK does: failed <=> error != 0;
// transient <=> state == kPaused && error == 0 && extended_error != 0 (the
// service retries by itself); done <=> state == kTransferred.
struct DownloadStatus {
  uint64_t bytes_total = kSizeUnknown;
  uint64_t bytes_transferred = 0;
  DownloadState state = DownloadState::kCreated;
  int32_t error = 0;
  int32_t extended_error = 0;
};

// A filter for Manager::EnumDownloads: downloads whose `property` (kId,
// kUri, kContentId, kDisplayName or kLocalPath) equals `value` exactly.
struct DownloadEnumCategory {
  DownloadProperty property = DownloadProperty::kId;
  std::string value;
};

// The value of kStreamInterface: the bytes are written in order to this
// descriptor (a pipe, socket or file) instead of a file at LocalPath. The SDK
// passes a duplicate to the service over the bus; the caller keeps `fd`.
struct StreamSink {
  int fd = -1;
  friend bool operator==(const StreamSink&, const StreamSink&) = default;
};

// "TRANSFERRED"; "UNKNOWN" for a value outside the enum.
constexpr std::string_view DownloadStateName(DownloadState state) {
  switch (state) {
    case DownloadState::kCreated: return "CREATED";
    case DownloadState::kTransferring: return "TRANSFERRING";
    case DownloadState::kTransferred: return "TRANSFERRED";
    case DownloadState::kFinalized: return "FINALIZED";
    case DownloadState::kAborted: return "ABORTED";
    case DownloadState::kPaused: return "PAUSED";
  }
  return "UNKNOWN";
}

}  // namespace ferry
