// FsPayloadStore: core::PayloadStore on a sys::FileSystem.
//
// Layout: <dir>/<job id as 32 hex digits>/<file index>.part, directories
// created with mode 0700, files 0600. Every file operation goes through the
// FileSystem given to the constructor, so tests can inject faults or drop
// unsynced data.
//
// Durability: creating a staging file syncs its directory (and the root when
// the job directory is new), so a checkpoint's fdatasync covers both the
// bytes and the name. Deliver() follows the order of architecture.md:
// fdatasync the staging file, rename into place (or copy across file
// systems), fsync the destination directory.
//
// Thread-safety: the FileSystem's; distinct (job, file) pairs may be used from
// different threads, and Deliver runs on a worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/ports.h"
#include "sys/file_system.h"

namespace ferry::store {

class FsPayloadStore final : public core::PayloadStore {
 public:
  // `fs` is not owned and must outlive the store. `dir` is the staging root;
  // it is created (0700) on first use.
  // `delivered_mode`: permission bits a file gets when Deliver() puts it at
  // its local name (staging files are 0600); 0 keeps 0600. ferryd passes
  // 0666 & ~umask, as curl or cp would create the file.
  FsPayloadStore(sys::FileSystem* fs, std::string dir, uint32_t delivered_mode = 0);

  Result<std::shared_ptr<core::StagingFile>> Open(const Guid& job, uint32_t file,
                                                  uint64_t size_hint) override;
  Result<uint64_t> StagedSize(const Guid& job, uint32_t file) override;
  // A missing staging file is OK when `size` is 0 and ERROR_FILE_NOT_FOUND
  // otherwise (truncate never creates data).
  Status Truncate(const Guid& job, uint32_t file, uint64_t size) override;
  Status Remove(const Guid& job, uint32_t file) override;
  // Removes every file in the job's directory, then the directory.
  Status RemoveJob(const Guid& job) override;
  // Directory names that are not 32 hex digits are ignored.
  Result<std::vector<Guid>> ListJobs() override;
  // As core::PayloadStore says, plus:
  //  - the staging file must hold at least `size` bytes (else
  //    ERROR_IO_DEVICE, nothing changed); it is cut to exactly `size` first,
  //    which also releases blocks reserved past the end;
  //  - the data reaches local_name through a hard link
  //    "<local_name>.ferry-tmp-XXXXXXXX" renamed into place; where a link is
  //    impossible (another file system, no hard links) the bytes are copied
  //    to such a temporary file instead. Either way the staging file stays
  //    (the engine removes it once the delivery is committed), so Deliver can
  //    be repeated after a crash;
  //  - on failure the staging file is intact, the delivered content is not at
  //    local_name and no temporary file is left, so Complete can be retried.
  //    A file that was already at local_name survives every failure except
  //    one of the final directory sync (the rename had replaced it).
  Status Deliver(const Guid& job, uint32_t file, const std::string& local_name,
                 uint64_t size) override;
  // Copies into the caller's descriptor (cut to exactly `size`) and
  // fdatasyncs it; the staging file stays.
  Status DeliverToFd(const Guid& job, uint32_t file, int fd, uint64_t size) override;
  // Deliver for each item without its directory sync, then one sync per
  // destination directory. If a directory sync fails, the names delivered
  // into it are removed and *delivered stops before the first of them.
  Status DeliverMany(const Guid& job, std::span<const core::Delivery> items, size_t* delivered) override;
  std::string BootId() override;

  // Paths (tests, diagnostics).
  std::string JobDir(const Guid& job) const;
  std::string StagingPath(const Guid& job, uint32_t file) const override;

 private:
  // Creates the directories of `d.make_dirs_below` that are missing.
  Status MakeDirsFor(const core::Delivery& d);
  Status DeliverOne(const Guid& job, uint32_t file, const std::string& local_name, uint64_t size,
                    bool sync_dir);
  Status DeliverByCopy(sys::File& staging, const std::string& staging_path,
                       const std::string& local_name, const std::string& dest_dir, uint64_t size);

  sys::FileSystem* const fs_;
  uint32_t delivered_mode_ = 0;
  std::string dir_;  // without trailing slash
};

}  // namespace ferry::store
