#include <sys/random.h>

#include <cstdio>
#include <random>

#include "ferry/types.h"

namespace ferry {

std::string Guid::ToHex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(32);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

std::string Guid::ToString() const {
  std::string h = ToHex();
  return "{" + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
         h.substr(16, 4) + "-" + h.substr(20, 12) + "}";
}

bool Guid::Parse(std::string_view t, Guid* out) {
  if (t.size() == 38) {
    if (t.front() != '{' || t.back() != '}') return false;
    t = t.substr(1, 36);
  }
  std::string hex;
  if (t.size() == 36) {
    for (size_t i = 0; i < t.size(); ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (t[i] == '-')) return false;
      if (!dash) hex.push_back(t[i]);
    }
  } else if (t.size() == 32) {
    hex = std::string(t);
  } else {
    return false;
  }
  Guid g;
  for (size_t i = 0; i < 16; ++i) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = hex[2 * i + k];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      v = v * 16 + d;
    }
    g.bytes[i] = static_cast<uint8_t>(v);
  }
  *out = g;
  return true;
}

Guid Guid::Random() {
  Guid g;
  size_t got = 0;
  while (got < g.bytes.size()) {
    ssize_t n = getrandom(g.bytes.data() + got, g.bytes.size() - got, 0);
    if (n <= 0) {  // cannot really happen; fall back to std::random_device
      std::random_device rd;
      for (auto& b : g.bytes) b = static_cast<uint8_t>(rd());
      break;
    }
    got += static_cast<size_t>(n);
  }
  g.bytes[6] = static_cast<uint8_t>((g.bytes[6] & 0x0F) | 0x40);  // version 4
  g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return g;
}

bool Guid::IsNil() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

std::string_view FileStatsStatusName(FileStatsStatus s) {
  switch (s) {
    case FileStatsStatus::kDownloading: return "downloading";
    case FileStatsStatus::kComplete: return "complete";
    case FileStatsStatus::kCaching: return "caching";
    case FileStatsStatus::kPaused: return "paused";
  }
  return "unknown";
}

std::string_view DownloadModeName(DownloadMode m) {
  switch (m) {
    case DownloadMode::kHttpOnly: return "http-only";
    case DownloadMode::kLan: return "lan";
    case DownloadMode::kGroup: return "group";
    case DownloadMode::kInternet: return "internet";
    case DownloadMode::kSimple: return "simple";
    case DownloadMode::kBypass: return "bypass";
  }
  return "unknown";
}

bool IsDownloadMode(uint32_t v) {
  return DownloadModeName(static_cast<DownloadMode>(v)) != "unknown";
}

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "QUEUED";
    case JobState::kConnecting: return "CONNECTING";
    case JobState::kTransferring: return "TRANSFERRING";
    case JobState::kSuspended: return "SUSPENDED";
    case JobState::kError: return "ERROR";
    case JobState::kTransientError: return "TRANSIENT_ERROR";
    case JobState::kTransferred: return "TRANSFERRED";
    case JobState::kAcknowledged: return "ACKNOWLEDGED";
    case JobState::kCancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

std::string_view JobPriorityName(JobPriority p) {
  switch (p) {
    case JobPriority::kForeground: return "FOREGROUND";
    case JobPriority::kHigh: return "HIGH";
    case JobPriority::kNormal: return "NORMAL";
    case JobPriority::kLow: return "LOW";
  }
  return "UNKNOWN";
}

std::string_view ErrorContextName(ErrorContext c) {
  switch (c) {
    case ErrorContext::kNone: return "NONE";
    case ErrorContext::kUnknown: return "UNKNOWN";
    case ErrorContext::kGeneralQueueManager: return "GENERAL_QUEUE_MANAGER";
    case ErrorContext::kQueueManagerNotification: return "QUEUE_MANAGER_NOTIFICATION";
    case ErrorContext::kLocalFile: return "LOCAL_FILE";
    case ErrorContext::kRemoteFile: return "REMOTE_FILE";
    case ErrorContext::kGeneralTransport: return "GENERAL_TRANSPORT";
    case ErrorContext::kRemoteApplication: return "REMOTE_APPLICATION";
  }
  return "UNKNOWN";
}

}  // namespace ferry
