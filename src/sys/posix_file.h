// PosixFile: the real Linux File behind sys::FileSystem, a thin owner of one
// file descriptor. Internal to sys: only file_system.cc creates them, and its
// Copy() looks for them (dynamic_cast) to use copy_file_range on the fds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "sys/file_system.h"

namespace ferry::sys {

class PosixFile final : public File {
 public:
  // Takes ownership of `fd` (closed in the destructor). `path` is only used in
  // error messages.
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override;
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  Status Write(uint64_t offset, std::span<const std::byte> data) override;
  Result<size_t> Read(uint64_t offset, std::span<std::byte> out) override;
  Status Sync() override;
  Status Preallocate(uint64_t offset, uint64_t length) override;
  Status Truncate(uint64_t size) override;
  Status SetMode(uint32_t mode) override;
  Result<uint64_t> Size() override;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace ferry::sys
