#include "util/status_codes.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ferry {
namespace {

constexpr std::array kTable = {
    StatusCodeInfo{"S_OK", code::kOk, "The operation succeeded."},
    StatusCodeInfo{"S_FALSE", code::kFalse, "The operation succeeded with nothing to return."},
    StatusCodeInfo{"BG_S_PARTIAL_COMPLETE", code::kPartialComplete,
                   "Only the files that had finished were delivered; the others were deleted."},
    StatusCodeInfo{"BG_S_UNABLE_TO_DELETE_FILES", code::kUnableToDeleteFiles,
                   "The operation succeeded but some temporary data could not be deleted."},
    StatusCodeInfo{"E_NOTIMPL", code::kNotImpl, "ferry does not support this method or value."},
    StatusCodeInfo{"E_ACCESSDENIED", code::kAccessDenied,
                   "Access denied: you are not the job's owner or an administrator, or the "
                   "destination is not writable."},
    StatusCodeInfo{"E_INVALIDARG", code::kInvalidArg, "An argument is malformed."},
    StatusCodeInfo{"E_NOT_SET", code::kNotSet, "The property was never set."},
    StatusCodeInfo{"DO_E_JOB_NOT_FOUND", code::kJobNotFound,
                   "No such job: check the id; finished jobs are no longer listed."},
    StatusCodeInfo{"DO_E_JOB_EMPTY", code::kJobEmpty, "The job has no files: add a file first."},
    StatusCodeInfo{"DO_E_JOB_TOO_OLD", code::kJobTooOld,
                   "The job reached its maximum age without being completed and was cancelled."},
    StatusCodeInfo{"DO_E_UNKNOWN_PROPERTY_ID", code::kUnknownPropertyId, "No property has this id."},
    StatusCodeInfo{"DO_E_READ_ONLY_PROPERTY", code::kReadOnlyProperty, "The property is read-only."},
    StatusCodeInfo{"DO_E_INVALID_STATE", code::kInvalidState,
                   "The operation is not allowed in the job's current state."},
    StatusCodeInfo{"DO_E_ERROR_INFORMATION_UNAVAILABLE", code::kErrorInformationUnavailable,
                   "The job is not in an error state, so there is no error to show."},
    StatusCodeInfo{"DO_E_WRITE_ONLY_PROPERTY", code::kWriteOnlyProperty, "The property is write-only."},
    StatusCodeInfo{"DO_E_FILE_NOT_AVAILABLE", code::kFileNotAvailable,
                   "The error is not tied to a file."},
    StatusCodeInfo{"DO_E_FILE_DOWNLOADSINK_UNSPECIFIED", code::kDownloadSinkUnspecified,
                   "The download has no local path: set one before starting it."},
    StatusCodeInfo{"DO_E_DOWNLOAD_NO_URI", code::kDownloadNoUri,
                   "The download has neither a URI nor a content id."},
    StatusCodeInfo{"DO_E_DOWNLOAD_NO_PROGRESS", code::kDownloadNoProgress,
                   "No data arrived for the whole no-progress timeout: check the network and the "
                   "server, then resume the job."},
    StatusCodeInfo{"DO_E_BLOCKED_BY_COST_TRANSFER_POLICY", code::kBlockedByCostPolicy,
                   "Paused by the job's cost policy on a metered network."},
    StatusCodeInfo{"DO_E_BLOCKED_BY_CELLULAR_POLICY", code::kBlockedByCellularPolicy,
                   "Paused: the download may not use a cellular (gsm, cdma) link."},
    StatusCodeInfo{"DO_E_BLOCKED_BY_POWER_STATE", code::kBlockedByPowerState,
                   "Paused because the machine runs on battery."},
    StatusCodeInfo{"DO_E_BLOCKED_BY_NO_NETWORK", code::kBlockedByNoNetwork,
                   "Paused: there is no network connectivity."},
    StatusCodeInfo{"DO_E_HTTP_BLOCKSIZE_MISMATCH", code::kHttpBlocksizeMismatch,
                   "The server sent a different byte range than the one asked for."},
    StatusCodeInfo{"DO_E_HTTP_CERT_VALIDATION", code::kHttpCertValidation,
                   "The server's TLS certificate could not be verified."},
    StatusCodeInfo{"DO_E_INVALID_RANGE", code::kInvalidRange,
                   "A range is empty, starts at the to-end sentinel, or lies outside the file."},
    StatusCodeInfo{"DO_E_INSUFFICIENT_RANGE_SUPPORT", code::kInsufficientRangeSupport,
                   "Ranges were requested but the server ignores Range requests."},
    StatusCodeInfo{"DO_E_OVERLAPPING_RANGES", code::kOverlappingRanges, "Ranges overlap or repeat."},
    StatusCodeInfo{"BG_E_STRING_TOO_LONG", code::kStringTooLong,
                   "The text is too long (display name 256, description 1024 characters)."},
    StatusCodeInfo{"BG_E_TOO_MANY_JOBS_PER_USER", code::kTooManyJobsPerUser,
                   "You have too many jobs: complete or cancel some first."},
    StatusCodeInfo{"BG_E_TOO_MANY_FILES_IN_JOB", code::kTooManyFilesInJob,
                   "The job has the maximum number of files."},
    StatusCodeInfo{"BG_E_TOO_MANY_RANGES_IN_FILE", code::kTooManyRangesInFile,
                   "The file has too many ranges."},
    StatusCodeInfo{"BG_E_VALIDATION_FAILED", code::kValidationFailed,
                   "The content failed its integrity check (SHA-256 or content id mismatch)."},
    StatusCodeInfo{"ERROR_WINHTTP_REDIRECT_FAILED", code::kRedirectFailed,
                   "A redirect failed: a loop, too many redirects, or HTTPS to HTTP."},
    StatusCodeInfo{"ERROR_INTERNET_CONNECTION_RESET", code::kConnectionReset,
                   "The connection to the server was reset."},
    StatusCodeInfo{"ERROR_INTERNET_TIMEOUT", code::kTimeout, "The server did not answer in time."},
    StatusCodeInfo{"ERROR_INTERNET_NAME_NOT_RESOLVED", code::kNameNotResolved,
                   "The server name could not be resolved."},
    StatusCodeInfo{"ERROR_INTERNET_CANNOT_CONNECT", code::kCannotConnect,
                   "Could not connect to the server."},
    StatusCodeInfo{"E_UNEXPECTED", code::kUnexpected, "An unexpected internal failure."},
    StatusCodeInfo{"ERROR_FILE_NOT_FOUND", code::FromWin32(2), "A file was not found."},
    StatusCodeInfo{"ERROR_PATH_NOT_FOUND", code::FromWin32(3), "A directory on the path does not exist."},
    StatusCodeInfo{"ERROR_WRITE_PROTECT", code::FromWin32(19), "The file system is read-only."},
    StatusCodeInfo{"ERROR_FILE_EXISTS", code::FromWin32(80), "The file already exists."},
    StatusCodeInfo{"ERROR_BROKEN_PIPE", code::FromWin32(109),
                   "The reader of the stream went away: nothing reads the descriptor any more."},
    StatusCodeInfo{"ERROR_DISK_FULL", code::FromWin32(112), "The disk is full: free some space, then resume."},
    StatusCodeInfo{"ERROR_IO_DEVICE", code::FromWin32(1117), "An I/O error occurred on the device."},
    StatusCodeInfo{"ERROR_NOT_SAME_DEVICE", code::FromWin32(17), "The files are on different devices."},
    StatusCodeInfo{"ERROR_LOCK_VIOLATION", code::FromWin32(33),
                   "The database is locked by another process: is another ferryd running?"},
    StatusCodeInfo{"ERROR_OPEN_FAILED", code::FromWin32(110), "The database could not be opened."},
    StatusCodeInfo{"ERROR_REVISION_MISMATCH", code::FromWin32(1306),
                   "The database was written by a newer ferry: upgrade ferry, or move the database away."},
    StatusCodeInfo{"ERROR_SERVICE_NOT_ACTIVE", code::FromWin32(1062),
                   "ferryd is not running: start it with `ferryd --user` or the ferryd service."},
    StatusCodeInfo{"ERROR_TIMEOUT", code::FromWin32(1460), "The service did not answer in time."},
    StatusCodeInfo{"ERROR_FILE_CORRUPT", code::FromWin32(1392),
                   "The database is corrupt: ferry will not overwrite it; move it away to start afresh."},
};

}  // namespace

std::span<const StatusCodeInfo> AllStatusCodes() { return kTable; }

static const StatusCodeInfo* Find(int32_t c) {
  for (const auto& e : kTable)
    if (e.value == c) return &e;
  return nullptr;
}

std::string StatusCodeName(int32_t c) {
  if (const auto* e = Find(c)) return std::string(e->name);
  uint32_t u = static_cast<uint32_t>(c);
  if ((u & 0xFFFF0000u) == 0x80190000u) return fmt::format("BG_E_HTTP_ERROR_{}", u & 0xFFFFu);
  if ((u & 0xFFFF0000u) == 0x80070000u) return fmt::format("HRESULT_FROM_WIN32({})", u & 0xFFFFu);
  return fmt::format("0x{:08X}", u);
}

std::string StatusCodeMessage(int32_t c) {
  if (const auto* e = Find(c)) return std::string(e->message);
  uint32_t u = static_cast<uint32_t>(c);
  if ((u & 0xFFFF0000u) == 0x80190000u)
    return fmt::format("The server answered HTTP status {}.", u & 0xFFFFu);
  if (c >= 0) return "Success.";
  return "An error occurred.";
}

int32_t CodeFromErrno(int err) {
  switch (err) {
    case 0: return code::kOk;
    case ENOENT: return code::FromWin32(2);
    case ENOTDIR: return code::FromWin32(3);
    case EACCES:
    case EPERM: return code::kAccessDenied;
    case EROFS: return code::FromWin32(19);
    case EEXIST: return code::FromWin32(80);
    case ENOSPC:
    case EDQUOT: return code::FromWin32(112);
    case EXDEV: return code::FromWin32(17);
    case EINVAL: return code::kInvalidArg;
    case EPIPE: return code::FromWin32(109);
    case EIO:
    default: return code::FromWin32(1117);
  }
}

Status ErrnoStatus(int err, std::string_view operation) {
  return Status(CodeFromErrno(err), fmt::format("{}: {}", operation, std::strerror(err)));
}

std::string Status::Name() const { return StatusCodeName(code_); }

std::string Status::ToString() const {
  return fmt::format("0x{:08X} {}: {}", static_cast<uint32_t>(code_), StatusCodeName(code_),
                     message_.empty() ? StatusCodeMessage(code_) : message_);
}

}  // namespace ferry
