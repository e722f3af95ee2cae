#include "ferry/content_id.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "lib/crypto/pieces_root.h"
#include "util/content_id.h"
#include "util/status_codes.h"

namespace ferry {

Status ContentIdOfFile(const std::string& path, std::string* id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(code::kInvalidArg, path + " is not a regular file");
  }
  crypto::PiecesRoot root;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      Status s = ErrnoStatus(errno, "read " + path);
      ::close(fd);
      return s;
    }
    if (got == 0) break;
    root.Update(std::span(buf.data(), static_cast<size_t>(got)));
  }
  ::close(fd);
  uint64_t size = root.size();
  *id = FormatContentId({size, root.FinalHex()});
  return Status::OK();
}

Status ValidateContentId(std::string_view id) {
  auto parsed = ParseContentId(id);
  return parsed.ok() ? Status::OK() : parsed.status();
}

}  // namespace ferry
