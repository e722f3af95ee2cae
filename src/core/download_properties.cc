#include "core/download_properties.h"

#include <fmt/format.h>

#include <array>

#include "core/validation.h"
#include "util/content_id.h"
#include "util/url.h"

namespace ferry::core {
namespace {

using P = DownloadProperty;
using K = PropKind;
using A = PropAccess;

constexpr uint32_t kKnownSecurityFlags = 0x1 | 0x100 | 0x200 | 0x1000 | 0x2000;

const std::array<PropSpec, kDownloadPropertyCount> kSpecs = {{
    {P::kId, "Id", K::kString, A::kReadOnly, 0, {}},
    {P::kUri, "Uri", K::kString, A::kReadWrite, kSetInCreatedOrPaused, {}},
    {P::kContentId, "ContentId", K::kString, A::kReadWrite, kSetInCreated, {}},
    {P::kDisplayName, "DisplayName", K::kString, A::kReadWrite, kSetWhileLive, {}},
    {P::kLocalPath, "LocalPath", K::kString, A::kReadWrite, kSetInCreated, {}},
    {P::kHttpCustomHeaders, "HttpCustomHeaders", K::kString, A::kReadWrite, kSetWhileLive, {}},
    {P::kCostPolicy, "CostPolicy", K::kUint32, A::kReadWrite, kSetWhileLive, {}},
    {P::kSecurityFlags, "SecurityFlags", K::kUint32, A::kWriteOnly, kSetInCreated, {}},
    {P::kCallbackFreqPercent, "CallbackFreqPercent", K::kUint32, A::kReadWrite, kSetWhileLive, {}},
    {P::kCallbackFreqSeconds, "CallbackFreqSeconds", K::kUint32, A::kReadWrite, kSetWhileLive,
     uint32_t{1}},
    {P::kNoProgressTimeoutSeconds,
     "NoProgressTimeoutSeconds",
     K::kUint32,
     A::kReadWrite,
     kSetWhileLive,
     {}},
    {P::kForegroundPriority, "ForegroundPriority", K::kBool, A::kReadWrite, kSetWhileLive, false},
    {P::kBlockingMode, "BlockingMode", K::kBool, A::kReadWrite, kSetWhileLive, false},
    {P::kCallbackInterface, "CallbackInterface", K::kCallback, A::kReadWrite, kSetWhileLive, {}},
    {P::kStreamInterface, "StreamInterface", K::kStream, A::kReadWrite, kSetInCreated, {}},
    {P::kSecurityContext, "SecurityContext", K::kBytes, A::kWriteOnly, kSetInCreated, {}},
    {P::kNetworkToken, "NetworkToken", K::kBool, A::kWriteOnly, kSetWhileLive, {}},
    {P::kCorrelationVector, "CorrelationVector", K::kString, A::kReadWrite, kSetWhileLive, {}},
    {P::kDecryptionInfo, "DecryptionInfo", K::kString, A::kWriteOnly, kSetInCreated, {}},
    {P::kIntegrityCheckInfo, "IntegrityCheckInfo", K::kString, A::kWriteOnly, kSetInCreated, {}},
    {P::kIntegrityCheckMandatory, "IntegrityCheckMandatory", K::kBool, A::kReadWrite, kSetInCreated,
     false},
    {P::kTotalSizeBytes, "TotalSizeBytes", K::kUint64, A::kReadWrite, kSetInCreated, {}},
    {P::kDisallowOnCellular, "DisallowOnCellular", K::kBool, A::kReadWrite, kSetWhileLive, false},
    {P::kHttpCustomAuthHeaders,
     "HttpCustomAuthHeaders",
     K::kString,
     A::kReadWrite,
     kSetWhileLive,
     {}},
    {P::kHttpAllowSecureToNonSecureRedirect, "HttpAllowSecureToNonSecureRedirect", K::kBool,
     A::kReadWrite, kSetInCreated, false},
    {P::kNonVolatile, "NonVolatile", K::kBool, A::kReadWrite, kSetInCreated, false},
}};

// ferry's extensions (ids from 1000).
const std::array<PropSpec, 1> kFerrySpecs = {{
    {P::kDownloadMode, "DownloadMode", K::kUint32, A::kReadWrite, kSetWhileLive, {}},
}};

const char* KindName(PropKind k) {
  switch (k) {
    case K::kString:
      return "a string";
    case K::kUint32:
      return "a uint32";
    case K::kUint64:
      return "a uint64";
    case K::kBool:
      return "a bool";
    case K::kBytes:
      return "bytes (a string)";
    case K::kCallback:
      return "a DownloadStatusCallback";
    case K::kStream:
      return "a StreamSink";
  }
  return "?";
}

Status Invalid(const PropSpec& spec, std::string_view why) {
  return Status(code::kInvalidArg, fmt::format("{}: {}", spec.name, why));
}

Status CheckString(const PropSpec& spec, const std::string& s) {
  switch (spec.id) {
    case P::kUri:
      if (s.empty()) return Invalid(spec, "must not be empty");
      return ValidateRemoteUrl(s);
    case P::kLocalPath:
      if (s.empty() || s[0] != '/') return Invalid(spec, "must be an absolute path");
      return Status::OK();
    case P::kDisplayName:
      return ValidateDisplayName(s);
    case P::kHttpCustomHeaders:
    case P::kHttpCustomAuthHeaders:
      return ValidateCustomHeaders(s);
    case P::kContentId: {
      if (s.empty()) return Invalid(spec, "must not be empty");
      auto id = ParseContentId(s);  // the rules that need the file wait for Start
      return id.ok() ? Status::OK() : Invalid(spec, id.status().message());
    }
    case P::kDecryptionInfo:
      return Status(code::kNotImpl, "DecryptionInfo: ferry cannot decrypt DO content on Linux");
    default:
      return Status::OK();
  }
}

}  // namespace

const PropSpec* FindPropSpec(uint32_t id) {
  if (id < kSpecs.size()) return &kSpecs[id];
  for (const PropSpec& spec : kFerrySpecs)
    if (static_cast<uint32_t>(spec.id) == id) return &spec;
  return nullptr;
}

Status CheckPropType(const PropSpec& spec, const DownloadValue& value) {
  bool ok = false;
  switch (spec.kind) {
    case K::kString:
    case K::kBytes:
      ok = std::holds_alternative<std::string>(value);
      break;
    case K::kUint32:
      ok = std::holds_alternative<uint32_t>(value);
      break;
    case K::kUint64:
      ok = std::holds_alternative<uint64_t>(value);
      break;
    case K::kBool:
      ok = std::holds_alternative<bool>(value);
      break;
    case K::kCallback:
    case K::kStream:
      ok = false;
      break;  // never through a DownloadValue
  }
  if (ok) return Status::OK();
  return Invalid(spec, fmt::format("the value must be {}", KindName(spec.kind)));
}

Status CheckPropValue(const PropSpec& spec, const DownloadValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return CheckString(spec, *s);
  if (const auto* u = std::get_if<uint32_t>(&value)) {
    switch (spec.id) {
      case P::kCostPolicy:
        if (*u > static_cast<uint32_t>(DownloadCostPolicy::kNoCellular))
          return Invalid(spec, "must be a DownloadCostPolicy (0-5)");
        break;
      case P::kSecurityFlags:
        if (*u & ~kKnownSecurityFlags) return Invalid(spec, "unknown flag bits");
        break;
      case P::kCallbackFreqPercent:
        if (*u > 100) return Invalid(spec, "must be at most 100");
        break;
      case P::kNoProgressTimeoutSeconds:
        if (*u < 60) return Invalid(spec, "must be at least 60 seconds");
        break;
      case P::kDownloadMode:
        if (!IsDownloadMode(*u))
          return Invalid(spec, "must be a download mode (0, 1, 2, 3, 99 or 100)");
        break;
      default:
        break;
    }
  }
  return Status::OK();
}

}  // namespace ferry::core
