// ferry hash FILE: the file's content id (docs/content-id.md), computed
// here with the SDK; the service is not asked.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/verbs.h"
#include "ferry/content_id.h"

namespace ferry::cli {
namespace {

int CmdHash(const Globals& g, const std::string& path) {
  std::string id;
  if (Status s = ContentIdOfFile(path, &id); !s.ok()) return Fail(g, s, "hash " + path);
  if (g.json) {
    nlohmann::json j = {{"file", path}, {"content_id", id}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", id.c_str());
  }
  return kOk;
}

}  // namespace

void AddHashVerb(Verbs& v) {
  auto path = std::make_shared<std::string>();
  auto* c = v.app.add_subcommand(
      "hash", "print FILE's content id (its BitTorrent v2 pieces root and size), for --content-id");
  c->add_option("file", *path, "the file")->required();
  c->callback(v.Run([&g = v.globals, path] { return CmdHash(g, *path); }));
}

}  // namespace ferry::cli
