// Manager::ListJobs and Job::GetSummary (one round trip for many jobs / one
// job) against a real ferryd: each summary carries what the per-job getters
// return, errors included; `ferry list --json` prints the objects of
// `ferry info --json`. And against a fake service on a private bus: missing
// keys keep their defaults, a malformed answer is E_UNEXPECTED, never a crash
// or an exception.
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using nlohmann::json;

// Every field of the summary against the getter that reads it.
void ExpectMatchesGetters(Job& job, const JobSummary& s) {
  std::string name = s.display_name;
  SCOPED_TRACE("job " + name);
  Guid id;
  JobType type{};
  std::string display_name, description, owner;
  JobState state{};
  JobPriority priority{};
  JobProgress progress;
  JobTimes times;
  uint32_t error_count = 0, notify_flags = 0;
  ASSERT_TRUE(job.GetId(&id).ok());
  ASSERT_TRUE(job.GetType(&type).ok());
  ASSERT_TRUE(job.GetDisplayName(&display_name).ok());
  ASSERT_TRUE(job.GetDescription(&description).ok());
  ASSERT_TRUE(job.GetState(&state).ok());
  ASSERT_TRUE(job.GetPriority(&priority).ok());
  ASSERT_TRUE(job.GetOwner(&owner).ok());
  ASSERT_TRUE(job.GetProgress(&progress).ok());
  ASSERT_TRUE(job.GetTimes(&times).ok());
  ASSERT_TRUE(job.GetErrorCount(&error_count).ok());
  ASSERT_TRUE(job.GetNotifyFlags(&notify_flags).ok());
  EXPECT_EQ(s.id, id);
  EXPECT_EQ(s.type, type);
  EXPECT_EQ(s.display_name, display_name);
  EXPECT_EQ(s.description, description);
  EXPECT_EQ(s.state, state);
  EXPECT_EQ(s.priority, priority);
  EXPECT_EQ(s.owner_name, owner);
  EXPECT_EQ(s.owner_uid, ::getuid());
  EXPECT_EQ(s.progress.bytes_total, progress.bytes_total);
  EXPECT_EQ(s.progress.bytes_transferred, progress.bytes_transferred);
  EXPECT_EQ(s.progress.files_total, progress.files_total);
  EXPECT_EQ(s.progress.files_transferred, progress.files_transferred);
  EXPECT_EQ(s.times.creation, times.creation);
  EXPECT_EQ(s.times.modification, times.modification);
  EXPECT_EQ(s.times.transfer_completion, times.transfer_completion);
  EXPECT_EQ(s.error_count, error_count);
  EXPECT_EQ(s.notify_flags, notify_flags);

  std::unique_ptr<Error> error;
  Status e = job.GetError(&error);
  EXPECT_EQ(s.has_error, e.ok()) << e.ToString();
  if (!e.ok() || !s.has_error) {
    EXPECT_EQ(e.code(), code::kErrorInformationUnavailable);
    EXPECT_EQ(s.error_code, 0);
    EXPECT_EQ(s.error_file, -1);
    return;
  }
  ErrorContext context{};
  int32_t c = 0;
  std::string message, protocol;
  ASSERT_TRUE(error->GetError(&context, &c).ok());
  ASSERT_TRUE(error->GetErrorDescription(&message).ok());
  ASSERT_TRUE(error->GetProtocol(&protocol).ok());
  EXPECT_EQ(s.error_context, context);
  EXPECT_EQ(s.error_code, c);
  EXPECT_EQ(s.error_message, message);
  EXPECT_EQ(s.error_protocol, protocol);
  std::unique_ptr<File> file;
  if (error->GetFile(&file).ok()) {
    // The index names the same file as Error::GetFile.
    std::string error_local, indexed_local;
    ASSERT_TRUE(file->GetLocalName(&error_local).ok());
    std::vector<std::unique_ptr<File>> files;
    ASSERT_TRUE(job.EnumFiles(&files).ok());
    ASSERT_GE(s.error_file, 0);
    ASSERT_LT(static_cast<size_t>(s.error_file), files.size());
    ASSERT_TRUE(files[static_cast<size_t>(s.error_file)]->GetLocalName(&indexed_local).ok());
    EXPECT_EQ(indexed_local, error_local);
  } else {
    EXPECT_EQ(s.error_file, -1);
  }
}

// Jobs in several states, made with file:// sources (user mode): no network.
class ListJobsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    StartService();
    if (Stopped()) return;
    src_ = env_.work().Path("src.bin");
    ASSERT_FALSE(test::WriteRandomFile(src_, 300 * 1024 + 11, 0x6c697374).empty());
    missing_dest_ = env_.work().Path("never.bin");

    // SUSPENDED, with every settable field changed from its default.
    Guid id;
    std::unique_ptr<Job> job;
    ASSERT_TRUE(manager_->CreateJob("suspended", JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->SetDescription("a job that waits").ok());
    ASSERT_TRUE(job->SetPriority(JobPriority::kHigh).ok());
    ASSERT_TRUE(job->SetNotifyFlags(notify::kJobTransferred | notify::kJobModification).ok());
    ASSERT_TRUE(job->AddFile("http://127.0.0.1:9/never", env_.work().Path("suspended.bin")).ok());
    jobs_.push_back(std::move(job));

    // TRANSFERRED: sizes, progress and the completion time.
    ASSERT_TRUE(manager_->CreateJob("transferred", JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->AddFile("file://" + src_, env_.work().Path("done.bin")).ok());
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
    jobs_.push_back(std::move(job));

    // ERROR on its second file (the source is not there): the error's file
    // index is 1.
    ASSERT_TRUE(manager_->CreateJob("broken", JobType::kDownload, &id, &job).ok());
    std::vector<FileInfo> files = {{"file://" + src_, env_.work().Path("first.bin")},
                                   {"file://" + env_.work().Path("no-such-source"), missing_dest_}};
    ASSERT_TRUE(job->AddFileSet(files).ok());
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kError));
    jobs_.push_back(std::move(job));

    // Final jobs are not listed.
    ASSERT_TRUE(manager_->CreateJob("cancelled", JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->Cancel().ok());
  }

  std::vector<std::unique_ptr<Job>> jobs_;  // suspended, transferred, broken
  std::string src_, missing_dest_;
};

TEST_F(ListJobsTest, SummariesCarryWhatTheGettersReturn) {
  std::vector<JobSummary> list;
  Status s = manager_->ListJobs(0, &list);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(list.size(), jobs_.size());
  for (size_t i = 0; i < jobs_.size(); ++i) {
    ExpectMatchesGetters(*jobs_[i], list[i]);
    // GetSummary reads the same.
    JobSummary one;
    ASSERT_TRUE(jobs_[i]->GetSummary(&one).ok());
    EXPECT_EQ(one.id, list[i].id);
    EXPECT_EQ(one.state, list[i].state);
    EXPECT_EQ(one.times.modification, list[i].times.modification);
    ExpectMatchesGetters(*jobs_[i], one);
  }

  // The values themselves, not only agreement with the getters.
  const JobSummary& suspended = list[0];
  EXPECT_EQ(suspended.display_name, "suspended");
  EXPECT_EQ(suspended.description, "a job that waits");
  EXPECT_EQ(suspended.state, JobState::kSuspended);
  EXPECT_EQ(suspended.priority, JobPriority::kHigh);
  EXPECT_EQ(suspended.notify_flags, notify::kJobTransferred | notify::kJobModification);
  EXPECT_EQ(suspended.progress.files_total, 1u);
  EXPECT_FALSE(suspended.has_error);
  EXPECT_NE(suspended.times.creation, std::chrono::system_clock::time_point{});

  const JobSummary& transferred = list[1];
  EXPECT_EQ(transferred.state, JobState::kTransferred);
  EXPECT_EQ(transferred.progress.bytes_total, 300u * 1024 + 11);
  EXPECT_EQ(transferred.progress.bytes_transferred, 300u * 1024 + 11);
  EXPECT_EQ(transferred.progress.files_transferred, 1u);
  EXPECT_GE(transferred.times.transfer_completion, transferred.times.creation);

  const JobSummary& broken = list[2];
  EXPECT_EQ(broken.state, JobState::kError);
  ASSERT_TRUE(broken.has_error);
  EXPECT_EQ(broken.error_code, code::FromWin32(2))
      << StatusCodeName(broken.error_code);  // file not found
  EXPECT_EQ(broken.error_context, ErrorContext::kRemoteFile);
  EXPECT_EQ(broken.error_protocol, "file");
  EXPECT_EQ(broken.error_file, 1);
  EXPECT_FALSE(broken.error_message.empty());
  EXPECT_GE(broken.error_count, 1u);
}

TEST_F(ListJobsTest, SameJobsFlagsAndRightsAsEnumJobs) {
  std::vector<std::unique_ptr<Job>> enumerated;
  std::vector<JobSummary> list;
  ASSERT_TRUE(manager_->EnumJobs(0, &enumerated).ok());
  ASSERT_TRUE(manager_->ListJobs(0, &list).ok());
  ASSERT_EQ(list.size(), enumerated.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Guid id;
    enumerated[i]->GetId(&id);
    EXPECT_EQ(list[i].id, id) << "position " << i;
  }
  for (uint32_t flags : {kEnumAllUsers, 0x2u}) {
    Status e = manager_->EnumJobs(flags, &enumerated);
    list.assign(1, JobSummary{});
    Status l = manager_->ListJobs(flags, &list);
    EXPECT_EQ(l.code(), e.code()) << "flags " << flags << ": " << l.ToString() << " vs "
                                  << e.ToString();
    if (l.ok()) {
      EXPECT_GE(list.size(), jobs_.size());
    } else {
      EXPECT_EQ(list.size(), 1u) << "written on failure";
    }
  }
  EXPECT_EQ(manager_->ListJobs(0, nullptr).code(), code::kInvalidArg);
  EXPECT_EQ(jobs_[0]->GetSummary(nullptr).code(), code::kInvalidArg);
}

TEST_F(ListJobsTest, CliListPrintsTheObjectsOfInfo) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  auto r = RunCli(env_.address(), {"--json", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  json list = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << r.out;
  ASSERT_EQ(list.size(), jobs_.size()) << r.out;
  for (size_t i = 0; i < list.size(); ++i) {
    Guid id;
    jobs_[i]->GetId(&id);
    ASSERT_EQ(list[i].value("id", ""), id.ToString());
    auto one = RunCli(env_.address(), {"--json", "info", id.ToString()});
    ASSERT_EQ(one.exit_code, 0) << one.Describe();
    json info = json::parse(one.out, nullptr, false);
    EXPECT_EQ(list[i], info) << "list:\n" << list[i].dump(2) << "\ninfo:\n" << info.dump(2);
  }
  // The documented object: the error names the failed file by its local name.
  const json& broken = list[2];
  for (const char* key : {"id", "display_name", "description", "state", "state_code", "priority",
                          "owner", "bytes_total", "bytes_transferred", "files_total",
                          "files_transferred", "error_count", "notify_flags", "rate_limit",
                          "download_mode", "effective_download_mode", "creation_time_ns",
                          "modification_time_ns", "transfer_completion_time_ns", "error"})
    EXPECT_TRUE(broken.contains(key)) << key;
  EXPECT_EQ(broken.size(), 20u) << broken.dump(2);
  EXPECT_TRUE(broken["download_mode"].is_null()) << "no mode of its own";
  EXPECT_EQ(broken["effective_download_mode"], "lan") << "ferryd's (the default, LAN)";
  ASSERT_TRUE(broken["error"].is_object()) << broken.dump(2);
  EXPECT_EQ(broken["error"]["file"], missing_dest_);
  EXPECT_EQ(broken["error"]["code"], "0x80070002");
  EXPECT_EQ(broken["error"]["context"], "REMOTE_FILE");
  EXPECT_TRUE(list[0]["error"].is_null());
  EXPECT_TRUE(list[0]["bytes_total"].is_null()) << "size unknown";
  EXPECT_EQ(list[0]["priority"], "HIGH");

  // Text: one line per job, starting with its id.
  r = RunCli(env_.address(), {"list"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::istringstream lines(r.out);
  std::string line;
  size_t n = 0;
  for (; std::getline(lines, line); ++n) {
    ASSERT_LT(n, jobs_.size()) << r.out;
    Guid id;
    jobs_[n]->GetId(&id);
    EXPECT_EQ(line.rfind(id.ToString(), 0), 0u) << line;
  }
  EXPECT_EQ(n, jobs_.size()) << r.out;
}

// A stand-in for ferryd on a private bus whose Manager.ListJobs and
// Job.GetInfo answer whatever the test writes, so that the SDK meets
// dictionaries ferryd never sends.
class FakeServiceTest : public ::testing::Test {
 protected:
  static constexpr const char* kJobPath = "/org/ferry/Ferry1/job/0123456789abcdef0123456789abcdef";
  using Dict = std::map<std::string, sdbus::Variant>;

  void SetUp() override {
    if (!test::BusFixture::Available()) GTEST_SKIP() << "dbus-daemon missing";
    Status s = bus_.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    try {
      conn_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
      conn_->requestName("org.ferry.Ferry1");
      manager_obj_ = sdbus::createObject(*conn_, "/org/ferry/Ferry1");
      manager_obj_->registerMethod("org.ferry.Ferry1.Manager", "ListJobs", "u", "aa{sv}",
                                   [this](sdbus::MethodCall call) {
                                     auto reply = call.createReply();
                                     list_reply_(reply);
                                     reply.send();
                                   });
      manager_obj_->registerMethod("org.ferry.Ferry1.Manager", "GetJob", "s", "o",
                                   [](sdbus::MethodCall call) {
                                     auto reply = call.createReply();
                                     reply << sdbus::ObjectPath(kJobPath);
                                     reply.send();
                                   });
      manager_obj_->finishRegistration();
      job_obj_ = sdbus::createObject(*conn_, kJobPath);
      job_obj_->registerMethod("org.ferry.Ferry1.Job", "GetInfo", "", "a{sv}",
                               [this](sdbus::MethodCall call) {
                                 auto reply = call.createReply();
                                 reply << info_;
                                 reply.send();
                               });
      job_obj_->finishRegistration();
      conn_->enterEventLoopAsync();
    } catch (const sdbus::Error& e) {
      FAIL() << "fake service: " << e.getName() << ": " << e.getMessage();
    }
    ConnectOptions o;
    o.bus = ConnectOptions::Bus::kAddress;
    o.address = bus_.address();
    s = Manager::Connect(o, &manager_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(Guid::Parse("0123456789abcdef0123456789abcdef", &job_id_));
  }
  void TearDown() override {
    manager_.reset();
    if (conn_) conn_->leaveEventLoop();
    job_obj_.reset();
    manager_obj_.reset();
    conn_.reset();
  }

  // ListJobs answers these dictionaries.
  void ListAnswers(std::vector<Dict> dicts) {
    list_reply_ = [dicts](sdbus::MethodReply& reply) { reply << dicts; };
  }
  // ListJobs with one job; what it returns, with a sentinel on failure.
  Status List(std::vector<JobSummary>* out) {
    out->assign(1, JobSummary{});
    out->front().display_name = "untouched";
    return manager_->ListJobs(0, out);
  }

  test::BusFixture bus_;
  std::unique_ptr<sdbus::IConnection> conn_;
  std::unique_ptr<sdbus::IObject> manager_obj_, job_obj_;
  std::function<void(sdbus::MethodReply&)> list_reply_ = [](sdbus::MethodReply& r) {
    r << std::vector<Dict>{};
  };
  Dict info_;
  std::unique_ptr<Manager> manager_;
  Guid job_id_;
};

TEST_F(FakeServiceTest, MissingKeysKeepTheDefaultsAndUnknownOnesAreIgnored) {
  ListAnswers({
      Dict{{"id", sdbus::Variant(std::string("{01234567-89ab-cdef-0123-456789abcdef}"))}},
      Dict{{"id", sdbus::Variant(std::string("fedcba9876543210fedcba9876543210"))},
           {"display_name", sdbus::Variant(std::string("in error"))},
           {"state_code", sdbus::Variant(uint32_t{4})},
           {"error_code", sdbus::Variant(int32_t{code::kInvalidState})},
           {"some_future_key", sdbus::Variant(std::map<std::string, uint32_t>{{"a", 1}})},
           {"another_one", sdbus::Variant(int64_t{-5})}},
  });
  std::vector<JobSummary> list;
  Status s = List(&list);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(list.size(), 2u);
  const JobSummary defaults;
  EXPECT_EQ(list[0].id, job_id_);
  EXPECT_EQ(list[0].display_name, "");
  EXPECT_EQ(list[0].state, defaults.state);
  EXPECT_EQ(list[0].notify_flags, defaults.notify_flags);
  EXPECT_EQ(list[0].progress.bytes_total, defaults.progress.bytes_total);
  EXPECT_EQ(list[0].owner_name, "");
  EXPECT_FALSE(list[0].has_error);
  EXPECT_EQ(list[1].display_name, "in error");
  EXPECT_EQ(list[1].state, JobState::kError);
  ASSERT_TRUE(list[1].has_error);
  EXPECT_EQ(list[1].error_code, code::kInvalidState);
  EXPECT_EQ(list[1].error_message, StatusCodeMessage(code::kInvalidState))
      << "no message: the code's sentence";
  EXPECT_EQ(list[1].error_file, -1);
  EXPECT_EQ(list[1].error_context, ErrorContext::kNone);
}

TEST_F(FakeServiceTest, AValueOfTheWrongTypeIsUnexpected) {
  ListAnswers({Dict{{"id", sdbus::Variant(std::string("{01234567-89ab-cdef-0123-456789abcdef}"))}},
               Dict{{"id", sdbus::Variant(std::string("{01234567-89ab-cdef-0123-456789abcdef}"))},
                    {"state_code", sdbus::Variant(std::string("ERROR"))}}});
  std::vector<JobSummary> list;
  Status s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_NE(s.message().find("state_code"), std::string::npos) << s.ToString();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].display_name, "untouched");

  ListAnswers({Dict{{"id", sdbus::Variant(std::string("{01234567-89ab-cdef-0123-456789abcdef}"))},
                    {"bytes_total", sdbus::Variant(uint32_t{5})}}});
  s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_NE(s.message().find("bytes_total"), std::string::npos) << s.ToString();
}

TEST_F(FakeServiceTest, AJobWithoutAUsableIdIsUnexpected) {
  std::vector<JobSummary> list;
  ListAnswers({Dict{{"display_name", sdbus::Variant(std::string("anonymous"))}}});
  Status s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  ListAnswers({Dict{{"id", sdbus::Variant(std::string("not a guid"))}}});
  s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_EQ(list[0].display_name, "untouched");
}

TEST_F(FakeServiceTest, AnAnswerThatIsNotAListOfDictionariesIsUnexpected) {
  std::vector<JobSummary> list;
  list_reply_ = [](sdbus::MethodReply& r) { r << std::vector<std::string>{"a", "b"}; };
  Status s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  list_reply_ = [](sdbus::MethodReply& r) { r << uint32_t{7}; };
  s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  list_reply_ = [](sdbus::MethodReply&) {};
  s = List(&list);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_EQ(list[0].display_name, "untouched");
  // The connection still works.
  ListAnswers({});
  s = List(&list);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(list.empty());
}

TEST_F(FakeServiceTest, GetSummaryAndTheGettersOnAnOddDictionary) {
  std::unique_ptr<Job> job;
  ASSERT_TRUE(manager_->GetJob(job_id_, &job).ok());

  info_ = Dict{{"display_name", sdbus::Variant(std::string("no id"))}};
  JobSummary summary;
  Status s = job->GetSummary(&summary);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(summary.id, job_id_) << "the handle's id";
  EXPECT_EQ(summary.display_name, "no id");
  // A getter has nothing to return for a missing key.
  JobState state{};
  EXPECT_EQ(job->GetState(&state).code(), code::kNotImpl);

  info_ = Dict{{"state_code", sdbus::Variant(std::string("QUEUED"))},
               {"bytes_total", sdbus::Variant(uint64_t{1})},
               {"bytes_transferred", sdbus::Variant(true)},
               {"files_total", sdbus::Variant(uint32_t{1})},
               {"files_transferred", sdbus::Variant(uint32_t{0})}};
  summary.display_name = "untouched";
  s = job->GetSummary(&summary);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_EQ(summary.display_name, "untouched");
  s = job->GetState(&state);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  JobProgress progress;
  s = job->GetProgress(&progress);
  EXPECT_EQ(s.code(), code::kUnexpected) << s.ToString();
  EXPECT_NE(s.message().find("bytes_transferred"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace ferry::test
