// The property table of DO's download API (do-download.md §2) as data:
// each id's value type, access, the states a set is allowed in, and its
// default. Downloads (core/download.h) applies it; the docs and the property
// test read the same rows.
#pragma once

#include <cstdint>
#include <optional>

#include "core/download.h"

namespace ferry::core {

enum class PropKind { kString, kUint32, kUint64, kBool, kBytes, kCallback, kStream };
enum class PropAccess { kReadWrite, kReadOnly, kWriteOnly };

// States (as bits 1 << DownloadState) in which a set is allowed.
constexpr uint32_t StateBit(DownloadState s) { return 1u << static_cast<uint32_t>(s); }
constexpr uint32_t kSetInCreated = StateBit(DownloadState::kCreated);
constexpr uint32_t kSetInCreatedOrPaused = kSetInCreated | StateBit(DownloadState::kPaused);
constexpr uint32_t kSetWhileLive = kSetInCreatedOrPaused | StateBit(DownloadState::kTransferring) |
                                   StateBit(DownloadState::kTransferred);

struct PropSpec {
  DownloadProperty id;
  const char* name;
  PropKind kind;
  PropAccess access;
  uint32_t set_states;
  DownloadValue default_value;  // monostate: none (a read of an unset one is E_NOT_SET)
};

// The row of `id`, or nullptr for an unknown id.
const PropSpec* FindPropSpec(uint32_t id);

// S_OK when `value` holds the C++ type of `kind`; E_INVALIDARG naming the
// property and the expected type otherwise.
Status CheckPropType(const PropSpec& spec, const DownloadValue& value);

// The rules on the value itself (ranges, formats) that need no state:
// E_INVALIDARG or BG_E_STRING_TOO_LONG with a message; E_NOTIMPL for
// DecryptionInfo.
Status CheckPropValue(const PropSpec& spec, const DownloadValue& value);

}  // namespace ferry::core
