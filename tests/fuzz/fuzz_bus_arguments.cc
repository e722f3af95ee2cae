// Every D-Bus argument validator of the service (src/service/arguments) and
// the engine's rules behind them (src/core/validation), with the values a
// bus client controls: custom headers, notify command lines, ranges, file
// sets and property values. The first input byte picks the argument.
//
// Invariants: what both layers accept is what the spec allows (headers split
// into well-formed lines without line breaks; notify parameters split and
// quoted back to the same argv; ranges disjoint, non-empty and inside the
// file; names strict UTF-8 within their limits; a file's content id is
// canonical, of a whole file of the given size, never on a torrent); the two
// layers agree where they check the same rule.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/validation.h"
#include "fuzz/fuzz_check.h"
#include "service/arguments.h"
#include "service/notify_program.h"
#include "util/content_id.h"
#include "util/torrent_source.h"
#include "util/url.h"

namespace {

using namespace ferry;
using namespace ferry::service;

bool HasControl(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  return false;
}

// The lines the engine hands libcurl (core/job_request.cc SplitHeaders).
std::vector<std::string_view> HeaderLines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void CustomHeaders(FuzzedDataProvider& in) {
  std::string headers = in.ConsumeRemainingBytesAsString();
  if (!CheckString("the custom headers", headers, kMaxLongStringBytes).ok()) return;
  if (!core::ValidateCustomHeaders(headers).ok()) return;
  for (std::string_view line : HeaderLines(headers)) {
    auto colon = line.find(':');
    FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
    FUZZ_CHECK(!HasControl(line));
    FUZZ_CHECK(line.substr(0, colon).find_first_of(" \t") == std::string_view::npos);
  }
}

void NotifyCommandLine(FuzzedDataProvider& in) {
  std::string program = in.ConsumeRandomLengthString(256);
  std::string parameters = in.ConsumeRemainingBytesAsString();
  if (!CheckString("the notify program", program, kMaxPathBytes).ok()) return;
  if (!CheckString("the notify parameters", parameters, kMaxLongStringBytes).ok()) return;
  Guid job;
  std::vector<std::string> argv = NotifyArgv(program, parameters, job, JobState::kTransferred);
  FUZZ_CHECK(!argv.empty() && argv[0] == program);
  if (parameters.find('%') != std::string::npos) return;
  // Quoting every argument and splitting again gives the same vector.
  std::string quoted;
  for (size_t i = 1; i < argv.size(); ++i) {
    FUZZ_CHECK(argv[i].find('"') == std::string::npos);
    quoted += (i > 1 ? " \"" : "\"") + argv[i] + "\"";
  }
  FUZZ_CHECK(NotifyArgv(program, quoted, job, JobState::kTransferred) == argv);
}

void Ranges(FuzzedDataProvider& in) {
  uint64_t file_size = in.ConsumeBool() ? kSizeUnknown : in.ConsumeIntegral<uint64_t>();
  uint32_t max_ranges = in.ConsumeIntegralInRange<uint32_t>(0, 16);
  std::vector<FileRange> ranges;
  while (in.remaining_bytes() > 0 && ranges.size() < 20) {
    FileRange r;
    r.initial_offset = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 64)
                                        : in.ConsumeIntegral<uint64_t>();
    r.length = in.ConsumeBool()   ? in.ConsumeIntegralInRange<uint64_t>(0, 64)
               : in.ConsumeBool() ? kLengthToEof
                                  : in.ConsumeIntegral<uint64_t>();
    ranges.push_back(r);
  }
  if (!core::ValidateRanges(ranges, file_size, max_ranges).ok()) return;
  FUZZ_CHECK(ranges.size() <= max_ranges);
  auto end = [&](const FileRange& r) {
    return r.length == kLengthToEof ? (file_size == kSizeUnknown ? UINT64_MAX : file_size)
                                    : r.initial_offset + r.length;
  };
  for (size_t i = 0; i < ranges.size(); ++i) {
    const FileRange& a = ranges[i];
    FUZZ_CHECK(a.length != 0 && a.initial_offset != kLengthToEof);
    FUZZ_CHECK(end(a) > a.initial_offset);  // no wrap-around
    if (file_size != kSizeUnknown) FUZZ_CHECK(end(a) <= file_size);
    for (size_t k = i + 1; k < ranges.size(); ++k) {
      const FileRange& b = ranges[k];
      FUZZ_CHECK(end(a) <= b.initial_offset || end(b) <= a.initial_offset);
    }
  }
}

void FileSet(FuzzedDataProvider& in) {
  bool allow_file = in.ConsumeBool();
  while (in.remaining_bytes() > 0) {
    std::string url = in.ConsumeRandomLengthString(300);
    std::string local = in.ConsumeRandomLengthString(300);
    bool bus = CheckRemoteUrl(url, allow_file).ok() && CheckLocalName(local).ok();
    bool engine = ValidateRemoteUrl(url).ok() && ValidateLocalPath(local).ok();
    if (bus && engine) {
      FUZZ_CHECK(allow_file || UrlScheme(url) != "file");
      FUZZ_CHECK(IsStrictUtf8(url) && IsStrictUtf8(local));
    }
  }
}

void Strings(FuzzedDataProvider& in) {
  std::string text = in.ConsumeRemainingBytesAsString();
  bool strict = IsStrictUtf8(text);
  // The engine counts characters only in what is UTF-8 by the bus's rules.
  FUZZ_CHECK(strict == (core::Utf8Length(text) != SIZE_MAX));
  bool bus = CheckString("the display name", text, kMaxShortStringBytes).ok();
  if (bus) FUZZ_CHECK(strict && text.find('\0') == std::string::npos);
  if (bus && core::ValidateDisplayName(text).ok())
    FUZZ_CHECK(!text.empty() && core::Utf8Length(text) <= core::kMaxDisplayName);
  if (bus && core::ValidateDescription(text).ok())
    FUZZ_CHECK(core::Utf8Length(text) <= core::kMaxDescription);
  if (core::ValidateSha256Hex(text).ok()) FUZZ_CHECK(text.empty() || text.size() == 64);
}

// Job.SetFileContentId / AddFile's content id: the bus's string check, then
// the engine's rule for the file it is given to.
void FileContentId(FuzzedDataProvider& in) {
  uint64_t file_size =
      in.ConsumeBool() ? kSizeUnknown : in.ConsumeIntegralInRange<uint64_t>(0, 1 << 20);
  std::vector<FileRange> ranges;
  if (in.ConsumeBool()) ranges.push_back(FileRange{0, 10});
  std::string url = in.ConsumeRandomLengthString(100);
  std::string id = in.ConsumeRemainingBytesAsString();
  if (!CheckString("the content id", id, kMaxShortStringBytes).ok()) return;
  if (!core::ValidateFileContentId(id, url, ranges, file_size).ok()) return;
  if (id.empty()) return;
  auto parsed = ParseContentId(id);
  FUZZ_CHECK(parsed.ok() && FormatContentId(*parsed) == id);
  FUZZ_CHECK(ranges.empty());
  FUZZ_CHECK(file_size == kSizeUnknown || file_size == parsed->size);
  FUZZ_CHECK(ParseTorrentSource(url).kind == TorrentSourceKind::kNone);
}

void Numbers(FuzzedDataProvider& in) {
  uint32_t v = in.ConsumeIntegral<uint32_t>();
  FUZZ_CHECK(CheckPriority(v).ok() == core::ValidatePriority(static_cast<JobPriority>(v)).ok());
  FUZZ_CHECK(CheckNotifyFlags(v).ok() == ((v & ~notify::kAll) == 0));
  FUZZ_CHECK(CheckEnumFlags(v).ok() == ((v & ~kEnumAllUsers) == 0));
  FUZZ_CHECK(CheckJobType(v).ok() == (v <= 2));
  core::ValidateCostPolicy(v);
  std::string list = in.ConsumeRandomLengthString(100);
  std::string bypass = in.ConsumeRemainingBytesAsString();
  if (CheckProxyUsage(v).ok() && CheckString("the proxy list", list, kMaxLongStringBytes).ok() &&
      CheckString("the bypass list", bypass, kMaxLongStringBytes).ok() &&
      core::ValidateProxy(static_cast<ProxyUsage>(v), list, bypass).ok()) {
    FUZZ_CHECK(!HasControl(list) && !HasControl(bypass));
    FUZZ_CHECK(static_cast<ProxyUsage>(v) == ProxyUsage::kOverride ||
               (list.empty() && bypass.empty()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0:
      CustomHeaders(in);
      break;
    case 1:
      NotifyCommandLine(in);
      break;
    case 2:
      Ranges(in);
      break;
    case 3:
      FileSet(in);
      break;
    case 4:
      Strings(in);
      break;
    case 6:
      FileContentId(in);
      break;
    default:
      Numbers(in);
      break;
  }
  return 0;
}
