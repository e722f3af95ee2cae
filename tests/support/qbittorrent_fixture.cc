#include "support/qbittorrent_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/free_port.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr std::chrono::seconds kStopTimeout{5};

bool Matches(const QbittorrentTorrent& t, const std::string& hash) {
  for (const std::string* h : {&t.hash, &t.infohash_v1, &t.infohash_v2})
    if (!h->empty() && (*h == hash || h->substr(0, 40) == hash)) return true;
  return false;
}

}  // namespace

QbittorrentFixture::QbittorrentFixture() = default;
QbittorrentFixture::~QbittorrentFixture() { Stop(); }

bool QbittorrentFixture::Available() { return ::access(std::string(kPath).c_str(), X_OK) == 0; }

std::string QbittorrentFixture::download_dir() const { return dir_ ? dir_->Path("downloads") : ""; }

std::string QbittorrentFixture::Log() const {
  return dir_ ? ReadFile(dir_->Path("qbittorrent.out")).value_or("") : "";
}

std::string QbittorrentFixture::ApiUrl(const std::string& path) const {
  return "http://" + options_.address + ":" + std::to_string(options_.webui_port) + "/api/v2/" +
         path;
}

std::string QbittorrentFixture::Config() const {
  std::ostringstream c;
  c << "[LegalNotice]\nAccepted=true\n\n"
    << "[BitTorrent]\n"
    << "Session\\Port=" << options_.peer_port << "\n"
    << "Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
    << "Session\\QueueingSystemEnabled=false\nSession\\TempPathEnabled=false\n"
    << "Session\\DefaultSavePath=" << download_dir() << "\n"
    // Every peer of a test is on one address: one peer per address (the
    // default) makes qBittorrent refuse them all (qbittorrent_fixture.h).
    << "Session\\MultiConnectionsPerIp=true\n"
    << "Session\\InterfaceAddress=" << options_.address << "\n\n"
    << "[Network]\nPortForwardingEnabled=false\n\n"
    << "[Preferences]\n"
    << "General\\UseRandomPort=false\nConnection\\UPnP=false\n"
    << "WebUI\\Enabled=true\n"
    << "WebUI\\Address=" << options_.address << "\n"
    << "WebUI\\Port=" << options_.webui_port << "\n"
    << "WebUI\\LocalHostAuth=false\n"
    << "WebUI\\AuthSubnetWhitelistEnabled=true\nWebUI\\AuthSubnetWhitelist=0.0.0.0/0\n"
    << "WebUI\\CSRFProtection=false\nWebUI\\HostHeaderValidation=false\n"
    << "WebUI\\ClickjackingProtection=false\nWebUI\\UseUPnP=false\n";
  return c.str();
}

Status QbittorrentFixture::Start(const QbittorrentOptions& options) {
  if (child_.running()) return Status(code::kInvalidArg, "qbittorrent-nox already started");
  if (!Available()) return ErrnoStatus(ENOENT, std::string(kPath));
  options_ = options;
  const bool here = options.netns.empty();
  if (!options_.peer_port) options_.peer_port = here ? PickFreePort() : 6881;
  if (!options_.webui_port) options_.webui_port = here ? PickFreePort() : 8080;
  dir_ = std::make_unique<TempDir>("ferry-qbittorrent");
  if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
  ::mkdir(download_dir().c_str(), 0755);
  for (const char* sub : {"/qBittorrent", "/qBittorrent/config"})
    ::mkdir((dir_->path() + sub).c_str(), 0755);
  const std::string conf = dir_->Path("qBittorrent/config/qBittorrent.conf");
  if (!WriteFile(conf, Config())) return ErrnoStatus(errno, "write " + conf);
  const std::string out = dir_->Path("qbittorrent.out");
  SpawnOptions so;
  so.output_path = out;
  so.netns = options.netns;
  // Its own HOME: nothing of the machine's user profile is read or written.
  so.env = {{"HOME", dir_->path()}, {"XDG_CONFIG_HOME", dir_->Path("xdg")}};
  Status s = child_.Spawn({std::string(kPath), "--profile=" + dir_->path()}, so);
  if (!s.ok()) return s;
  const auto deadline = Clock::now() + kStartTimeout;
  for (;;) {
    HttpReply r = HttpRequest(options_.netns, ApiUrl("app/version"));
    if (r.status == 200) return Status::OK();
    if (child_.Exited() || Clock::now() >= deadline) {
      std::string log = Log();
      Stop();
      return Status(code::kUnexpected,
                    "qbittorrent-nox's WebUI did not answer: " + r.error + "; output: " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status QbittorrentFixture::AddTorrent(const std::string& torrent_path, const std::string& save_path,
                                      bool skip_checking) {
  std::vector<std::string> args = {"-F", "torrents=@" + torrent_path};
  if (!save_path.empty()) args.insert(args.end(), {"-F", "savepath=" + save_path});
  if (skip_checking) args.insert(args.end(), {"-F", "skip_checking=true"});
  HttpReply r = HttpRequest(options_.netns, ApiUrl("torrents/add"), args);
  if (r.status != 200 || r.body.find("Ok.") == std::string::npos)
    return Status(code::kUnexpected, "torrents/add " + torrent_path + ": HTTP " +
                                         std::to_string(r.status) + " " + r.error + r.body);
  return Status::OK();
}

Status QbittorrentFixture::AddPeer(const std::string& hash, const std::string& peer) {
  QbittorrentTorrent t;
  if (Status s = Get(hash, &t); !s.ok()) return s;
  HttpReply r =
      HttpRequest(options_.netns, ApiUrl("torrents/addPeers"),
                  {"--data-urlencode", "hashes=" + t.hash, "--data-urlencode", "peers=" + peer});
  if (r.status != 200)
    return Status(code::kUnexpected,
                  "torrents/addPeers: HTTP " + std::to_string(r.status) + " " + r.error + r.body);
  return Status::OK();
}

Status QbittorrentFixture::Get(const std::string& hash, QbittorrentTorrent* torrent) {
  HttpReply r = HttpRequest(options_.netns, ApiUrl("torrents/info"));
  json list = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !list.is_array())
    return Status(code::kUnexpected, "torrents/info: HTTP " + std::to_string(r.status) + " " +
                                         r.error + r.body.substr(0, 500));
  for (const json& j : list) {
    QbittorrentTorrent t;
    t.hash = j.value("hash", "");
    t.infohash_v1 = j.value("infohash_v1", "");
    t.infohash_v2 = j.value("infohash_v2", "");
    if (!Matches(t, hash)) continue;
    t.progress = j.value("progress", 0.0);
    t.state = j.value("state", "");
    t.downloaded = j.value("downloaded", uint64_t{0});
    t.uploaded = j.value("uploaded", uint64_t{0});
    *torrent = t;
    return Status::OK();
  }
  return Status(code::kUnexpected, "qBittorrent has no torrent " + hash);
}

Status QbittorrentFixture::WaitForSeeding(const std::string& hash,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  QbittorrentTorrent t;
  for (;;) {
    Status s = Get(hash, &t);
    if (!s.ok()) return s;
    if (t.state == "error" || t.state == "missingFiles")
      return Status(code::kUnexpected, "qBittorrent: torrent " + hash + " is " + t.state);
    const bool seeding = t.state == "uploading" || t.state == "stalledUP" ||
                         t.state == "queuedUP" || t.state == "forcedUP";
    if (t.progress >= 1.0 && seeding) return Status::OK();
    if (Clock::now() >= deadline)
      return Status(code::kUnexpected, "qBittorrent: torrent " + hash + " at " +
                                           std::to_string(t.progress) + ", " + t.state +
                                           ", after the timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void QbittorrentFixture::Stop() {
  child_.Terminate(kStopTimeout);
  dir_.reset();
}

}  // namespace ferry::test
