// Runs every origin scenario in tests/cases/data/*.json against the whole
// engine (SQLite store, staging files, libcurl backend on the loop thread)
// and a ScriptedOrigin that plays the case's replies. The format is in
// tests/cases/README.md. Adding a scenario is adding a file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "core/engine.h"
#include "daemon/engine_host.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

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

// The origin's content for a version (1 = the case's "content", 2, 3 ...:
// other versions of the same size).
std::string Content(const json& c, int version) {
  uint64_t size = c["content"]["size"].get<uint64_t>();
  uint64_t seed = c["content"].value("seed", 1) + static_cast<uint64_t>(version - 1) * 1000;
  return RandomBytes(size, seed);
}

OriginReply MakeReply(const json& r, const OriginRequest& req, const json& c) {
  OriginReply out;
  if (r.contains("redirect")) {
    out.status = r.value("status", 302);
    out.headers.push_back({"Location", r["redirect"].get<std::string>()});
    return out;
  }
  if (r.contains("serve")) {
    const json& s = r["serve"];
    int version = s.value("version", 1);
    std::string content = Content(c, version);
    OriginRequest q = req;
    if (s.value("ignore_range", false))
      std::erase_if(q.headers, [](auto& h) { return strcasecmp(h.first.c_str(), "Range") == 0; });
    out = ServeBytes(q, content, s.value("etag", std::string("\"v") + std::to_string(version) + "\""),
                     s.value("last_modified", std::string(kOriginLastModified)));
    if (s.contains("content_range_shift")) {
      for (auto& h : out.headers)
        if (strcasecmp(h.first.c_str(), "Content-Range") == 0) {
          unsigned long long a, b, t;
          if (sscanf(h.second.c_str(), "bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
            long long shift = s["content_range_shift"].get<long long>();
            h.second = "bytes " + std::to_string(a + shift) + "-" + std::to_string(b + shift) + "/" +
                       std::to_string(t);
          }
        }
    }
    if (s.value("chunked", false)) {
      out.chunked = true;
      out.auto_content_length = false;
      std::erase_if(out.headers, [](auto& h) { return strcasecmp(h.first.c_str(), "Content-Length") == 0; });
    }
    if (s.contains("content_length")) {
      out.auto_content_length = false;
      std::erase_if(out.headers, [](auto& h) { return strcasecmp(h.first.c_str(), "Content-Length") == 0; });
      out.headers.push_back({"Content-Length", std::to_string(s["content_length"].get<uint64_t>())});
    }
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

class CaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CaseTest, Run) {
  std::ifstream in(GetParam());
  json c = json::parse(in);
  SCOPED_TRACE(c.value("description", GetParam()));
  const json& file = c["file"];
  const json job = c.contains("job") ? c["job"] : json::object();
  std::string path = file.value("path", std::string("/f"));

  // Routes: path -> replies (reply i answers the i-th request on that path; the last repeats).
  std::map<std::string, json> routes;
  if (c.contains("routes"))
    for (auto& [k, v] : c["routes"].items()) routes[k] = v;
  if (c.contains("replies")) routes[path] = c["replies"];
  std::mutex mu;
  std::map<std::string, size_t> seen;
  ScriptedOrigin origin([&](const OriginRequest& req) {
    std::string p = req.target.substr(0, req.target.find('?'));
    json reply;
    {
      std::lock_guard lock(mu);
      auto it = routes.find(p);
      if (it == routes.end()) {
        OriginReply nf;
        nf.status = 404;
        return nf;
      }
      size_t i = seen[p]++;
      reply = it->second[std::min(i, it->second.size() - 1)];
    }
    return MakeReply(reply, req, c);
  });
  ASSERT_TRUE(origin.ok());
  for (auto& [p, rs] : routes)
    for (auto& r : rs)
      if (r.contains("redirect") && r["redirect"].get<std::string>().rfind("/", 0) == 0)
        r["redirect"] = origin.Url(r["redirect"].get<std::string>());

  TempDir dir("ferry-case");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() + "/out");
  daemon::HostOptions opts;
  opts.state_dir = dir.path() + "/state";
  opts.config.min_retry_delay_floor = std::chrono::seconds(0);
  opts.config.max_low_speed_time = std::chrono::seconds(job.value("low_speed_time", 10));
  auto host_r = daemon::EngineHost::Start(opts);
  ASSERT_TRUE(host_r.ok()) << host_r.status().ToString();
  auto& host = *host_r.value();

  std::string content1 = Content(c, 1);
  core::NewFile nf;
  nf.remote_url = origin.Url(file.value("url_path", path));
  nf.local_name = dir.path() + "/out/file";
  if (file.contains("ranges"))
    for (auto& r : file["ranges"]) {
      uint64_t len = r[1].is_string() && r[1] == "eof" ? kLengthToEof : r[1].get<uint64_t>();
      nf.ranges.push_back({r[0].get<uint64_t>(), len});
    }
  if (file.contains("file_size")) nf.file_size = file["file_size"].get<uint64_t>();
  if (file.value("sha256", std::string()) == "content") nf.sha256 = Sha256Hex(content1);
  if (file.value("sha256", std::string()) == "wrong") nf.sha256 = std::string(64, '0');

  Guid id;
  Status s = host.Call([&](core::Engine& e) {
    Status st = e.CreateJob(core::Caller{1000, false}, "case", JobType::kDownload, &id);
    if (!st.ok()) return st;
    st = e.SetMinimumRetryDelay(id, job.value("min_retry_delay", 0u));
    if (!st.ok()) return st;
    if (job.contains("no_progress_timeout")) {
      st = e.SetNoProgressTimeout(id, job["no_progress_timeout"].get<uint32_t>());
      if (!st.ok()) return st;
    }
    st = e.AddFiles(id, std::span(&nf, 1));
    if (!st.ok()) return st;
    return e.Resume(id);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();

  const json& expect = c["expect"];
  JobState want = *StateByName(expect["state"].get<std::string>());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(expect.value("timeout_s", 30));
  core::JobSnapshot snap;
  for (;;) {
    auto r = host.Call([&](core::Engine& e) { return e.GetJob(id); });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    snap = r.value();
    if (snap.job.state == want) break;
    bool terminal = snap.job.state == JobState::kError || snap.job.state == JobState::kTransferred;
    ASSERT_FALSE(terminal) << "job ended in " << JobStateName(snap.job.state) << " with "
                           << (snap.job.error ? Status(snap.job.error->code, snap.job.error->message).ToString() : "no error");
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "still " << JobStateName(snap.job.state) << " after the deadline";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  if (expect.contains("code")) {
    ASSERT_TRUE(snap.job.error.has_value());
    uint32_t code = static_cast<uint32_t>(std::stoul(expect["code"].get<std::string>(), nullptr, 16));
    EXPECT_EQ(static_cast<uint32_t>(snap.job.error->code), code)
        << Status(snap.job.error->code, snap.job.error->message).ToString();
  }
  if (expect.contains("context")) {
    ASSERT_TRUE(snap.job.error.has_value());
    EXPECT_EQ(ErrorContextName(snap.job.error->context), expect["context"].get<std::string>());
  }
  if (expect.contains("error_count")) EXPECT_EQ(snap.job.error_count, expect["error_count"].get<uint32_t>());
  if (expect.contains("min_retry_after_s")) {
    auto d = std::chrono::duration_cast<std::chrono::seconds>(snap.job.retry_at - snap.job.modification);
    EXPECT_GE(d.count(), expect["min_retry_after_s"].get<int64_t>());
  }
  std::string expected_content;
  if (want == JobState::kTransferred) {
  int version = expect.value("content_version", 1);
  std::string vcontent = Content(c, version);
  if (!nf.ranges.empty()) {
    for (auto& r : nf.ranges) {
      uint64_t len = r.length == kLengthToEof ? vcontent.size() - r.initial_offset : r.length;
      expected_content += vcontent.substr(r.initial_offset, len);
    }
  } else {
    expected_content = vcontent.substr(0, expect.value("bytes", vcontent.size()));
  }
  }
  if (expect.contains("bytes_transferred"))
    EXPECT_EQ(snap.progress.bytes_transferred, expect["bytes_transferred"].get<uint64_t>());
  else if (want == JobState::kTransferred)
    EXPECT_EQ(snap.progress.bytes_transferred, expected_content.size());

  auto reqs = origin.requests();
  if (expect.contains("request_count")) EXPECT_EQ(reqs.size(), expect["request_count"].get<size_t>());
  if (expect.contains("requests")) {
    const json& er = expect["requests"];
    ASSERT_GE(reqs.size(), er.size());
    for (size_t i = 0; i < er.size(); ++i) {
      SCOPED_TRACE("request " + std::to_string(i));
      if (er[i].contains("path")) EXPECT_EQ(reqs[i].target, er[i]["path"].get<std::string>());
      if (er[i].contains("range")) {
        if (er[i]["range"].is_null())
          EXPECT_FALSE(reqs[i].HasHeader("Range")) << reqs[i].Header("Range");
        else
          EXPECT_EQ(reqs[i].Header("Range"), er[i]["range"].get<std::string>());
      }
      if (er[i].contains("if_range")) EXPECT_EQ(reqs[i].Header("If-Range"), er[i]["if_range"].get<std::string>());
    }
  }

  if (want == JobState::kTransferred) {
    // Not at the local name before Complete; exactly the expected bytes after.
    EXPECT_FALSE(fs::exists(nf.local_name));
    std::promise<Status> done;
    host.Call([&](core::Engine& e) { e.Complete(id, [&](Status cs) { done.set_value(cs); }); });
    Status cs = done.get_future().get();
    ASSERT_TRUE(cs.ok()) << cs.ToString();
    auto got = ReadFile(nf.local_name);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->size(), expected_content.size());
    EXPECT_TRUE(*got == expected_content) << "delivered bytes differ from the origin's";
  }
  EXPECT_TRUE(host.Shutdown().ok());
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseTest, ::testing::ValuesIn(CaseFiles()),
                         [](const auto& info) { return CaseName(info.param); });

}  // namespace
}  // namespace ferry::test
