// `ferry get` as curl, wget and aria2 users type it, against a real ferryd on
// a private bus and a real nginx or a scripted origin: it always ends (dead
// port, stalled origin, Ctrl-C), cancels its job unless --keep, prints little
// off a terminal; several URLs, -i FILE / -i -, --header, --sha256, -q; and
// `add --sha256`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/nginx_fixture.h"
#include "support/scripted_origin.h"
#include "support/service_test.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using nlohmann::json;

constexpr uint64_t kFileSize = 256 * 1024 + 5;

// A loopback port nothing listens on: bound, then closed.
uint16_t DeadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// An origin's reply: 1000 of 64 KiB, then the connection stays open and
// silent (a transfer that makes no progress but has no error).
test::OriginReply StallAfter1000Bytes(const test::OriginRequest&) {
  test::OriginReply r;
  r.body = std::string(64 * 1024, 'x');
  r.cut_after = 1000;
  r.stall = true;
  return r;
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The CLI as a background child (stdout and stderr to files, stdin
// /dev/null), so that a test can signal it; stopped by its PID.
class BackgroundCli {
 public:
  ~BackgroundCli() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool Start(const std::vector<std::string>& args, const std::string& dir) {
    out_ = dir + "/bg.out";
    err_ = dir + "/bg.err";
    std::vector<std::string> all = {CliPath()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid_ > 0;
  }
  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // The exit code (128 + signal when killed); -1 when it is still running
  // at the deadline.
  int Wait(std::chrono::milliseconds deadline) {
    int code = -1;
    Eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
          code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          pid_ = -1;
          return true;
        },
        deadline);
    return code;
  }
  std::string err() const { return ReadFile(err_); }

 private:
  pid_t pid_ = -1;
  std::string out_, err_;
};

class CliGetTest : public ServiceTest {
 protected:
  void SetUp() override {
    if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
    ServiceTest::SetUp();
    for (const char* name : {"a.bin", "b.bin", "c.bin"})
      sha_[name] = AddDocFile(name, kFileSize, std::hash<std::string>()(name));
    StartNginx();
    StartService();
  }

  // `ferry ARGS… --bus-address ADDR` (the global option after the verb),
  // stdout and stderr pipes, in the work dir.
  test::CommandResult Cli(std::vector<std::string> args, const std::string& stdin_data = "") {
    args.push_back("--bus-address");
    args.push_back(env_.address());
    test::RunOptions o;
    o.cwd = env_.work().path();
    o.stdin_data = stdin_data;
    o.timeout = std::chrono::seconds(60);
    return RunCli("", args, o);
  }
  json Jobs() {
    auto r = Cli({"list", "--json"});
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << r.Describe();
    return j;
  }
  // Waits until the only job transferred at least one byte.
  bool WaitForBytes() {
    return Eventually(
        [&] {
          json j = Jobs();
          return j.is_array() && j.size() == 1 && j[0]["bytes_transferred"].get<uint64_t>() > 0;
        },
        std::chrono::seconds(60));
  }

  std::map<std::string, std::string> sha_;
};

// Regression: a get of a dead host never ended (TRANSIENT_ERROR forever) and
// printed ten progress lines a second off a terminal.
TEST_F(CliGetTest, DeadPortGivesUpAfterTimeoutAndCancelsTheJob) {
  uint16_t port = DeadPort();
  ASSERT_NE(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  auto r = Cli({"get", url, "-o", env_.work().Path("x"), "--timeout", "2"});
  EXPECT_FALSE(r.timed_out) << r.Describe();
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_EQ(CountLines(r.err, "retrying in"), 1) << r.err;
  EXPECT_NE(r.err.find("ERROR_INTERNET_CANNOT_CONNECT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("giving up"), std::string::npos) << r.err;
  EXPECT_TRUE(Jobs().empty()) << "the job was not cancelled";
  EXPECT_FALSE(PathExists(env_.work().Path("x")));

  // --keep leaves it, still retrying in the service.
  r = Cli({"get", url, "-o", env_.work().Path("x"), "--timeout", "1", "--keep"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  json jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump();
  EXPECT_NE(jobs[0]["state"], "ERROR");
  EXPECT_NE(r.err.find(jobs[0]["id"].get<std::string>()), std::string::npos) << r.err;
  Cli({"cancel", jobs[0]["id"].get<std::string>()});
}

// Off a terminal, at most one progress line per 5 s; none with -q.
TEST_F(CliGetTest, OffATerminalProgressLinesAreRare) {
  const std::string url = "http://127.0.0.1:" + std::to_string(DeadPort()) + "/x";
  auto start = std::chrono::steady_clock::now();
  auto r = Cli({"get", url, "-o", env_.work().Path("x"), "--timeout", "6"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_LE(CountLines(r.err, "ETA"), static_cast<int>(secs / 5) + 1) << secs << " s:\n" << r.err;

  r = Cli({"get", url, "-o", env_.work().Path("x"), "--timeout", "6", "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_EQ(CountLines(r.err, "ETA"), 0) << r.err;
  EXPECT_EQ(CountLines(r.err, "retrying in"), 0) << r.err;
  EXPECT_NE(r.err.find("ERROR_INTERNET_CANNOT_CONNECT"), std::string::npos)
      << "errors still print: " << r.err;

  r = Cli({"get", nginx_.Url("/a.bin"), "-q", "-o", env_.work().Path("a")});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// An origin that sends some bytes and then nothing: no job error, but no
// progress either; get gives up with DO_E_DOWNLOAD_NO_PROGRESS.
TEST_F(CliGetTest, StalledOriginGivesUpWithNoProgress) {
  ScriptedOrigin origin(StallAfter1000Bytes);
  ASSERT_TRUE(origin.ok());
  auto r = Cli({"get", origin.Url("/stall"), "-o", env_.work().Path("s"), "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_NE(r.err.find("DO_E_DOWNLOAD_NO_PROGRESS"), std::string::npos) << r.err;
  EXPECT_TRUE(Jobs().empty());
  origin.Stop();
}

// Ctrl-C cancels the job and exits 130 (curl and wget exit 130 too); with
// --keep the job stays.
TEST_F(CliGetTest, InterruptCancelsTheJobUnlessKeep) {
  ScriptedOrigin origin(StallAfter1000Bytes);
  ASSERT_TRUE(origin.ok());
  for (bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "--keep" : "no --keep");
    BackgroundCli cli;
    std::vector<std::string> args = {
        "get", origin.Url("/slow"), "-o",          env_.work().Path("slow"), "--timeout",
        "0",   "--bus-address",     env_.address()};
    if (keep) args.push_back("--keep");
    ASSERT_TRUE(cli.Start(args, env_.work().path()));
    ASSERT_TRUE(WaitForBytes()) << Jobs().dump();
    cli.Signal(SIGINT);
    EXPECT_EQ(cli.Wait(std::chrono::seconds(30)), 130) << cli.err();
    json jobs = Jobs();
    EXPECT_EQ(jobs.size(), keep ? 1u : 0u) << jobs.dump();
    for (const auto& j : jobs) Cli({"cancel", j["id"].get<std::string>()});
  }
  origin.Stop();
}

TEST_F(CliGetTest, SeveralUrlsGoIntoTheOutputDirectory) {
  const std::string dir = env_.work().Path("several");  // made by get
  auto r = Cli({"get", nginx_.Url("/a.bin"), nginx_.Url("/b.bin?query=1"), "-o", dir, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(test::Sha256File(dir + "/a.bin"), sha_["a.bin"]);
  EXPECT_EQ(test::Sha256File(dir + "/b.bin"), sha_["b.bin"]);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["files_total"], 2);
  EXPECT_EQ(j["paths"].size(), 2u);

  // One URL and -o an existing directory: the file goes in it.
  r = Cli({"get", nginx_.Url("/c.bin"), "-o", dir});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(test::Sha256File(dir + "/c.bin"), sha_["c.bin"]);

  // Usage: two URLs with one name, -o a file with several URLs, no URL.
  EXPECT_EQ(Cli({"get", nginx_.Url("/a.bin"), nginx_.Url("/x/a.bin"), "-o", dir}).exit_code, 2);
  EXPECT_EQ(
      Cli({"get", nginx_.Url("/a.bin"), nginx_.Url("/b.bin"), "-o", dir + "/a.bin"}).exit_code, 2);
  EXPECT_EQ(Cli({"get"}).exit_code, 2);
  EXPECT_TRUE(Jobs().empty());
}

TEST_F(CliGetTest, InputFileAndStdin) {
  const std::string list = env_.work().Path("urls.txt");
  std::ofstream(list) << "# two files\n"
                      << nginx_.Url("/a.bin") << "\n\n   \n  " << nginx_.Url("/b.bin") << "  \r\n# "
                      << nginx_.Url("/c.bin") << "\n";
  const std::string dir = env_.work().Path("from-list");
  auto r = Cli({"get", "-i", list, "-o", dir});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(test::Sha256File(dir + "/a.bin"), sha_["a.bin"]);
  EXPECT_EQ(test::Sha256File(dir + "/b.bin"), sha_["b.bin"]);
  EXPECT_FALSE(PathExists(dir + "/c.bin")) << "a commented URL was fetched";

  // -i - reads stdin; arguments and the list add up.
  const std::string dir2 = env_.work().Path("from-stdin");
  r = Cli({"get", nginx_.Url("/c.bin"), "--input-file", "-", "-o", dir2},
          nginx_.Url("/a.bin") + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(test::Sha256File(dir2 + "/a.bin"), sha_["a.bin"]);
  EXPECT_EQ(test::Sha256File(dir2 + "/c.bin"), sha_["c.bin"]);

  EXPECT_EQ(Cli({"get", "-i", env_.work().Path("no-such-list")}).exit_code, 2);
  EXPECT_EQ(Cli({"get", "-i", "-"}, "# nothing\n").exit_code, 2);
}

TEST_F(CliGetTest, HeadersReachTheOrigin) {
  const std::string content(5000, 'h');
  ScriptedOrigin origin(
      [&](const test::OriginRequest& req) { return test::ServeBytes(req, content, "\"h\""); });
  ASSERT_TRUE(origin.ok());
  // A repeatable option takes one value each time: the URL after it is a URL.
  auto r = Cli({"get", "--header", "X-Ferry-One: 1", origin.Url("/h"), "--header",
                "X-Ferry-Two: two words", "-o", env_.work().Path("h")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto requests = origin.requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& req : requests) {
    EXPECT_EQ(req.Header("X-Ferry-One"), "1") << req.method << " " << req.target;
    EXPECT_EQ(req.Header("X-Ferry-Two"), "two words") << req.method << " " << req.target;
  }
  EXPECT_EQ(Cli({"get", origin.Url("/h"), "--header", "no colon"}).exit_code, 2);
  EXPECT_EQ(Cli({"get", origin.Url("/h"), "--header", "Bad Name: x"}).exit_code, 2);
  EXPECT_TRUE(Jobs().empty());
  origin.Stop();
}

TEST_F(CliGetTest, Sha256OnGetAndAdd) {
  const std::string wrong(64, '0');
  auto r =
      Cli({"get", nginx_.Url("/a.bin"), "--sha256", sha_["a.bin"], "-o", env_.work().Path("ok")});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  r = Cli({"get", nginx_.Url("/a.bin"), "--sha256", wrong, "-o", env_.work().Path("bad")});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_FALSE(PathExists(env_.work().Path("bad")));
  EXPECT_EQ(Cli({"get", nginx_.Url("/a.bin"), nginx_.Url("/b.bin"), "--sha256", wrong}).exit_code,
            2);
  EXPECT_TRUE(Jobs().empty());

  // add --sha256: a wrong one ends in ERROR, the right one transfers.
  for (const std::string& sha : {wrong, sha_["b.bin"]}) {
    json j = json::parse(Cli({"create", "sha", "--json"}).out, nullptr, false);
    ASSERT_TRUE(j.contains("id")) << j.dump();
    const std::string id = j["id"];
    r = Cli({"add", id, nginx_.Url("/b.bin"), env_.work().Path("added-" + sha.substr(0, 4)),
             "--sha256", sha});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    Cli({"resume", id});
    EXPECT_EQ(Cli({"wait", id}).exit_code, sha == wrong ? 4 : 0);
    Cli({"cancel", id});
  }
}

// --limit-rate becomes the job's own limit (Job::GetMaximumRate through the
// SDK), which info shows; bad rates are usage errors that create no job.
TEST_F(CliGetTest, LimitRateIsTheJobsMaximumRate) {
  ScriptedOrigin origin(StallAfter1000Bytes);
  ASSERT_TRUE(origin.ok());
  BackgroundCli cli;
  ASSERT_TRUE(cli.Start({"get", origin.Url("/slow"), "-o", env_.work().Path("slow"), "--timeout",
                         "0", "--limit-rate", "500k", "--bus-address", env_.address()},
                        env_.work().path()));
  ASSERT_TRUE(Eventually([&] { return Jobs().size() == 1; }, std::chrono::seconds(60)));
  const std::string id = Jobs()[0]["id"];
  std::unique_ptr<Manager> m;
  ASSERT_TRUE(env_.Connect(&m).ok());
  Guid guid;
  ASSERT_TRUE(Guid::Parse(id, &guid));
  std::unique_ptr<Job> job;
  ASSERT_TRUE(m->GetJob(guid, &job).ok());
  uint64_t rate = 0;
  // get sets the limit before Resume: once the job is there it may still be
  // being configured.
  EXPECT_TRUE(Eventually([&] { return job->GetMaximumRate(&rate).ok() && rate == 500 * 1024; },
                         std::chrono::seconds(30)))
      << rate;
  auto r = Cli({"info", id, "--json"});
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.Describe();
  EXPECT_EQ(j["rate_limit"], 500 * 1024);
  EXPECT_NE(Cli({"info", id}).out.find("rate limit:  500.0 KiB/s"), std::string::npos);
  cli.Signal(SIGINT);
  EXPECT_EQ(cli.Wait(std::chrono::seconds(30)), 130) << cli.err();
  EXPECT_TRUE(Jobs().empty());
  origin.Stop();

  for (const char* bad : {"abc", "0x10", "-1", "1e3", ""}) {
    r = Cli({"get", nginx_.Url("/a.bin"), "-o", env_.work().Path("bad"), "--limit-rate", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.Describe();
  }
  EXPECT_TRUE(Jobs().empty());
  EXPECT_FALSE(PathExists(env_.work().Path("bad")));
}

// Regression: `get URL… -o DIR` made DIR before it knew whether the job could
// start, and left it behind empty when ferryd was unreachable (or the get
// failed).
TEST_F(CliGetTest, AFailedGetLeavesNoOutputDirectory) {
  const std::string dir = env_.work().Path("made/by/get");
  test::RunOptions o;
  o.cwd = env_.work().path();
  o.timeout = std::chrono::seconds(60);
  auto r = RunCli("",
                  {"get", nginx_.Url("/a.bin"), nginx_.Url("/b.bin"), "-o", dir, "--bus-address",
                   "unix:path=" + env_.work().Path("no-such-bus")},
                  o);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_FALSE(PathExists(env_.work().Path("made"))) << "left behind by an unreachable ferryd";

  const std::string dead = "http://127.0.0.1:" + std::to_string(DeadPort());
  r = Cli({"get", dead + "/a", dead + "/b", "-o", dir, "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_FALSE(PathExists(env_.work().Path("made"))) << "left behind by a failed get";

  // With --keep the job may still write there: the directory stays.
  r = Cli({"get", dead + "/a", dead + "/b", "-o", dir, "--timeout", "1", "--keep"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_TRUE(PathExists(dir));
  for (const auto& j : Jobs()) Cli({"cancel", j["id"].get<std::string>()});
}

}  // namespace
}  // namespace ferry::test
