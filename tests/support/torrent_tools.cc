#include "support/torrent_tools.h"

#include <unistd.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/child_process.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

constexpr std::string_view kPython = "/usr/bin/python3";

std::string Script(const std::string& name) {
#ifdef FERRY_SOURCE_DIR
  return std::string(FERRY_SOURCE_DIR) + "/tests/support/" + name;
#else
  return "tests/support/" + name;
#endif
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Splits "HTTP/1.1 200 OK\r\nName: v\r\n\r\nbody" (after any "100 Continue"
// heads) into *reply.
void ParseReply(const std::string& raw, HttpReply* reply) {
  size_t pos = 0;
  for (;;) {
    size_t end = raw.find("\r\n\r\n", pos);
    if (end == std::string::npos || raw.compare(pos, 5, "HTTP/") != 0) return;
    std::istringstream head(raw.substr(pos, end - pos));
    std::string line, version;
    std::getline(head, line);
    std::istringstream(line) >> version >> reply->status;
    reply->headers.clear();
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      reply->headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = end + 4;
    if (reply->status != 100) break;
  }
  reply->body = raw.substr(pos);
}

}  // namespace

std::vector<std::string> Torrent::TrackerHashes() const {
  std::vector<std::string> hashes;
  if (!v1_hash.empty()) hashes.push_back(v1_hash);
  if (!v2_hash.empty()) hashes.push_back(v2_hash.substr(0, 40));
  return hashes;
}

std::string Torrent::Magnet(const std::string& tracker) const {
  std::string m = "magnet:?";
  if (!v1_hash.empty()) m += "xt=urn:btih:" + v1_hash + "&";
  if (!v2_hash.empty()) m += "xt=urn:btmh:1220" + v2_hash + "&";
  m += "dn=" + name;
  if (!tracker.empty()) {
    std::string enc;
    for (unsigned char c : tracker) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        enc += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        enc += buf;
      }
    }
    m += "&tr=" + enc;
  }
  return m;
}

bool TransmissionCreateAvailable() {
  return ::access("/usr/bin/transmission-create", X_OK) == 0 &&
         ::access("/usr/bin/transmission-show", X_OK) == 0;
}

bool PythonLibtorrentAvailable() {
  RunOptions o;
  o.timeout = std::chrono::seconds(30);
  return RunCommand({std::string(kPython), "-c", "import libtorrent"}, o).exit_code == 0;
}

Status MakeTorrentV1(const std::string& content, const std::string& tracker, const std::string& out,
                     Torrent* torrent) {
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  std::vector<std::string> argv = {"/usr/bin/transmission-create", "-o", out};
  if (!tracker.empty()) argv.insert(argv.end(), {"-t", tracker});
  argv.push_back(content);
  CommandResult r = RunCommand(argv, o);
  if (r.exit_code != 0) return Status(code::kUnexpected, "transmission-create: " + r.Describe());
  r = RunCommand({"/usr/bin/transmission-show", out}, o);
  const size_t at = r.out.find("Hash: ");
  if (r.exit_code != 0 || at == std::string::npos)
    return Status(code::kUnexpected, "transmission-show: " + r.Describe());
  *torrent = Torrent{out, BaseName(content), r.out.substr(at + 6, 40), ""};
  return Status::OK();
}

Status MakeTorrent(TorrentKind kind, const std::string& content, const std::string& tracker,
                   const std::string& out, Torrent* torrent, const std::string& web_seed) {
  const char* k = kind == TorrentKind::kV1 ? "v1" : kind == TorrentKind::kV2 ? "v2" : "hybrid";
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  CommandResult r =
      RunCommand({std::string(kPython), Script("make_torrent.py"), k, content, out, tracker, web_seed},
                 o);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !j.is_object())
    return Status(code::kUnexpected, "make_torrent.py: " + r.Describe());
  *torrent = Torrent{out, BaseName(content), j.value("v1", ""), j.value("v2", "")};
  return Status::OK();
}

Status FetchWithLibtorrent(const std::string& netns, const std::string& address,
                           const Torrent& torrent, const std::string& save_dir,
                           const std::vector<std::string>& peers, std::chrono::seconds timeout,
                           std::string* report) {
  std::vector<std::string> argv = {
      std::string(kPython),           Script("lt_fetch.py"), torrent.path, save_dir, address,
      std::to_string(timeout.count())};
  argv.insert(argv.end(), peers.begin(), peers.end());
  RunOptions o;
  o.netns = netns;
  o.timeout = timeout + std::chrono::seconds(30);
  CommandResult r = RunCommand(argv, o);
  if (report) *report = r.out;
  if (r.exit_code != 0) return Status(code::kUnexpected, "lt_fetch.py: " + r.Describe());
  return Status::OK();
}

HttpReply HttpRequest(const std::string& netns, const std::string& url,
                      const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "-i", "--max-time", "20", "--noproxy", "*", url};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.netns = netns;
  o.timeout = std::chrono::seconds(30);
  CommandResult r = RunCommand(argv, o);
  HttpReply reply;
  ParseReply(r.out, &reply);
  if (reply.status == 0) reply.error = r.Describe();
  return reply;
}

std::string PercentEncodedHash(const std::string& hex40) {
  std::string out;
  for (size_t i = 0; i + 1 < hex40.size(); i += 2) out += "%" + hex40.substr(i, 2);
  return out;
}

}  // namespace ferry::test
