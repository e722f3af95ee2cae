// Content ids on files (docs/content-id.md) against a real ferryd and
// nginx: the right id delivers; a wrong root is refetched once (two GETs in
// nginx's log) and then fails with BG_E_VALIDATION_FAILED, delivering
// nothing; an id of another size fails at the first response; the SDK's
// File::SetContentId/GetContentId, DownloadProperty::kContentId and the CLI's
// --content-id on get, add and download start; a malformed id is
// E_INVALIDARG where it is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ferry/content_id.h"
#include "ferry/download.h"
#include "support/service_test.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

using json = nlohmann::json;

constexpr uint64_t kSize = 3 * kMiB + 5;  // several pieces-root blocks, a short last one

class ContentIdServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    sha_ = AddDocFile("good.bin", kSize, 11);
    AddDocFile("other.bin", kSize, 12);  // same size, other bytes
    AddDocFile("longer.bin", kSize + 1, 11);
    StartNginx();
    StartService();
    if (Stopped()) return;
    for (const char* name : {"good.bin", "other.bin", "longer.bin"})
      ASSERT_TRUE(ContentIdOfFile(docroot_.Path(name), &ids_[name]).ok());
  }

  // A job of one file, `url` -> `dest`, with `content_id`, resumed.
  std::unique_ptr<Job> StartWithId(const std::string& url, const std::string& dest,
                                   const std::string& content_id) {
    auto job = NewJob(url, dest);
    if (!job) return nullptr;
    std::vector<std::unique_ptr<File>> files;
    EXPECT_TRUE(job->EnumFiles(&files).ok());
    if (files.size() != 1) return nullptr;
    Status s = files[0]->SetContentId(content_id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(job->Resume().ok());
    return job;
  }
  size_t GetsOf(const std::string& path) {
    auto log = nginx_.AccessLog();
    return std::count_if(log.begin(), log.end(), [&](const NginxLogEntry& e) {
      return e.request.rfind("GET " + path + " ", 0) == 0;
    });
  }
  void ExpectValidationFailed(Job& job, const std::string& dest) {
    ASSERT_TRUE(WaitFor(
        job, [](JobState s, const JobProgress&) { return s == JobState::kError; },
        /*allow_error=*/true))
        << Describe(job);
    std::unique_ptr<Error> err;
    ASSERT_TRUE(job.GetError(&err).ok());
    ErrorContext ctx;
    int32_t c = 0;
    ASSERT_TRUE(err->GetError(&ctx, &c).ok());
    EXPECT_EQ(Hex(c), Hex(code::kValidationFailed)) << Describe(job);
    EXPECT_FALSE(PathExists(dest)) << "nothing is delivered";
  }
  test::CommandResult Cli(std::vector<std::string> args) {
    args.push_back("--bus-address");
    args.push_back(env_.address());
    test::RunOptions o;
    o.cwd = env_.work().path();
    o.timeout = std::chrono::seconds(60);
    return RunCli("", args, o);
  }

  std::string sha_;
  std::map<std::string, std::string> ids_;
};

TEST_F(ContentIdServiceTest, RightIdDelivers) {
  const std::string dest = env_.work().Path("good");
  auto job = StartWithId(nginx_.Url("/good.bin"), dest, ids_["good.bin"]);
  ASSERT_TRUE(job);
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred)) << Describe(*job);
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
  EXPECT_EQ(GetsOf("/good.bin"), 1u);
}

TEST_F(ContentIdServiceTest, WrongRootIsRefetchedOnceThenValidationFailed) {
  const std::string dest = env_.work().Path("bad");
  auto job = StartWithId(nginx_.Url("/good.bin"), dest, ids_["other.bin"]);
  ASSERT_TRUE(job);
  ExpectValidationFailed(*job, dest);
  EXPECT_EQ(GetsOf("/good.bin"), 2u) << "the first fetch and one refetch";
}

TEST_F(ContentIdServiceTest, OriginSizeOtherThanTheIdsFailsAtOnce) {
  const std::string dest = env_.work().Path("longer");
  auto job = StartWithId(nginx_.Url("/longer.bin"), dest, ids_["good.bin"]);
  ASSERT_TRUE(job);
  ExpectValidationFailed(*job, dest);
  EXPECT_EQ(GetsOf("/longer.bin"), 1u) << "no refetch";
  std::unique_ptr<Error> err;
  ASSERT_TRUE(job->GetError(&err).ok());
  std::string text;
  ASSERT_TRUE(err->GetErrorDescription(&text).ok());
  EXPECT_NE(text.find(std::to_string(kSize + 1) + " bytes"), std::string::npos) << text;
}

TEST_F(ContentIdServiceTest, SetContentIdRefusesWhatIsNotAnId) {
  auto job = NewJob(nginx_.Url("/good.bin"), env_.work().Path("x"));
  ASSERT_TRUE(job);
  std::vector<std::unique_ptr<File>> files;
  ASSERT_TRUE(job->EnumFiles(&files).ok());
  ASSERT_EQ(files.size(), 1u);
  std::string typo = ids_["good.bin"];
  size_t i = 5;  // two different neighbours of the size's digits, swapped
  while (typo[i] == typo[i + 1]) ++i;
  std::swap(typo[i], typo[i + 1]);
  EXPECT_EQ(Hex(files[0]->SetContentId(typo).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(files[0]->SetContentId("sha256:abc").code()), Hex(code::kInvalidArg));
  std::string kept = "x";
  ASSERT_TRUE(files[0]->GetContentId(&kept).ok());
  EXPECT_EQ(kept, "") << "refused ids are not kept";
  EXPECT_TRUE(files[0]->SetContentId(ids_["good.bin"]).ok());
  ASSERT_TRUE(files[0]->GetContentId(&kept).ok());
  EXPECT_EQ(kept, ids_["good.bin"]);
  EXPECT_EQ(Hex(files[0]->GetContentId(nullptr).code()), Hex(code::kInvalidArg));
}

TEST_F(ContentIdServiceTest, DownloadPropertyContentId) {
  const std::string dest = env_.work().Path("dl");
  auto d = NewDownload(nginx_.Url("/good.bin"), dest);
  ASSERT_TRUE(d);
  EXPECT_EQ(Hex(d->SetProperty(DownloadProperty::kContentId, std::string("cid1-x")).code()),
            Hex(code::kInvalidArg));
  ASSERT_TRUE(d->SetProperty(DownloadProperty::kContentId, ids_["good.bin"]).ok());
  PropertyValue v;
  ASSERT_TRUE(d->GetProperty(DownloadProperty::kContentId, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), ids_["good.bin"]);
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*d).state == DownloadState::kTransferred; }))
      << StatusOf(*d).error;
  ASSERT_TRUE(d->Finalize().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
}

TEST_F(ContentIdServiceTest, CliGetAndAddWithContentId) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  auto r = Cli({"get", nginx_.Url("/good.bin"), "-o", env_.work().Path("got"), "--content-id",
                ids_["good.bin"]});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Sha256File(env_.work().Path("got")), sha_);
  r = Cli({"get", nginx_.Url("/good.bin"), "-o", env_.work().Path("wrong"), "--content-id",
           ids_["other.bin"]});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();  // as a wrong --sha256
  EXPECT_FALSE(PathExists(env_.work().Path("wrong")));

  json j = json::parse(Cli({"create", "cid", "--json"}).out, nullptr, false);
  ASSERT_TRUE(j.contains("id")) << j.dump();
  const std::string id = j["id"];
  r = Cli({"add", id, nginx_.Url("/good.bin"), env_.work().Path("added"), "--content-id",
           ids_["good.bin"]});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json files = json::parse(Cli({"files", id, "--json"}).out, nullptr, false);
  ASSERT_TRUE(files.is_array() && files.size() == 1) << files.dump();
  EXPECT_EQ(files[0]["content_id"], ids_["good.bin"]) << "ferry files shows the id";
  Cli({"resume", id});
  EXPECT_EQ(Cli({"wait", id}).exit_code, 0);
  EXPECT_EQ(Cli({"complete", id}).exit_code, 0);
  EXPECT_EQ(Sha256File(env_.work().Path("added")), sha_);
}

TEST_F(ContentIdServiceTest, CliRefusesAMalformedIdLikeOtherInvalidArguments) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  std::string typo = ids_["good.bin"];
  typo.back() = typo.back() == 'a' ? 'b' : 'a';
  auto bad_sha =
      Cli({"get", nginx_.Url("/good.bin"), "-o", env_.work().Path("s"), "--sha256", "abc"});
  auto r = Cli({"get", nginx_.Url("/good.bin"), "-o", env_.work().Path("c"), "--content-id", typo});
  EXPECT_EQ(r.exit_code, bad_sha.exit_code) << r.Describe();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("0x80070057"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--content-id"), std::string::npos) << r.err;

  json j = json::parse(Cli({"create", "cid", "--json"}).out, nullptr, false);
  ASSERT_TRUE(j.contains("id")) << j.dump();
  const std::string id = j["id"];
  r = Cli({"add", id, nginx_.Url("/good.bin"), env_.work().Path("a"), "--content-id", typo});
  EXPECT_EQ(r.exit_code, bad_sha.exit_code) << r.Describe();
  EXPECT_NE(r.err.find("0x80070057"), std::string::npos) << r.err;
  json files = json::parse(Cli({"files", id, "--json"}).out, nullptr, false);
  EXPECT_TRUE(files.is_array() && files.empty()) << "nothing was added: " << files.dump();
  r = Cli({"add", id, nginx_.Url("/good.bin"), env_.work().Path("r"), "--range", "0:10",
           "--content-id", ids_["good.bin"]});
  EXPECT_EQ(r.exit_code, bad_sha.exit_code) << "an id names a whole file: " << r.Describe();
  EXPECT_NE(r.err.find("0x80070057"), std::string::npos) << r.err;
  files = json::parse(Cli({"files", id, "--json"}).out, nullptr, false);
  EXPECT_TRUE(files.is_array() && files.empty()) << "nothing was added: " << files.dump();
}

}  // namespace
}  // namespace ferry::test
