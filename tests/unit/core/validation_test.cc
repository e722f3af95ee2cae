// semantics.md §2, §6 and §8 argument rules: each bad argument returns its
// documented code AND changes nothing (the job's files are unchanged and the
// store gets no new commit).
#include <sys/stat.h>

#include "core/validation.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class ValidationTest : public EngineTest {
 protected:
  void SetUp() override {
    cfg_.max_files_per_job = 3;
    cfg_.max_ranges_per_file = 2;
    cfg_.max_jobs_per_user = 2;
    Open();
    job_ = NewJob("v");
  }

  // AddFiles must fail with `want` and leave everything as it was.
  void ExpectRefused(int32_t want, std::vector<NewFile> files, const Guid* job = nullptr) {
    const Guid& id = job ? *job : job_;
    auto before = Snap(id);
    size_t commits = Commits();
    Status s = engine_->AddFiles(id, files);
    Pump();
    EXPECT_CODE(want, s) << s.ToString();
    auto after = Snap(id);
    EXPECT_EQ(after.job.files.size(), before.job.files.size());
    EXPECT_EQ(after.job.modification, before.job.modification);
    EXPECT_EQ(after.job.state, before.job.state);
    EXPECT_EQ(Commits(), commits) << "a refused call committed something";
  }
  NewFile File(std::string url, std::string local) {
    NewFile f;
    f.remote_url = std::move(url);
    f.local_name = std::move(local);
    return f;
  }
  NewFile Ranged(const std::string& name, std::vector<FileRange> ranges,
                 uint64_t size = kSizeUnknown) {
    NewFile f = HttpFile(name);
    f.ranges = std::move(ranges);
    f.file_size = size;
    return f;
  }

  Guid job_;
};

TEST_F(ValidationTest, LocalNameMustBeAbsolute) {
  ExpectRefused(code::kInvalidArg, {File(Url("a"), "relative/a")});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), "a")});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), "")});
}

TEST_F(ValidationTest, LocalNameWithDotSegments) {
  ExpectRefused(code::kInvalidArg, {File(Url("a"), dir_.path() + "/../a")});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), dir_.path() + "/x/../a")});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), dir_.path() + "/./a")});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), dir_.path() + "/a/")});
}

TEST_F(ValidationTest, LocalNameIsADirectory) {
  ASSERT_EQ(mkdir(Local("sub").c_str(), 0700), 0);
  ExpectRefused(code::kInvalidArg, {File(Url("a"), Local("sub"))});
  ExpectRefused(code::kInvalidArg, {File(Url("a"), dir_.path())});
}

TEST_F(ValidationTest, DirectoryMustExist) {
  ExpectRefused(code::kInvalidArg, {File(Url("a"), Local("missing/a"))});
}

TEST_F(ValidationTest, DirectoryMustBeWritable) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  ASSERT_EQ(mkdir(Local("ro").c_str(), 0500), 0);
  ExpectRefused(code::kAccessDenied, {File(Url("a"), Local("ro/a"))});
}

TEST_F(ValidationTest, LocalNameOfAnotherLiveJob) {
  Guid other = MakeJobWithFile("taken");
  ExpectRefused(code::kInvalidArg, {HttpFile("taken")});
  // Twice in one batch.
  ExpectRefused(code::kInvalidArg, {HttpFile("twice"), HttpFile("twice")});
  // Once the other job is final the name is free again.
  ASSERT_TRUE(engine_->Cancel(other).ok());
  NewFile f = HttpFile("taken");
  EXPECT_TRUE(engine_->AddFiles(job_, std::span(&f, 1)).ok());
}

TEST_F(ValidationTest, RemoteUrlRules) {
  ExpectRefused(code::kInvalidArg, {File("ftp://origin.test/a", Local("a"))});
  ExpectRefused(code::kInvalidArg, {File("gopher://origin.test/a", Local("a"))});
  ExpectRefused(code::kInvalidArg, {File("origin.test/a", Local("a"))});
  ExpectRefused(code::kInvalidArg, {File("http:///nohost", Local("a"))});
  ExpectRefused(code::kInvalidArg, {File("http://origin.test/a b", Local("a"))});
  ExpectRefused(code::kInvalidArg, {File("", Local("a"))});
}

TEST_F(ValidationTest, UrlLengthLimitIs2200) {
  std::string base = "http://origin.test/";
  std::string at_limit = base + std::string(2200 - base.size(), 'x');
  std::string over = at_limit + "x";
  ASSERT_EQ(at_limit.size(), 2200u);
  ExpectRefused(code::kInvalidArg, {File(over, Local("long"))});
  NewFile ok = File(at_limit, Local("long"));
  EXPECT_TRUE(engine_->AddFiles(job_, std::span(&ok, 1)).ok());
  // The same rule for SetFileRemoteName.
  size_t commits = Commits();
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileRemoteName(job_, 0, over));
  EXPECT_CODE(code::kInvalidArg, engine_->SetFileRemoteName(job_, 0, "https://origin.test/x"))
      << "the protocol may not change";
  EXPECT_EQ(Commits(), commits);
  EXPECT_EQ(Snap(job_).job.files[0].remote_url, at_limit);
  EXPECT_TRUE(engine_->SetFileRemoteName(job_, 0, "http://origin.test/y").ok());
}

TEST_F(ValidationTest, DisplayNameLength) {
  Guid id;
  size_t commits = Commits();
  EXPECT_CODE(code::kStringTooLong,
              engine_->CreateJob(user_, std::string(257, 'n'), JobType::kDownload, &id));
  EXPECT_CODE(code::kInvalidArg, engine_->CreateJob(user_, "", JobType::kDownload, &id));
  EXPECT_EQ(Commits(), commits);
  EXPECT_EQ(engine_->EnumJobs(std::nullopt).size(), 1u);

  EXPECT_CODE(code::kStringTooLong, engine_->SetDisplayName(job_, std::string(257, 'n')));
  EXPECT_CODE(code::kInvalidArg, engine_->SetDisplayName(job_, ""));
  EXPECT_EQ(Commits(), commits);
  EXPECT_EQ(Snap(job_).job.display_name, "v");
  // 256 characters, counted as code points not bytes.
  std::string ok;
  for (int i = 0; i < 256; ++i) ok += "\xC3\xA9";  // é
  EXPECT_TRUE(engine_->SetDisplayName(job_, ok).ok());
  EXPECT_CODE(code::kStringTooLong, engine_->SetDisplayName(job_, ok + "e"));
  EXPECT_CODE(code::kInvalidArg, engine_->SetDisplayName(job_, "bad \xFF utf8"));
}

TEST_F(ValidationTest, DescriptionLength) {
  size_t commits = Commits();
  EXPECT_CODE(code::kStringTooLong, engine_->SetDescription(job_, std::string(1025, 'd')));
  EXPECT_EQ(Commits(), commits);
  EXPECT_EQ(Snap(job_).job.description, "");
  EXPECT_TRUE(engine_->SetDescription(job_, std::string(1024, 'd')).ok());
  EXPECT_TRUE(engine_->SetDescription(job_, "").ok());
}

TEST_F(ValidationTest, UploadJobsAreNotImplemented) {
  Guid id;
  EXPECT_CODE(code::kNotImpl, engine_->CreateJob(user_, "u", JobType::kUpload, &id));
  EXPECT_CODE(code::kNotImpl, engine_->CreateJob(user_, "u", JobType::kUploadReply, &id));
}

TEST_F(ValidationTest, OverlappingOrRepeatedRanges) {
  ExpectRefused(code::kOverlappingRanges, {Ranged("r", {{0, 10}, {5, 10}})});
  ExpectRefused(code::kOverlappingRanges, {Ranged("r", {{10, 5}, {10, 5}})});
  ExpectRefused(code::kOverlappingRanges, {Ranged("r", {{50, kLengthToEof}, {60, 1}})});
}

TEST_F(ValidationTest, ZeroLengthRange) {
  ExpectRefused(code::kInvalidRange, {Ranged("r", {{0, 0}})});
}

TEST_F(ValidationTest, RangeAtTheSentinel) {
  ExpectRefused(code::kInvalidRange, {Ranged("r", {{kLengthToEof, 10}})});
}

TEST_F(ValidationTest, RangeOutsideAKnownSize) {
  ExpectRefused(code::kInvalidRange, {Ranged("r", {{90, 20}}, 100)});
  ExpectRefused(code::kInvalidRange, {Ranged("r", {{100, 1}}, 100)});
}

TEST_F(ValidationTest, TooManyRanges) {
  ExpectRefused(code::kTooManyRangesInFile, {Ranged("r", {{0, 1}, {2, 1}, {4, 1}})});
  NewFile ok = Ranged("r", {{0, 1}, {2, 1}});
  EXPECT_TRUE(engine_->AddFiles(job_, std::span(&ok, 1)).ok());
}

TEST_F(ValidationTest, TooManyFilesAllOrNothing) {
  // A batch with one bad file adds none of them.
  ExpectRefused(code::kInvalidArg, {HttpFile("m0"), File("ftp://x/y", Local("m3"))});
  ExpectRefused(code::kTooManyFilesInJob,
                {HttpFile("m0"), HttpFile("m1"), HttpFile("m2"), HttpFile("m3")});
  std::vector<NewFile> two = {HttpFile("m0"), HttpFile("m1")};
  ASSERT_TRUE(engine_->AddFiles(job_, two).ok());
  ExpectRefused(code::kTooManyFilesInJob, {HttpFile("m2"), HttpFile("m3")});
  NewFile last = HttpFile("m2");
  EXPECT_TRUE(engine_->AddFiles(job_, std::span(&last, 1)).ok());
  EXPECT_EQ(Snap(job_).job.files.size(), 3u);
}

TEST_F(ValidationTest, EmptyBatchIsInvalid) {
  ExpectRefused(code::kInvalidArg, {});
}

TEST_F(ValidationTest, BadSha256) {
  NewFile f = HttpFile("h");
  f.sha256 = "1234";
  ExpectRefused(code::kInvalidArg, {f});
  f.sha256 = std::string(64, 'g');
  ExpectRefused(code::kInvalidArg, {f});
}

TEST_F(ValidationTest, TooManyJobsPerUser) {
  // job_ is the first of user 1000's two.
  Guid second;
  ASSERT_TRUE(engine_->CreateJob(user_, "2", JobType::kDownload, &second).ok());
  size_t commits = Commits();
  Guid third;
  EXPECT_CODE(code::kTooManyJobsPerUser, engine_->CreateJob(user_, "3", JobType::kDownload, &third));
  EXPECT_EQ(Commits(), commits);
  EXPECT_EQ(engine_->EnumJobs(1000u).size(), 2u);
  // Another user, and administrators, are not limited by user 1000's count.
  EXPECT_TRUE(engine_->CreateJob({1001, false}, "o", JobType::kDownload, &third).ok());
  EXPECT_TRUE(engine_->CreateJob({0, true}, "admin", JobType::kDownload, &third).ok());
  // Final jobs do not count.
  ASSERT_TRUE(engine_->Cancel(second).ok());
  EXPECT_TRUE(engine_->CreateJob(user_, "4", JobType::kDownload, &third).ok());
}

TEST_F(ValidationTest, PropertyArguments) {
  size_t commits = Commits();
  EXPECT_CODE(code::kInvalidArg, engine_->SetPriority(job_, static_cast<JobPriority>(9)));
  EXPECT_CODE(code::kInvalidArg, engine_->SetCostPolicy(job_, 0x1234));
  EXPECT_CODE(code::kInvalidArg, engine_->SetProxySettings(job_, ProxyUsage::kOverride, "", ""));
  EXPECT_CODE(code::kInvalidArg, engine_->SetProxySettings(job_, ProxyUsage::kNoProxy, "p:1", ""));
  EXPECT_CODE(code::kNotImpl, engine_->SetProxySettings(job_, ProxyUsage::kAutodetect, "", ""));
  EXPECT_CODE(code::kInvalidArg, engine_->SetCustomHeaders(job_, "NoColon"));
  EXPECT_CODE(code::kInvalidArg, engine_->SetCustomHeaders(job_, "Bad Name: v"));
  EXPECT_CODE(code::kInvalidArg, engine_->SetNotifyCmdLine(job_, "relative/prog", ""));
  EXPECT_EQ(Commits(), commits);
  auto snap = Snap(job_);
  EXPECT_EQ(snap.job.priority, JobPriority::kNormal);
  EXPECT_EQ(snap.job.cost_policy, cost::kUnrestricted);  // background_cost_policy, policy.md §2
  EXPECT_EQ(snap.job.custom_headers, "");
}

TEST_F(ValidationTest, CreateJobCommitFailureChangesNothing) {
  store_.fail_next_commits = 1;
  Guid id;
  EXPECT_FALSE(engine_->CreateJob({1001, false}, "x", JobType::kDownload, &id).ok());
  EXPECT_EQ(engine_->EnumJobs(1001u).size(), 0u) << "a job that was not committed does not exist";
}

// engine.h: "a method that changes a job returns after the change is
// committed"; AddFiles is "all or nothing". When the commit fails the call
// fails, so the job must not keep the change either (else it is committed
// later by an unrelated flush, after the caller was told it failed).
// DISABLED: engine bug — AddFiles (src/core/engine.cc) and the property
// setters (Mutate) return the commit error but keep the change in memory;
// the next flush commits it. See the core test report.
TEST_F(ValidationTest, AddFilesCommitFailureChangesNothing) {
  store_.fail_next_commits = 1;
  NewFile f = HttpFile("cf");
  Status s = engine_->AddFiles(job_, std::span(&f, 1));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(store_.records.at(job_).files.size(), 0u);
  EXPECT_EQ(Snap(job_).job.files.size(), 0u) << "the failed AddFiles left its file in the job";
  Pump();
  EXPECT_EQ(store_.records.at(job_).files.size(), 0u) << "...and a later flush committed it";
  // The name is not taken by the failed call.
  EXPECT_TRUE(engine_->AddFiles(job_, std::span(&f, 1)).ok());
}

// DISABLED: same engine bug as above (Mutate in src/core/engine.cc).
TEST_F(ValidationTest, SetterCommitFailureChangesNothing) {
  store_.fail_next_commits = 1;
  EXPECT_FALSE(engine_->SetDescription(job_, "lost").ok());
  EXPECT_EQ(Snap(job_).job.description, "") << "the failed setter kept its value";
  ASSERT_TRUE(engine_->SetDisplayName(job_, "next").ok());
  EXPECT_EQ(store_.records.at(job_).description, "") << "committed by the next call";
}

// --- Pure functions of core/validation.h ---------------------------------------

TEST(ValidationFunctions, Utf8Length) {
  EXPECT_EQ(core::Utf8Length(""), 0u);
  EXPECT_EQ(core::Utf8Length("abc"), 3u);
  EXPECT_EQ(core::Utf8Length("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 3u);
  EXPECT_EQ(core::Utf8Length("\xC3"), SIZE_MAX);
  EXPECT_EQ(core::Utf8Length("\xC0\x80"), SIZE_MAX);  // overlong
}

// Found by fuzz_bus_arguments: the engine counted surrogates, 3- and 4-byte
// overlong forms and code points past U+10FFFF as characters, where the bus
// (service::IsStrictUtf8) refuses them.
TEST(ValidationFunctions, Utf8LengthRejectsSurrogatesOverlongFormsAndPast10FFFF) {
  EXPECT_EQ(core::Utf8Length("\xED\xA0\x80"), SIZE_MAX);          // U+D800
  EXPECT_EQ(core::Utf8Length("\xE0\x80\xAF"), SIZE_MAX);          // overlong '/'
  EXPECT_EQ(core::Utf8Length("\xF0\x80\x80\xAF"), SIZE_MAX);      // overlong '/'
  EXPECT_EQ(core::Utf8Length("\xF4\x90\x80\x80"), SIZE_MAX);      // U+110000
  EXPECT_EQ(core::Utf8Length("\xF7\xBF\xBF\xBF"), SIZE_MAX);
  EXPECT_EQ(core::Utf8Length("\xED\x9F\xBF\xEE\x80\x80"), 2u);  // U+D7FF U+E000
  EXPECT_EQ(core::Utf8Length("\xF4\x8F\xBF\xBF"), 1u);          // U+10FFFF
  EXPECT_CODE(code::kInvalidArg, core::ValidateDisplayName("\xED\xA0\x80"));
}

TEST(ValidationFunctions, Ranges) {
  std::vector<FileRange> ok = {{0, 10}, {10, 10}, {100, kLengthToEof}};
  EXPECT_TRUE(core::ValidateRanges(ok, kSizeUnknown, 500).ok());
  EXPECT_CODE(code::kTooManyRangesInFile, core::ValidateRanges(ok, kSizeUnknown, 2));
  std::vector<FileRange> overflow = {{UINT64_MAX - 5, 10}};
  EXPECT_CODE(code::kInvalidRange, core::ValidateRanges(overflow, kSizeUnknown, 500));
}

TEST(ValidationFunctions, NotifyFlags) {
  EXPECT_TRUE(core::ValidateNotifyFlags(0).ok());
  EXPECT_TRUE(core::ValidateNotifyFlags(0x1F).ok());
  for (uint32_t bit = 0x20; bit; bit <<= 1)
    EXPECT_CODE(code::kInvalidArg, core::ValidateNotifyFlags(bit)) << bit;
}

}  // namespace
}  // namespace ferry::test
