// Every verb of the ferry CLI with --json against a real ferryd (api.md §3):
// the JSON documents parse and carry the documented keys and values; exit
// codes: 0 success, 1 the service answered with an error, 2 usage, 3 no
// service, `get` 0 only with the file in place, `wait` and `get` 0 for
// TRANSFERRED and 4 for ERROR; every option before or after the verb.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using nlohmann::json;

constexpr uint64_t kFileSize = 2 * kMiB + 3;
constexpr uint64_t kSeed = 0x636c69;  // "cli"

class CliTest : public ServiceTest {
 protected:
  void SetUp() override {
    if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
    ServiceTest::SetUp();
    sha_ = AddDocFile("file.bin", kFileSize, kSeed);
    StartNginx();
    StartService();
  }

  // `ferry --bus-address ADDR --json ARGS…`; expects `want_exit` and parses
  // stdout (null when it is not JSON: the assertion says so).
  json Run(const std::vector<std::string>& args, int want_exit = 0) {
    std::vector<std::string> a = {"--json"};
    a.insert(a.end(), args.begin(), args.end());
    test::RunOptions o;
    o.cwd = env_.work().path();
    auto r = RunCli(env_.address(), a, o);
    last_ = r;
    EXPECT_EQ(r.exit_code, want_exit) << JoinArgs(args) << ": " << r.Describe();
    // Usage errors come from the argument parser, before --json applies.
    if (want_exit == 2) return json();
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded())
        << JoinArgs(args) << ": stdout is not one JSON document: " << r.Describe();
    return j;
  }
  // Runs the CLI without expectations (cleanup).
  void Quiet(const std::vector<std::string>& args) {
    std::vector<std::string> a = {"--json"};
    a.insert(a.end(), args.begin(), args.end());
    RunCli(env_.address(), a, {});
  }
  static std::string JoinArgs(const std::vector<std::string>& args) {
    std::string s = "ferry";
    for (const auto& a : args) s += " " + a;
    return s;
  }
  // The job object of api.md §3.
  static void ExpectJobObject(const json& j, const std::string& what) {
    ASSERT_TRUE(j.is_object()) << what << ": " << j.dump();
    for (const char* key :
         {"id", "display_name", "state", "state_code", "priority", "owner", "bytes_total",
          "bytes_transferred", "files_total", "files_transferred", "error_count", "error"})
      EXPECT_TRUE(j.contains(key)) << what << ": no \"" << key << "\" in " << j.dump();
    if (j.contains("id")) {
      Guid g;
      EXPECT_TRUE(j["id"].is_string() && j["id"].get<std::string>().front() == '{' &&
                  Guid::Parse(j["id"].get<std::string>(), &g))
          << what << ": id " << j["id"].dump();
    }
    if (j.contains("state") && j.contains("state_code") && j["state_code"].is_number()) {
      EXPECT_EQ(j["state"],
                std::string(JobStateName(static_cast<JobState>(j["state_code"].get<uint32_t>()))))
          << what;
    }
    if (j.contains("error")) {
      EXPECT_TRUE(j["error"].is_null() || j["error"].is_object()) << what;
    }
  }
  static std::string Id(const json& j) {
    return j.is_object() && j.contains("id") ? j["id"].get<std::string>() : "";
  }

  // Polls `info` until the job's state is one of `states` (bounded).
  json WaitInfo(const std::string& id, const std::vector<std::string>& states,
                std::chrono::seconds deadline = std::chrono::seconds(120)) {
    json j;
    Eventually(
        [&] {
          test::RunOptions o;
          auto r = RunCli(env_.address(), {"--json", "info", id}, o);
          j = json::parse(r.out, nullptr, false);
          if (j.is_discarded() || !j.contains("state")) return false;
          for (const auto& s : states)
            if (j["state"] == s) return true;
          return false;
        },
        deadline);
    return j;
  }

  std::string sha_;
  test::CommandResult last_;
};

TEST_F(CliTest, JobVerbsWithJson) {
  const std::string url = nginx_.Url("/file.bin");
  const std::string dest = env_.work().Path("cli-out.bin");

  json j = Run({"create", "cli job"});
  ExpectJobObject(j, "create");
  const std::string id = Id(j);
  ASSERT_FALSE(id.empty()) << last_.Describe();
  EXPECT_EQ(j["display_name"], "cli job");
  EXPECT_EQ(j["state"], "SUSPENDED");
  EXPECT_EQ(j["state_code"], 3);
  EXPECT_EQ(j["priority"], "NORMAL");
  EXPECT_EQ(j["files_total"], 0);
  EXPECT_EQ(j["bytes_transferred"], 0);
  EXPECT_EQ(j["error_count"], 0);
  EXPECT_TRUE(j["error"].is_null());

  j = Run({"add", id, url, dest});
  ExpectJobObject(j, "add");
  EXPECT_EQ(j["files_total"], 1);

  // set: every property.
  j = Run({"set", id, "priority", "high"});
  ExpectJobObject(j, "set priority");
  EXPECT_EQ(j["priority"], "HIGH");
  j = Run({"set", id, "notify-flags", "0x3"});
  ExpectJobObject(j, "set notify-flags");
  j = Run({"set", id, "notify-cmd", "/bin/true", "%JOBID%"});
  ExpectJobObject(j, "set notify-cmd");
  j = Run({"set", id, "retry-delay", "10"});
  ExpectJobObject(j, "set retry-delay");
  j = Run({"set", id, "no-progress-timeout", "300"});
  ExpectJobObject(j, "set no-progress-timeout");
  j = Run({"set", id, "proxy", "none"});
  ExpectJobObject(j, "set proxy");
  j = Run({"set", id, "headers", "X-Ferry-Test: 1"});
  ExpectJobObject(j, "set headers");
  Run({"set", id, "notify-flags", "0x100"}, 1);  // the service refuses the bit
  Run({"set", id, "priority", "urgent"}, 2);     // usage

  j = Run({"files", id});
  ASSERT_TRUE(j.is_array()) << j.dump();
  ASSERT_EQ(j.size(), 1u);
  for (const char* key :
       {"remote_name", "local_name", "bytes_total", "bytes_transferred", "completed", "content_id"})
    EXPECT_TRUE(j[0].contains(key)) << key << " in " << j.dump();
  EXPECT_TRUE(j[0]["content_id"].is_null()) << "no content id";
  EXPECT_EQ(j[0]["remote_name"], url);
  EXPECT_EQ(j[0]["local_name"], dest);
  EXPECT_EQ(j[0]["completed"], false);

  // The prefix of the 32-hex form resolves too.
  Guid g;
  ASSERT_TRUE(Guid::Parse(id, &g));
  j = Run({"info", g.ToHex().substr(0, 12)});
  ExpectJobObject(j, "info by prefix");
  EXPECT_EQ(Id(j), id);
  // …and the unique display name.
  j = Run({"info", "cli job"});
  EXPECT_EQ(Id(j), id);

  Run({"error", id}, 1);  // DO_E_ERROR_INFORMATION_UNAVAILABLE

  j = Run({"resume", id});
  ExpectJobObject(j, "resume");
  EXPECT_NE(j["state"], "SUSPENDED");
  j = Run({"wait", id});
  EXPECT_FALSE(PathExists(dest)) << "data at the local name before complete";
  j = Run({"info", id});
  ExpectJobObject(j, "info");
  EXPECT_EQ(j["state"], "TRANSFERRED");
  EXPECT_EQ(j["bytes_transferred"], kFileSize);
  EXPECT_EQ(j["bytes_total"], kFileSize);
  EXPECT_EQ(j["files_transferred"], 1);

  j = Run({"list"});
  ASSERT_TRUE(j.is_array()) << j.dump();
  ASSERT_EQ(j.size(), 1u);
  ExpectJobObject(j[0], "list");
  EXPECT_EQ(Id(j[0]), id);
  j = Run({"list", "--all-users"});  // root: administrator
  ASSERT_TRUE(j.is_array()) << j.dump();

  j = Run({"files", id});
  ASSERT_TRUE(j.is_array() && j.size() == 1) << j.dump();
  EXPECT_EQ(j[0]["completed"], true);

  // complete: the file is in place (the JSON printed afterwards is checked
  // by the DISABLED test below).
  Quiet({"complete", id});
  EXPECT_EQ(test::Sha256File(dest), sha_);
  Run({"info", id}, 1);  // final: not found

  // suspend and cancel.
  j = Run({"create", "to cancel"});
  const std::string id2 = Id(j);
  ASSERT_FALSE(id2.empty());
  Run({"add", id2, url, env_.work().Path("cancelled.bin")});
  j = Run({"resume", id2});
  j = Run({"suspend", id2});
  ExpectJobObject(j, "suspend");
  EXPECT_EQ(j["state"], "SUSPENDED");
  Quiet({"cancel", id2});
  Run({"cancel", id2}, 1);
  j = Run({"list"});
  ASSERT_TRUE(j.is_array());
  EXPECT_TRUE(j.empty()) << j.dump();
}

// `complete` and `cancel` print the final job through the same handle, and
// `get --json` prints the finished job. (Regression: they used to exit 1 with
// DO_E_JOB_NOT_FOUND, and `get --json` printed a blank job.)
TEST_F(CliTest, CompleteCancelAndGetPrintTheFinalJob) {
  const std::string dest = env_.work().Path("final.bin");
  json j = Run({"create", "final"});
  const std::string id = Id(j);
  ASSERT_FALSE(id.empty());
  Run({"add", id, nginx_.Url("/file.bin"), dest});
  Run({"resume", id});
  Run({"wait", id});
  j = Run({"complete", id});
  ExpectJobObject(j, "complete");
  EXPECT_EQ(j["state"], "ACKNOWLEDGED");
  j = Run({"create", "to cancel"});
  const std::string id2 = Id(j);
  j = Run({"cancel", id2});
  ExpectJobObject(j, "cancel");
  EXPECT_EQ(j["state"], "CANCELLED");
  j = Run({"get", nginx_.Url("/file.bin"), "-o", env_.work().Path("got.bin")});
  ExpectJobObject(j, "get");
  EXPECT_EQ(j["state"], "ACKNOWLEDGED");
}

TEST_F(CliTest, ErrorsWaitExitCodeAndErrorVerb) {
  json j = Run({"create", "broken"});
  const std::string id = Id(j);
  ASSERT_FALSE(id.empty());
  Run({"add", id, nginx_.Url("/no-such-file"), env_.work().Path("never.bin")});
  Run({"resume", id});
  j = Run({"wait", id}, 4);
  j = Run({"info", id});
  ExpectJobObject(j, "info in ERROR");
  EXPECT_EQ(j["state"], "ERROR");
  ASSERT_TRUE(j["error"].is_object()) << j.dump();
  for (const char* key : {"code", "name", "context", "message", "file"})
    EXPECT_TRUE(j["error"].contains(key)) << key << " in " << j.dump();
  EXPECT_EQ(j["error"]["name"], "BG_E_HTTP_ERROR_404");
  EXPECT_EQ(j["error"]["context"], "REMOTE_FILE");
  EXPECT_GE(j["error_count"].get<int>(), 1);

  j = Run({"error", id});
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j["code"], "0x80190194");
  EXPECT_EQ(j["name"], "BG_E_HTTP_ERROR_404");
  EXPECT_EQ(j["context"], "REMOTE_FILE");
  EXPECT_EQ(j["protocol"], "http");
  Quiet({"cancel", id});
}

TEST_F(CliTest, GetExitCodes) {
  const std::string dest = env_.work().Path("got.bin");
  json j = Run({"get", nginx_.Url("/file.bin"), "-o", dest});
  EXPECT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(test::Sha256File(dest), sha_);

  const std::string dest2 = env_.work().Path("got-sha.bin");
  Run({"get", nginx_.Url("/file.bin"), "-o", dest2, "--sha256", sha_, "--foreground"});
  EXPECT_EQ(test::Sha256File(dest2), sha_);

  const std::string missing = env_.work().Path("missing.bin");
  Run({"get", nginx_.Url("/no-such-file"), "-o", missing}, 4);  // the job ended in ERROR
  EXPECT_FALSE(PathExists(missing));
  // The failed get leaves no job behind.
  j = Run({"list"});
  ASSERT_TRUE(j.is_array());
  EXPECT_TRUE(j.empty()) << j.dump();
}

TEST_F(CliTest, StatusLimitsMonitor) {
  json j = Run({"status"});
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_TRUE(j.contains("version")) << j.dump();
  EXPECT_TRUE(j.contains("jobs_by_state")) << j.dump();
  EXPECT_TRUE(j.contains("background_limit")) << j.dump();

  j = Run({"limits"});
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j["background_limit"], 0);
  j = Run({"limits", "--background", "1M", "--foreground", "512k"});
  EXPECT_EQ(j["background_limit"], 1048576);
  EXPECT_EQ(j["foreground_limit"], 524288);
  j = Run({"limits"});
  EXPECT_EQ(j["background_limit"], 1048576);
  j = Run({"status"});
  EXPECT_EQ(j["background_limit"], 1048576);
  Run({"limits", "--background", "fast"}, 2);
  j = Run({"limits", "--background", "unlimited", "--foreground", "unlimited"});
  EXPECT_EQ(j["background_limit"], 0);

  Run({"create", "monitored"});
  j = Run({"monitor", "-n", "1"});
  ASSERT_TRUE(j.is_array()) << j.dump();
  ASSERT_EQ(j.size(), 1u);
  ExpectJobObject(j[0], "monitor");
  EXPECT_EQ(j[0]["display_name"], "monitored");
  j = Run({"monitor", "monitored", "-n", "1"});
  ASSERT_TRUE(j.is_array()) << j.dump();
  Quiet({"cancel", "monitored"});
}

// Regression: `ferry create NAME --json` and `ferry status --json` failed
// with "The following argument was not expected: --json". Global options
// work before, after and between a verb's arguments (api.md §3).
TEST_F(CliTest, OptionsBeforeOrAfterTheVerb) {
  test::RunOptions o;
  auto cli = [&](const std::vector<std::string>& args) {
    auto r = RunCli("", args, o);
    last_ = r;
    return r;
  };
  const std::string bus = env_.address();
  auto r = cli({"create", "after", "--json", "--bus-address", bus});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json j = json::parse(r.out, nullptr, false);
  ExpectJobObject(j, "create NAME --json");
  EXPECT_EQ(j["display_name"], "after");

  r = cli({"--bus-address", bus, "create", "--json", "between"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(json::parse(r.out, nullptr, false)["display_name"], "between");

  r = cli({"status", "--json", "--bus-address", bus});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(json::parse(r.out, nullptr, false).contains("version")) << r.out;

  // --user and --bus-address together: the address wins (as before the verb).
  r = cli({"list", "--user", "--bus-address=" + bus, "--json", "--all-users"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  EXPECT_EQ(j.size(), 2u) << r.out;

  r = cli({"info", "after", "--bus-address", bus, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(json::parse(r.out, nullptr, false)["display_name"], "after");
  r = cli({"wait", "--json", "after", "--timeout", "0.1", "--bus-address", bus});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();  // SUSPENDED: timed out

  // An unknown option is still a usage error, before or after.
  EXPECT_EQ(cli({"list", "--frobnicate", "--bus-address", bus}).exit_code, 2);
  EXPECT_EQ(cli({"--frobnicate", "list", "--bus-address", bus}).exit_code, 2);
  // --version, before any verb.
  r = cli({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out.rfind("ferry ", 0), 0u) << r.out;
}

TEST_F(CliTest, UsageAndUnreachableExitCodes) {
  test::RunOptions o;
  EXPECT_EQ(RunCli(env_.address(), {"--json", "frobnicate"}, o).exit_code, 2);
  EXPECT_EQ(RunCli(env_.address(), {"--json", "add"}, o).exit_code, 2);
  EXPECT_EQ(RunCli(env_.address(), {}, o).exit_code, 2);
  EXPECT_EQ(RunCli(env_.address(), {"--json", "info", "no-such-job"}, o).exit_code, 1);
  // A bus without ferryd, and no bus at all.
  int code = -1;
  ASSERT_TRUE(env_.ferryd().Terminate(&code).ok());
  auto r = RunCli(env_.address(), {"--json", "list"}, o);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  r = RunCli("unix:path=" + env_.work().Path("no-such-socket"), {"--json", "status"}, o);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  r = RunCli(env_.address(),
             {"--json", "get", nginx_.Url("/file.bin"), "-o", env_.work().Path("x.bin")}, o);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
}

}  // namespace
}  // namespace ferry::test
