#include "support/transmission_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "support/free_port.h"
#include "support/netns.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr std::chrono::seconds kStopTimeout{5};

json Settings(const TransmissionOptions& o, const std::string& download_dir) {
  return json{{"bind-address-ipv4", o.address},
              {"bind-address-ipv6", "::1"},
              {"peer-port", o.peer_port},
              {"peer-port-random-on-start", false},
              {"rpc-port", o.rpc_port},
              {"rpc-bind-address", o.address},
              {"rpc-enabled", true},
              {"rpc-authentication-required", false},
              {"rpc-whitelist-enabled", false},
              {"rpc-host-whitelist-enabled", false},
              {"dht-enabled", false},
              {"lpd-enabled", false},
              {"pex-enabled", false},
              {"utp-enabled", false},
              {"port-forwarding-enabled", false},
              {"blocklist-enabled", false},
              {"download-dir", download_dir},
              {"incomplete-dir-enabled", false},
              {"ratio-limit-enabled", false},
              {"idle-seeding-limit-enabled", false},
              {"speed-limit-up-enabled", false},
              {"speed-limit-down-enabled", false},
              {"download-queue-enabled", false},
              {"seed-queue-enabled", false},
              {"start-added-torrents", true},
              {"message-level", 2}};
}

}  // namespace

TransmissionFixture::TransmissionFixture() = default;
TransmissionFixture::~TransmissionFixture() { Stop(); }

bool TransmissionFixture::Available() { return ::access(std::string(kPath).c_str(), X_OK) == 0; }

std::string TransmissionFixture::download_dir() const {
  return dir_ ? dir_->Path("downloads") : "";
}

std::string TransmissionFixture::Log() const {
  return dir_ ? ReadFile(dir_->Path("daemon.log")).value_or("") : "";
}

std::string TransmissionFixture::RpcUrl() const {
  return "http://" + options_.address + ":" + std::to_string(options_.rpc_port) +
         "/transmission/rpc";
}

Status TransmissionFixture::Start(const TransmissionOptions& options) {
  if (child_.running()) return Status(code::kInvalidArg, "transmission-daemon already started");
  if (!Available()) return ErrnoStatus(ENOENT, std::string(kPath));
  options_ = options;
  const bool here = options.netns.empty();
  if (!options_.peer_port) options_.peer_port = here ? PickFreePort() : 51413;
  if (!options_.rpc_port) options_.rpc_port = here ? PickFreePort() : 9091;
  dir_ = std::make_unique<TempDir>("ferry-transmission");
  if (!dir_->ok()) return ErrnoStatus(errno, "mkdtemp");
  ::mkdir(download_dir().c_str(), 0755);
  const std::string settings = dir_->Path("settings.json");
  if (!WriteFile(settings, Settings(options_, download_dir()).dump(2)))
    return ErrnoStatus(errno, "write " + settings);
  const std::string log = dir_->Path("daemon.log");
  SpawnOptions so;
  so.output_path = log;
  so.netns = options.netns;
  Status s = child_.Spawn({std::string(kPath), "-f", "-g", dir_->path(), "--log-info"}, so);
  if (!s.ok()) return s;
  session_id_.clear();
  const auto deadline = Clock::now() + kStartTimeout;
  while (!(s = Rpc("session-get", json::object())).ok()) {
    if (child_.Exited() || Clock::now() >= deadline) {
      std::string text = Log();
      Stop();
      return Status(code::kUnexpected,
                    "transmission-daemon did not answer RPC: " + s.ToString() + "; log: " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::OK();
}

Status TransmissionFixture::Rpc(const std::string& method, const json& arguments, json* result) {
  const std::string body = json{{"method", method}, {"arguments", arguments}}.dump();
  HttpReply r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    r = HttpRequest(options_.netns, RpcUrl(),
                    {"-H", "X-Transmission-Session-Id: " + session_id_, "--data-binary", body});
    if (r.status != 409) break;
    session_id_ = r.headers["x-transmission-session-id"];
  }
  if (r.status != 200)
    return Status(code::kUnexpected, method + ": HTTP " + std::to_string(r.status) + " " + r.error +
                                         r.body.substr(0, 500));
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || j.value("result", "") != "success")
    return Status(code::kUnexpected, method + ": " + r.body.substr(0, 500));
  if (result) *result = j.value("arguments", json::object());
  return Status::OK();
}

Status TransmissionFixture::AddTorrent(const std::string& torrent_path,
                                       const std::string& download_dir, std::string* hash) {
  json args = {{"filename", torrent_path}, {"paused", false}};
  if (!download_dir.empty()) args["download-dir"] = download_dir;
  json result;
  if (Status s = Rpc("torrent-add", args, &result); !s.ok()) return s;
  const json& added = result.contains("torrent-added") ? result["torrent-added"]
                                                       : result.value("torrent-duplicate", json());
  if (!added.is_object())
    return Status(code::kUnexpected, "torrent-add rejected " + torrent_path + ": " + result.dump());
  if (hash) *hash = added.value("hashString", "");
  return Status::OK();
}

Status TransmissionFixture::Get(const std::string& hash, TransmissionTorrent* t) {
  json args = {{"ids", json::array({hash})},
               {"fields",
                {"hashString", "percentDone", "status", "error", "errorString", "peersConnected",
                 "uploadedEver"}}};
  json result;
  if (Status s = Rpc("torrent-get", args, &result); !s.ok()) return s;
  const json& list = result.value("torrents", json::array());
  if (list.empty()) return Status(code::kUnexpected, "transmission has no torrent " + hash);
  const json& j = list[0];
  t->hash = j.value("hashString", "");
  t->percent_done = j.value("percentDone", 0.0);
  t->status = j.value("status", 0);
  t->error = j.value("error", 0);
  t->error_string = j.value("errorString", "");
  t->peers_connected = j.value("peersConnected", 0);
  t->uploaded = j.value("uploadedEver", uint64_t{0});
  return Status::OK();
}

Status TransmissionFixture::WaitForSeeding(const std::string& hash,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  TransmissionTorrent t;
  for (;;) {
    Status s = Get(hash, &t);
    if (!s.ok()) return s;
    if (t.error != 0)
      return Status(code::kUnexpected, "transmission: torrent error " + std::to_string(t.error) +
                                           ": " + t.error_string);
    if (t.percent_done >= 1.0 && (t.status == 5 || t.status == 6)) return Status::OK();
    if (Clock::now() >= deadline)
      return Status(code::kUnexpected,
                    "transmission: torrent " + hash + " at " + std::to_string(t.percent_done) +
                        ", status " + std::to_string(t.status) + ", " +
                        std::to_string(t.peers_connected) + " peers, after the timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void TransmissionFixture::Stop() {
  child_.Terminate(kStopTimeout);
  session_id_.clear();
  dir_.reset();
}

}  // namespace ferry::test
