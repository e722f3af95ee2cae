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
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "sdk/proxies.h"

namespace ferry::sdk {

// Complete copies whole files: far longer than sd-bus's default 25 s.
inline constexpr std::chrono::microseconds kCompleteTimeout = std::chrono::hours(1);

Status CompleteWithDescriptors(JobProxy& job);

// "<local_name>.ferry-<suffix>".
std::string TempNameFor(std::string_view local_name, std::string_view suffix);

// Whether a temporary may be renamed into place after Complete: the service
// filled it completely (its size is the file's size). A temporary of a file
// the service did not write (already delivered by an earlier Complete, or a
// failed call) stays empty and is unlinked instead; an empty file is renamed
// only when the call succeeded.
bool ShouldInstall(bool call_ok, uint64_t temp_size, uint64_t bytes_total);

}  // namespace ferry::sdk
