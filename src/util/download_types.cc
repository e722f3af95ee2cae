#include "ferry/download_types.h"

namespace ferry {

std::string_view DownloadStateName(DownloadState state) {
  switch (state) {
    case DownloadState::kCreated:
      return "CREATED";
    case DownloadState::kTransferring:
      return "TRANSFERRING";
    case DownloadState::kTransferred:
      return "TRANSFERRED";
    case DownloadState::kFinalized:
      return "FINALIZED";
    case DownloadState::kAborted:
      return "ABORTED";
    case DownloadState::kPaused:
      return "PAUSED";
  }
  return "UNKNOWN";
}

}  // namespace ferry
