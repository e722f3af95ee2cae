// Argument rules of semantics.md §2 and §6, as pure functions: each returns
// S_OK or the documented code with a message naming the problem.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "ferry/types.h"

namespace ferry::core {

constexpr size_t kMaxDisplayName = 256;   // characters (code points)
constexpr size_t kMaxDescription = 1024;
constexpr size_t kMaxCustomHeaders = 16 * 1024;  // bytes

// Number of UTF-8 code points, or SIZE_MAX when `s` is not valid UTF-8 (RFC
// 3629: overlong forms, surrogates and values past U+10FFFF are not).
size_t Utf8Length(std::string_view s);

Status ValidateDisplayName(std::string_view name);     // 1..256, UTF-8
Status ValidateDescription(std::string_view text);     // 0..1024, UTF-8
Status ValidateNotifyFlags(uint32_t flags);            // only known bits
Status ValidatePriority(JobPriority priority);
Status ValidateCostPolicy(uint32_t policy);
// nullopt (none), or one of DownloadMode's six values.
Status ValidateDownloadMode(std::optional<DownloadMode> mode);
Status ValidateProxy(ProxyUsage usage, std::string_view list, std::string_view bypass);
// "Name: value" lines separated by CRLF or LF; no control characters.
Status ValidateCustomHeaders(std::string_view headers);
Status ValidateSha256Hex(std::string_view hex);        // 64 hex digits, or empty
// Non-zero lengths, offsets not the to-EOF sentinel, no overlap/repeat, at
// most `max_ranges`, and inside `file_size` when that is known.
Status ValidateRanges(std::span<const FileRange> ranges, uint64_t file_size, uint32_t max_ranges);
// A file's content id (docs/content-id.md): empty (none), or a well-formed
// id (util/content_id.h) of a whole file (no `ranges`), whose size equals
// `file_size` when that is known, on a remote name that is not a torrent or
// magnet (their info-hash verifies them). E_INVALIDARG naming the problem.
Status ValidateFileContentId(std::string_view id, std::string_view remote_url,
                             std::span<const FileRange> ranges, uint64_t file_size);

}  // namespace ferry::core
