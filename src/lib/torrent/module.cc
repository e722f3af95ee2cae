#include "lib/torrent/module.h"

#include <filesystem>
#include <mutex>

#include "sys/shared_library.h"

namespace ferry::torrent {

namespace {
std::once_flag g_once;
CreateSessionFn g_create = nullptr;
Status g_status;
}  // namespace

std::string InstalledModulePath() {
  // Beside the running program first, so that an install under another
  // prefix (cmake --install --prefix DIR) finds its own module.
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path beside = exe.parent_path() / FERRY_TORRENT_MODULE_FROM_BINDIR;
    if (std::filesystem::exists(beside, ec)) return beside.lexically_normal().string();
  }
  return FERRY_TORRENT_MODULE_INSTALLED;
}

Status LoadModule(const std::string& path) {
  std::call_once(g_once, [&path] {
    CreateSessionFn create = nullptr;
    const sys::Symbol symbols[] = {{kCreateSessionSymbol, reinterpret_cast<void**>(&create)}};
    g_status = sys::LoadLibrary(path.c_str(), symbols);
    if (g_status.ok()) g_create = create;
  });
  return g_status;
}

Result<std::unique_ptr<Session>> CreateSession(const SessionSettings& settings,
                                               const std::string& path) {
  if (Status s = LoadModule(path); !s.ok()) return s;
  std::string error;
  Session* session = g_create(kModuleAbiVersion, &settings, &error);
  if (session == nullptr) return Status(code::kUnexpected, "torrent session: " + error);
  return std::unique_ptr<Session>(session);
}

const char* StateName(TorrentState state) {
  switch (state) {
    case TorrentState::kAdding:
      return "adding";
    case TorrentState::kCheckingResumeData:
      return "checking_resume_data";
    case TorrentState::kCheckingFiles:
      return "checking_files";
    case TorrentState::kDownloadingMetadata:
      return "downloading_metadata";
    case TorrentState::kDownloading:
      return "downloading";
    case TorrentState::kFinished:
      return "finished";
    case TorrentState::kSeeding:
      return "seeding";
  }
  return "unknown";
}

}  // namespace ferry::torrent
