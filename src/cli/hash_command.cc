// ferry hash FILE: the file's content id (docs/content-id.md), computed
// here with the SDK; the service is not asked. With --info-hash: the
// info-hash trackers see for the content in a group (docs/peering.md "Group
// mode and trackers"), of FILE or of a content id given with --content-id.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/verbs.h"
#include "ferry/content_id.h"

namespace ferry::cli {
namespace {

struct HashArgs {
  std::string path;
  std::string content_id;  // instead of a file
  std::string group;
  bool info_hash = false;
};

int CmdHash(const Globals& g, const HashArgs& a) {
  if (a.path.empty() && a.content_id.empty())
    throw CLI::RequiredError("hash: a FILE or --content-id ID");
  std::string id = a.content_id;
  if (!a.path.empty()) {
    if (Status s = ContentIdOfFile(a.path, &id); !s.ok()) return Fail(g, s, "hash " + a.path);
  } else if (Status s = ValidateContentId(id); !s.ok()) {
    return Fail(g, s, "hash");
  }
  std::string v2;
  if (a.info_hash)
    if (Status s = ContentInfoHash(id, a.group, &v2); !s.ok()) return Fail(g, s, "hash");
  if (g.json) {
    nlohmann::json j = {{"content_id", id}};
    if (!a.path.empty()) j["file"] = a.path;
    if (a.info_hash) {
      j["group"] = a.group;
      j["info_hash_v2"] = v2;
      j["tracker_info_hash"] = v2.substr(0, 40);
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", a.info_hash ? v2.substr(0, 40).c_str() : id.c_str());
  }
  return kOk;
}

}  // namespace

void AddHashVerb(Verbs& v) {
  auto a = std::make_shared<HashArgs>();
  auto* c = v.app.add_subcommand(
      "hash", "print FILE's content id (its BitTorrent v2 pieces root and size), for --content-id");
  auto* file = c->add_option("file", a->path, "the file");
  auto* id = c->add_option("--content-id", a->content_id,
                           "a content id instead of a FILE (with --info-hash)");
  auto* info = c->add_flag(
      "--info-hash", a->info_hash,
      "print instead the info-hash trackers see for the content (40 hex digits: the v2 "
      "info-hash truncated, as BitTorrent v2 announces it), for a tracker's whitelist");
  c->add_option("--group", a->group, "the group id of Group mode (with --info-hash)")->needs(info);
  file->excludes(id);
  id->needs(info);
  c->callback(v.Run([&g = v.globals, a] { return CmdHash(g, *a); }));
}

}  // namespace ferry::cli
