// Downloads' per-download state, shared by download*.cc. Not part of the
// interface: include core/download.h instead.
#pragma once

#include <unistd.h>

#include <memory>
#include <optional>

#include "core/download.h"
#include "sys/stream_writer.h"

namespace ferry::core {

struct Downloads::Entry {
  DownloadRecord rec;
  std::optional<DownloadStatus> ended;  // Finalized or Aborted: the last status
  std::optional<FileStats> ended_stats; // and the file's last statistics
  std::optional<Status> failure;        // Fail(): reported until the next Start
  bool auth_sent = false;               // auth headers added after a 401/407
  int stream_fd = -1;                   // the sink, until Start hands a copy to `writer`
  // A started stream download (docs/download.md, "Stream sinks"): the
  // writer copies staging to the sink; `offered` is how far it may read,
  // `drained` that every byte reached the sink (only then Transferred).
  std::unique_ptr<sys::StreamWriter> writer;
  uint64_t offered = 0;
  bool drained = false;
  ~Entry() {
    if (stream_fd >= 0) ::close(stream_fd);
  }
  using P = DownloadProperty;
  bool Stream() const { return Get(P::kStreamInterface) != nullptr; }
  const DownloadValue* Get(P p) const {
    auto it = rec.props.find(static_cast<uint32_t>(p));
    return it == rec.props.end() ? nullptr : &it->second;
  }
  std::string Str(P p) const {
    const DownloadValue* v = Get(p);
    return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
  }
  bool Flag(P p) const {
    const DownloadValue* v = Get(p);
    return v && std::holds_alternative<bool>(*v) && std::get<bool>(*v);
  }
};

}  // namespace ferry::core
