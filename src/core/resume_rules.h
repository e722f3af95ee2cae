// The resume rules of semantics.md §6 as one pure function: given what the
// store knows of a file (validators, sizes, bytes already in staging) and
// what the origin answered to a request, decide whether the body may flow,
// the file restarts, fails, or is already complete — and what the file's
// record learns from the answer. No I/O, no engine: tested from a table
// (tests/unit/core/resume_rules_test.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/ports.h"

namespace ferry::core {

// The fields of a FileRecord that a response may change.
struct FileFacts {
  std::string etag;
  std::string last_modified;
  uint64_t bytes_total = kSizeUnknown;    // local size
  uint64_t expected_size = kSizeUnknown;  // remote size
  bool operator==(const FileFacts&) const = default;
};

// What is known when a response arrives.
struct ResumeInput {
  FileFacts stored;                        // the record before this response
  std::span<const FileRange> ranges;       // empty: the whole file
  uint64_t written = 0;                    // local bytes already received (staged or buffered)
  uint64_t request_offset = 0;             // remote offset that was asked for
  std::optional<uint64_t> request_length;  // remote byte count asked for, if bounded
};

enum class ResumeAction {
  kAccept,         // the body continues the file at `written`
  kRestartAccept,  // the body is the whole (new) version: restart the file from 0, then accept
  kRestart,        // refuse the body; restart the file from 0 and ask again
  kFail,           // refuse the body; the file fails (not transient) with code/message
  kComplete,       // 416 for a file already whole: it is complete as staged
};

struct ResumeDecision {
  ResumeAction action = ResumeAction::kAccept;
  int32_t code = 0;     // kFail: the error code
  std::string message;  // kFail: why; kRestartAccept: why the file restarts
  // The record's facts after this response, for every action (a refused
  // response may still have taught the remote size). After kRestartAccept
  // they describe the new version; the restart clears the old ones first.
  FileFacts facts;
};

// The rules for one response (ByteResponse from the byte source).
ResumeDecision DecideResume(const ResumeInput& in, const ByteResponse& response);

// Length of ranges[i] given the remote size (nullopt: to EOF of an unknown
// size).
std::optional<uint64_t> RangeLength(const FileRange& range, uint64_t expected_size);
// Sum of the ranges' lengths, or nullopt while one of them is unknown.
std::optional<uint64_t> RangesTotal(std::span<const FileRange> ranges, uint64_t expected_size);

}  // namespace ferry::core
