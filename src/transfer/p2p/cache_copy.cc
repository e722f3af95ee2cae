#include "transfer/p2p/cache_copy.h"

#include <memory>

#include "sys/file_system.h"

namespace ferry::transfer {

Status CopyIntoStaging(const std::string& from, const std::string& to, uint64_t size) {
  sys::FileSystem* fs = sys::DefaultFileSystem();
  auto in = fs->Open(from, sys::OpenMode::kRead);
  if (!in.ok()) return in.status();
  auto out = fs->Open(to, sys::OpenMode::kReadWrite);
  if (!out.ok()) return out.status();
  if (Status s = fs->Copy(**in, **out, size); !s.ok()) return s;
  return (*out)->Sync();
}

}  // namespace ferry::transfer
