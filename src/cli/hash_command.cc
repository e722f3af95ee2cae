// ferry hash FILE...: each file's content id (docs/content-id.md), computed
// here with the SDK; the service is not asked. With --info-hash: the
// info-hash trackers see for the content in a group (docs/peering.md "Group
// mode and trackers"), of each FILE or of a content id given with
// --content-id. One file prints the bare value (for $(...)); several print
// "VALUE  FILE" lines as sha256sum does (--json: an array), go on past a
// file that fails (its error on stderr) and then exit 1.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/verbs.h"
#include "ferry/content_id.h"

namespace ferry::cli {
namespace {

struct HashArgs {
  std::vector<std::string> paths;
  std::string content_id;  // instead of a file
  std::string group;
  bool info_hash = false;
};

// The id of `path` (or of a.content_id when path is empty) and, with
// --info-hash, the tracker's info-hash, as one JSON object.
Status HashOne(const HashArgs& a, const std::string& path, nlohmann::json* out) {
  std::string id = a.content_id;
  if (!path.empty()) {
    if (Status s = ContentIdOfFile(path, &id); !s.ok()) return s;
  } else if (Status s = ValidateContentId(id); !s.ok()) {
    return s;
  }
  *out = {{"content_id", id}};
  if (!path.empty()) (*out)["file"] = path;
  if (!a.info_hash) return Status::OK();
  std::string v2;
  if (Status s = ContentInfoHash(id, a.group, &v2); !s.ok()) return s;
  (*out)["group"] = a.group;
  (*out)["info_hash_v2"] = v2;
  (*out)["tracker_info_hash"] = v2.substr(0, 40);
  return Status::OK();
}

std::string Value(const HashArgs& a, const nlohmann::json& j) {
  return j[a.info_hash ? "tracker_info_hash" : "content_id"].get<std::string>();
}

int CmdHash(const Globals& g, const HashArgs& a) {
  if (a.paths.empty() && a.content_id.empty())
    throw CLI::RequiredError("hash: a FILE or --content-id ID");
  if (a.paths.size() <= 1) {
    std::string path = a.paths.empty() ? "" : a.paths[0];
    nlohmann::json j;
    if (Status s = HashOne(a, path, &j); !s.ok())
      return Fail(g, s, "hash" + (path.empty() ? "" : " " + path));
    std::printf("%s\n", g.json ? j.dump().c_str() : Value(a, j).c_str());
    return kOk;
  }
  Globals text = g;  // a failed file's error goes to stderr only
  text.json = false;
  int exit = kOk;
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& path : a.paths) {
    nlohmann::json j;
    if (Status s = HashOne(a, path, &j); !s.ok()) {
      exit = Fail(text, s, "hash " + path);
      continue;
    }
    if (g.json)
      all.push_back(std::move(j));
    else
      std::printf("%s  %s\n", Value(a, j).c_str(), path.c_str());
    std::fflush(stdout);
  }
  if (g.json) std::printf("%s\n", all.dump(2).c_str());
  return exit;
}

}  // namespace

void AddHashVerb(Verbs& v) {
  auto a = std::make_shared<HashArgs>();
  auto* c = v.app.add_subcommand(
      "hash",
      "print each FILE's content id (its BitTorrent v2 pieces root and size), for --content-id");
  auto* file = c->add_option("file", a->paths, "the files (several: 'ID  FILE' lines)");
  auto* id = c->add_option("--content-id", a->content_id,
                           "a content id instead of a FILE (with --info-hash)");
  auto* info =
      c->add_flag("--info-hash", a->info_hash,
                  "print instead the info-hash trackers see for the content (40 hex digits: the v2 "
                  "info-hash truncated, as BitTorrent v2 announces it), for a tracker's whitelist");
  c->add_option("--group", a->group, "the group id of Group mode (with --info-hash)")->needs(info);
  file->excludes(id);
  id->needs(info);
  c->callback(v.Run([&g = v.globals, a] { return CmdHash(g, *a); }));
}

}  // namespace ferry::cli
