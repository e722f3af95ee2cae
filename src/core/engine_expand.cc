// A job file that stands for several (FetchHost::ReplaceWithParts): a torrent
// of several files given a directory as its local name (docs/p2p.md,
// "Torrents of several files").
#include <fmt/format.h>

#include <unordered_set>

#include "core/engine_impl.h"
#include "core/fetch.h"
#include "util/log.h"
#include "util/url.h"

namespace ferry::core {

Status Engine::Impl::CheckParts(const RuntimeJob& j, uint32_t file,
                                const std::vector<FilePart>& parts) {
  if (parts.empty()) return Status(code::kInvalidArg, "the torrent has no files");
  if (j.rec.files.size() - 1 + parts.size() > cfg.max_files_per_job)
    return Status(code::kTooManyFilesInJob,
                  fmt::format("the torrent's {} files would make the job {} files; the limit is {}",
                              parts.size(), j.rec.files.size() - 1 + parts.size(),
                              cfg.max_files_per_job));
  const std::string& dir = j.rec.files[file].local_name;
  std::unordered_set<std::string_view> names;
  for (const FilePart& p : parts) {
    if (Status s = ValidateLocalPath(p.local_name); !s.ok()) return s;
    if (p.local_name.compare(0, dir.size(), dir) != 0)
      return Status(code::kInvalidArg, fmt::format("'{}' is not below '{}'", p.local_name, dir));
    if (!names.insert(p.local_name).second || live_names.count(p.local_name))
      return Status(code::kInvalidArg,
                    fmt::format("'{}' is already the local name of a file in a live job",
                                p.local_name));
  }
  return Status::OK();
}

void Engine::Impl::OnFileExpanded(RuntimeJob& j, uint32_t file, std::vector<FilePart> parts) {
  if (Status s = CheckParts(j, file, parts); !s.ok()) {
    OnAttemptFailed(j, ErrorRecord{s.code(), ErrorContext::kLocalFile, static_cast<int32_t>(file),
                                   s.message(), ""},
                    false, std::nullopt);
    return;
  }
  auto record = [](uint32_t index, FilePart& p, const FileRecord& like) {
    FileRecord f;
    f.index = index;
    f.remote_url = std::move(p.remote_url);
    f.local_name = std::move(p.local_name);
    f.bytes_total = p.size;
    f.stats.background = like.stats.background;
    return f;
  };
  FileRecord& placeholder = j.rec.files[file];
  DropLiveName(placeholder.local_name);
  FileStats counted = placeholder.stats;  // bytes of the metadata exchange, if any
  placeholder = record(file, parts[0], placeholder);
  placeholder.stats.total_bytes_downloaded = counted.total_bytes_downloaded;
  j.files_rt[file].generation++;
  j.files_rt[file].durable = 0;
  MarkFileDirty(j, file);
  AddLiveName(placeholder.local_name);
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto index = static_cast<uint32_t>(j.rec.files.size());
    j.rec.files.push_back(record(index, parts[i], j.rec.files[file]));
    j.files_rt.push_back(FileRuntime{});
    MarkFileDirty(j, index);
    AddLiveName(j.rec.files.back().local_name);
  }
  log::Info("job {} file {} is a torrent of {} files", j.rec.id.ToString(), file, parts.size());
  Touch(j);
  StartNextFile(j);
}

}  // namespace ferry::core
