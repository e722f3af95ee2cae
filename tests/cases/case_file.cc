#include "cases/case_file.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "lib/crypto/pieces_root.h"
#include "support/temp_dir.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

// The origin's content for a version (1 = the case's "content", 2, 3 ...:
// other versions of the same size).
std::string Content(const json& c, int version) {
  uint64_t size = c["content"]["size"].get<uint64_t>();
  uint64_t seed = c["content"].value("seed", 1) + static_cast<uint64_t>(version - 1) * 1000;
  return test::RandomBytes(size, seed);
}

void EraseHeader(std::vector<std::pair<std::string, std::string>>& headers, const char* name) {
  std::erase_if(headers, [&](auto& h) { return strcasecmp(h.first.c_str(), name) == 0; });
}

void ShiftContentRange(OriginReply& out, long long shift) {
  for (auto& h : out.headers) {
    if (strcasecmp(h.first.c_str(), "Content-Range") != 0) continue;
    unsigned long long a, b, t;
    if (sscanf(h.second.c_str(), "bytes %llu-%llu/%llu", &a, &b, &t) == 3)
      h.second = "bytes " + std::to_string(a + shift) + "-" + std::to_string(b + shift) + "/" +
                 std::to_string(t);
  }
}

OriginReply Serve(const json& s, const OriginRequest& req, const json& c) {
  int version = s.value("version", 1);
  OriginRequest q = req;
  if (s.value("ignore_range", false)) EraseHeader(q.headers, "Range");
  OriginReply out = test::ServeBytes(
      q, Content(c, version), s.value("etag", std::string("\"v") + std::to_string(version) + "\""),
      s.value("last_modified", std::string(test::kOriginLastModified)));
  if (s.contains("content_range_shift"))
    ShiftContentRange(out, s["content_range_shift"].get<long long>());
  if (s.value("chunked", false)) {
    out.chunked = true;
    out.auto_content_length = false;
    EraseHeader(out.headers, "Content-Length");
  }
  if (s.contains("content_length")) {
    out.auto_content_length = false;
    EraseHeader(out.headers, "Content-Length");
    out.headers.push_back({"Content-Length", std::to_string(s["content_length"].get<uint64_t>())});
  }
  return out;
}

OriginReply MakeReply(const json& r, const OriginRequest& req, const json& c) {
  OriginReply out;
  if (r.contains("redirect")) {
    out.status = r.value("status", 302);
    out.headers.push_back({"Location", r["redirect"].get<std::string>()});
    return out;
  }
  if (r.contains("serve")) {
    out = Serve(r["serve"], req, c);
  } else {
    out.status = r.value("status", 200);
    out.body = r.value("body", std::string());
  }
  if (r.contains("headers"))
    for (auto& [k, v] : r["headers"].items()) out.headers.push_back({k, v.get<std::string>()});
  if (r.contains("cut_after")) out.cut_after = r["cut_after"].get<size_t>();
  out.stall = r.value("stall", false);
  out.reset = r.value("reset", false);
  if (r.contains("raw")) out.raw = r["raw"].get<std::string>();
  return out;
}

std::optional<JobState> StateByName(const std::string& name) {
  for (uint32_t s = 0; s <= 8; ++s)
    if (JobStateName(static_cast<JobState>(s)) == name) return static_cast<JobState>(s);
  return std::nullopt;
}

}  // namespace

std::string ModeName(Mode mode) {
  switch (mode) {
    case Mode::kInProcess:
      return "InProcess";
    case Mode::kDaemon:
      return "Daemon";
    case Mode::kFaultFs:
      return "FaultFs";
  }
  return "?";
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(std::string(FERRY_SOURCE_DIR) + "/tests/cases/data"))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string CaseName(const std::string& path) {
  std::string n = fs::path(path).stem().string();
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

Case LoadCase(const std::string& path) {
  Case c;
  c.path = path;
  std::ifstream in(path);
  c.doc = json::parse(in);
  c.file_path = c.doc["file"].value("path", std::string("/f"));
  auto want = StateByName(c.doc["expect"]["state"].get<std::string>());
  EXPECT_TRUE(want.has_value()) << "unknown expect.state in " << path;
  c.want = want.value_or(JobState::kError);
  c.content1 = Content(c.doc, 1);
  return c;
}

std::optional<std::string> SkipReason(const Case& c, Mode mode) {
  if (!c.doc.contains("skip_modes")) return std::nullopt;
  const json& s = c.doc["skip_modes"];
  if (!s.contains(ModeName(mode))) return std::nullopt;
  return s[ModeName(mode)].get<std::string>();
}

std::unique_ptr<test::ScriptedOrigin> StartOrigin(const Case& c) {
  // Routes: path -> replies; shared with the origin's threads.
  struct Script {
    std::mutex mu;
    std::map<std::string, json> routes;
    std::map<std::string, size_t> seen;
  };
  auto script = std::make_shared<Script>();
  if (c.doc.contains("routes"))
    for (auto& [k, v] : c.doc["routes"].items()) script->routes[k] = v;
  if (c.doc.contains("replies")) script->routes[c.file_path] = c.doc["replies"];
  json doc = c.doc;
  auto origin = std::make_unique<test::ScriptedOrigin>([script, doc](const OriginRequest& req) {
    std::string p = req.target.substr(0, req.target.find('?'));
    json reply;
    {
      std::lock_guard lock(script->mu);
      auto it = script->routes.find(p);
      if (it == script->routes.end()) {
        OriginReply nf;
        nf.status = 404;
        return nf;
      }
      size_t i = script->seen[p]++;
      reply = it->second[std::min(i, it->second.size() - 1)];
    }
    return MakeReply(reply, req, doc);
  });
  std::lock_guard lock(script->mu);
  for (auto& [p, rs] : script->routes)
    for (auto& r : rs)
      if (r.contains("redirect") && r["redirect"].get<std::string>().rfind("/", 0) == 0)
        r["redirect"] = origin->Url(r["redirect"].get<std::string>());
  return origin;
}

CaseFile FileOf(const Case& c, const test::ScriptedOrigin& origin) {
  const json& file = c.doc["file"];
  CaseFile f;
  f.url = origin.Url(file.value("url_path", c.file_path));
  if (file.contains("ranges"))
    for (auto& r : file["ranges"]) {
      uint64_t len = r[1].is_string() && r[1] == "eof" ? kLengthToEof : r[1].get<uint64_t>();
      f.ranges.push_back({r[0].get<uint64_t>(), len});
    }
  if (file.contains("file_size")) f.file_size = file["file_size"].get<uint64_t>();
  if (file.value("sha256", std::string()) == "content") f.sha256 = test::Sha256Hex(c.content1);
  if (file.value("sha256", std::string()) == "wrong") f.sha256 = std::string(64, '0');
  // "content": the id of version 1; "wrong": the size of version 1 with
  // version 2's root; "wrong_size": version 1's root with one byte more.
  if (std::string id = file.value("content_id", std::string()); !id.empty()) {
    auto root = [](const std::string& b) {
      return crypto::PiecesRootHex(std::as_bytes(std::span(b.data(), b.size())));
    };
    uint64_t size = c.content1.size();
    if (id == "content") f.content_id = FormatContentId({size, root(c.content1)});
    if (id == "wrong") f.content_id = FormatContentId({size, root(Content(c.doc, 2))});
    if (id == "wrong_size") f.content_id = FormatContentId({size + 1, root(c.content1)});
    EXPECT_TRUE(f.content_id.has_value()) << "content_id: " << id;
  }
  return f;
}

std::string ExpectedContent(const Case& c) {
  const json& expect = c.doc["expect"];
  std::string vcontent = Content(c.doc, expect.value("content_version", 1));
  const json& file = c.doc["file"];
  if (!file.contains("ranges")) return vcontent.substr(0, expect.value("bytes", vcontent.size()));
  std::string out;
  for (auto& r : file["ranges"]) {
    uint64_t off = r[0].get<uint64_t>();
    uint64_t len = r[1].is_string() ? vcontent.size() - off : r[1].get<uint64_t>();
    out += vcontent.substr(off, len);
  }
  return out;
}

std::optional<uint64_t> KillAfterBytes(const Case& c) {
  if (!c.doc.contains("actions") || !c.doc["actions"].contains("kill_after_bytes"))
    return std::nullopt;
  return c.doc["actions"]["kill_after_bytes"].get<uint64_t>();
}

namespace {

void CheckRequests(const json& er, const std::vector<OriginRequest>& reqs) {
  ASSERT_GE(reqs.size(), er.size());
  for (size_t i = 0; i < er.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    if (er[i].contains("path")) {
      EXPECT_EQ(reqs[i].target, er[i]["path"].get<std::string>());
    }
    if (er[i].contains("range")) {
      if (er[i]["range"].is_null()) {
        EXPECT_FALSE(reqs[i].HasHeader("Range")) << reqs[i].Header("Range");
      } else {
        EXPECT_EQ(reqs[i].Header("Range"), er[i]["range"].get<std::string>());
      }
    }
    if (er[i].contains("range_from_at_least")) {
      unsigned long long from = 0;
      ASSERT_EQ(sscanf(reqs[i].Header("Range").c_str(), "bytes=%llu-", &from), 1)
          << reqs[i].Header("Range");
      EXPECT_GE(from, er[i]["range_from_at_least"].get<uint64_t>());
      EXPECT_GT(from, 0u);
    }
    if (er[i].contains("if_range")) {
      EXPECT_EQ(reqs[i].Header("If-Range"), er[i]["if_range"].get<std::string>());
    }
  }
}

}  // namespace

void CheckOutcome(const Case& c, const Outcome& o, const std::vector<OriginRequest>& reqs) {
  const json& expect = c.doc["expect"];
  ASSERT_EQ(o.state, c.want) << "ended in " << JobStateName(o.state);
  if (expect.contains("code")) {
    ASSERT_TRUE(o.code.has_value());
    uint32_t code =
        static_cast<uint32_t>(std::stoul(expect["code"].get<std::string>(), nullptr, 16));
    EXPECT_EQ(static_cast<uint32_t>(*o.code), code) << Status(*o.code, "").ToString();
  }
  if (expect.contains("context")) {
    ASSERT_TRUE(o.context.has_value());
    EXPECT_EQ(ErrorContextName(*o.context), expect["context"].get<std::string>());
  }
  if (expect.contains("error_count")) {
    EXPECT_EQ(o.error_count, expect["error_count"].get<uint32_t>());
  }
  if (expect.contains("min_retry_after_s") && o.retry_after_s) {
    EXPECT_GE(*o.retry_after_s, expect["min_retry_after_s"].get<int64_t>());
  }
  std::string expected = c.want == JobState::kTransferred ? ExpectedContent(c) : std::string();
  if (expect.contains("bytes_transferred")) {
    EXPECT_EQ(o.bytes_transferred, expect["bytes_transferred"].get<uint64_t>());
  } else if (c.want == JobState::kTransferred) {
    EXPECT_EQ(o.bytes_transferred, expected.size());
  }
  if (expect.contains("request_count")) {
    EXPECT_EQ(reqs.size(), expect["request_count"].get<size_t>());
  }
  if (expect.contains("requests")) CheckRequests(expect["requests"], reqs);
  if (c.want == JobState::kTransferred) {
    EXPECT_FALSE(o.delivered_before_complete) << "data at the local name before Complete";
    ASSERT_TRUE(o.delivered.has_value()) << "nothing delivered";
    EXPECT_EQ(o.delivered->size(), expected.size());
    EXPECT_TRUE(*o.delivered == expected) << "delivered bytes differ from the origin's";
  }
}

}  // namespace ferry::test
