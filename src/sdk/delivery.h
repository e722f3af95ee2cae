// Complete in system mode: the caller opens the destination files itself.
//
// ferryd in system mode runs as its own user and must never write into a
// user's directory with its own rights. So for each finished file the SDK
// creates "<local_name>.ferry-XXXXXX" beside the local name (O_CREAT|O_EXCL,
// mode 0666 & ~umask, the caller's rights), passes the descriptors with
// Complete, and after the reply renames each filled temporary into place and
// fsyncs its directory. Temporaries the service did not fill are unlinked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "sdk/proxies.h"

namespace ferry::sdk {

// Complete copies whole files: far longer than sd-bus's default 25 s.
inline constexpr std::chrono::microseconds kCompleteTimeout = std::chrono::hours(1);

Status CompleteWithDescriptors(JobProxy& job);

// One file to deliver through a descriptor: its index in the call's map,
// its local name, its size (ShouldInstall).
struct DeliveryTarget {
  uint32_t index = 0;
  std::string local;
  uint64_t bytes_total = 0;
  // A torrent's file below a directory (util/torrent_source.h
  // TorrentSaveDirectory): missing directories below it are created first.
  std::string make_dirs_below;
};
// The common part of Job.Complete and Download.Finalize in system mode:
// creates a temporary beside each target, runs `call` with their descriptors
// (it may throw: the temporaries are removed and the exception goes on),
// installs the filled ones and removes the rest. `call`'s status, else the
// first install error.
Status DeliverWithDescriptors(
    const std::vector<DeliveryTarget>& targets,
    const std::function<Status(std::map<uint32_t, sdbus::UnixFd>&)>& call);

// "<local_name>.ferry-<suffix>".
std::string TempNameFor(std::string_view local_name, std::string_view suffix);

// Whether a temporary may be renamed into place after Complete: the service
// filled it completely (its size is the file's size). A temporary of a file
// the service did not write (already delivered by an earlier Complete, or a
// failed call) stays empty and is unlinked instead; an empty file is renamed
// only when the call succeeded.
bool ShouldInstall(bool call_ok, uint64_t temp_size, uint64_t bytes_total);

}  // namespace ferry::sdk
