#include "core/resume_rules.h"

#include <fmt/format.h>

#include "util/status_codes.h"

namespace ferry::core {

std::optional<uint64_t> RangeLength(const FileRange& r, uint64_t expected_size) {
  if (r.length != kLengthToEof) return r.length;
  if (expected_size == kSizeUnknown || expected_size <= r.initial_offset) return std::nullopt;
  return expected_size - r.initial_offset;
}

std::optional<uint64_t> RangesTotal(std::span<const FileRange> ranges, uint64_t expected_size) {
  uint64_t sum = 0;
  for (const FileRange& r : ranges) {
    auto len = RangeLength(r, expected_size);
    if (!len) return std::nullopt;
    sum += *len;
  }
  return sum;
}

namespace {

ResumeDecision Decide(ResumeAction action, const FileFacts& facts) {
  return ResumeDecision{action, 0, {}, facts};
}

ResumeDecision Refuse(int32_t code, std::string message, const FileFacts& facts) {
  return ResumeDecision{ResumeAction::kFail, code, std::move(message), facts};
}

// Whether the response carries another version than the one stored: a
// different ETag, or (without a stored ETag) a different Last-Modified.
bool ValidatorChanged(const FileFacts& f, const ByteResponse& resp) {
  bool etag_changed = !f.etag.empty() && !resp.etag.empty() && resp.etag != f.etag;
  bool lm_changed = f.etag.empty() && !f.last_modified.empty() && !resp.last_modified.empty() &&
                    resp.last_modified != f.last_modified;
  return etag_changed || lm_changed;
}

// Why the size the origin announces for a whole file is not the one the
// caller gave (DO's TotalSizeBytes), or nullopt when they agree or either
// is unknown.
std::optional<std::string> SizeMismatch(const FileFacts& f, const ByteResponse& resp) {
  uint64_t announced = resp.total_size;
  if (announced == kSizeUnknown && !resp.partial) announced = resp.body_length;
  if (f.expected_size == kSizeUnknown || announced == kSizeUnknown || announced == f.expected_size)
    return std::nullopt;
  return fmt::format("the origin's file has {} bytes, {} were expected", announced,
                     f.expected_size);
}

ResumeDecision At416WholeFile(const ResumeInput& in, const ByteResponse& resp, bool changed) {
  uint64_t n = in.written;
  uint64_t known = resp.total_size != kSizeUnknown ? resp.total_size : in.stored.bytes_total;
  if (n > 0 && known == n && !changed) {
    FileFacts facts = in.stored;
    facts.bytes_total = n;
    return Decide(ResumeAction::kComplete, facts);
  }
  if (n > 0) return Decide(ResumeAction::kRestart, in.stored);
  return Refuse(code::HttpError(416), "the server refused a request for the whole file (416)",
                in.stored);
}

ResumeDecision WholeFile(const ResumeInput& in, const ByteResponse& resp) {
  const FileFacts& f = in.stored;
  bool changed = ValidatorChanged(f, resp);
  if (resp.status == 416) return At416WholeFile(in, resp, changed);
  if (auto why = SizeMismatch(f, resp)) return Refuse(code::kHttpBlocksizeMismatch, *why, f);
  uint64_t n = in.written;
  bool size_changed = n > 0 && f.bytes_total != kSizeUnknown && resp.total_size != kSizeUnknown &&
                      resp.total_size != f.bytes_total;
  ResumeDecision d = Decide(ResumeAction::kAccept, f);
  if (resp.partial) {
    if (resp.body_offset != n)
      return Refuse(
          code::kHttpBlocksizeMismatch,
          fmt::format("asked for bytes from {}, the server sent them from {}", n, resp.body_offset),
          f);
    if (n > 0 && (changed || size_changed)) return Decide(ResumeAction::kRestart, f);
  } else if (n > 0) {
    // 200 to a ranged request, or the validator changed: the whole new
    // version follows; restart from 0 rather than splice two versions.
    d.action = ResumeAction::kRestartAccept;
    d.message =
        resp.status == 200 && !changed ? "the server ignored Range" : "the remote file changed";
    d.facts = FileFacts{{}, {}, kSizeUnknown, f.expected_size};  // what the restart leaves
    n = 0;
  }
  FileFacts& out = d.facts;
  if (n == 0 || out.etag.empty()) out.etag = resp.etag;
  if (n == 0 || out.last_modified.empty()) out.last_modified = resp.last_modified;
  if (resp.total_size != kSizeUnknown)
    out.bytes_total = resp.total_size;
  else if (!resp.partial && resp.body_length != kSizeUnknown)
    out.bytes_total = resp.body_length;
  else if (n == 0)
    out.bytes_total = kSizeUnknown;
  return d;
}

ResumeDecision Ranges(const ResumeInput& in, const ByteResponse& resp) {
  FileFacts f = in.stored;
  bool changed = ValidatorChanged(f, resp);
  if (resp.status == 416)
    return Refuse(code::kInvalidRange,
                  fmt::format("the range at offset {} lies beyond the end of the remote file",
                              in.request_offset),
                  f);
  if (!resp.partial) {
    if (changed) return Decide(ResumeAction::kRestart, f);
    return Refuse(code::kInsufficientRangeSupport,
                  "the server ignored the Range request for a file with ranges", f);
  }
  if (resp.body_offset != in.request_offset)
    return Refuse(code::kHttpBlocksizeMismatch,
                  fmt::format("asked for bytes from {}, the server sent them from {}",
                              in.request_offset, resp.body_offset),
                  f);
  if (changed && in.written > 0) return Decide(ResumeAction::kRestart, f);
  if (resp.total_size != kSizeUnknown) {
    f.expected_size = resp.total_size;
    for (const auto& r : in.ranges) {
      uint64_t end = r.length == kLengthToEof ? resp.total_size : r.initial_offset + r.length;
      if (r.initial_offset >= resp.total_size || end > resp.total_size)
        return Refuse(code::kInvalidRange,
                      fmt::format("range {}+{} lies beyond the end of the remote file ({} bytes)",
                                  r.initial_offset, r.length, resp.total_size),
                      f);
    }
    if (auto total = RangesTotal(in.ranges, f.expected_size)) f.bytes_total = *total;
  }
  if (in.request_length && resp.body_length != kSizeUnknown &&
      resp.body_length != *in.request_length)
    return Refuse(code::kHttpBlocksizeMismatch,
                  fmt::format("asked for {} bytes, the server announced {}", *in.request_length,
                              resp.body_length),
                  f);
  if (f.etag.empty()) f.etag = resp.etag;
  if (f.last_modified.empty()) f.last_modified = resp.last_modified;
  return Decide(ResumeAction::kAccept, f);
}

}  // namespace

ResumeDecision DecideResume(const ResumeInput& in, const ByteResponse& response) {
  return in.ranges.empty() ? WholeFile(in, response) : Ranges(in, response);
}

}  // namespace ferry::core
