// Malformed and hostile calls do not crash ferryd and are answered with their
// documented errors (docs/dbus-api.md "Errors", semantics.md §1): through
// busctl on the raw interface (wrong signatures, unknown members, bad
// paths, out-of-range enums and flags, bogus descriptors) and through the
// SDK (bad UTF-8, huge strings, relative paths). After each batch ferryd
// still owns its name and serves a normal call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/temp_dir.h"
#include "support/unix_users.h"

namespace ferry::test {
namespace {

class HostileCallsTest : public ServiceTest {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/busctl", X_OK) != 0) GTEST_SKIP() << "busctl missing";
    ServiceTest::SetUp();
    // Shared, so that a second user can try calls too (when root).
    StartService({}, /*shared_bus=*/true);
  }

  // busctl call org.ferry.Ferry1 PATH INTERFACE METHOD [SIGNATURE ARGS…]
  test::CommandResult Busctl(const std::string& path, const std::string& interface,
                             const std::vector<std::string>& method_and_args,
                             const test::RunOptions& options = {}) {
    // "--": arguments such as "-1" are not options.
    std::vector<std::string> argv = {"busctl", "--address=" + env_.address(), "--timeout=20", "call", "--",
                                     "org.ferry.Ferry1", path, interface};
    argv.insert(argv.end(), method_and_args.begin(), method_and_args.end());
    test::RunOptions o = options;
    o.timeout = std::chrono::seconds(40);
    return test::RunCommand(argv, o);
  }
  test::CommandResult Manager(const std::vector<std::string>& args) {
    return Busctl("/org/ferry/Ferry1", "org.ferry.Ferry1.Manager", args);
  }
  test::CommandResult JobCall(const std::string& path, const std::vector<std::string>& args,
                              const test::RunOptions& options = {}) {
    return Busctl(path, "org.ferry.Ferry1.Job", args, options);
  }

  // ferryd is alive and serves a normal call.
  ::testing::AssertionResult StillServing() {
    int code = 0;
    if (env_.ferryd().Exited(&code))
      return ::testing::AssertionFailure() << "ferryd exited (" << code << "): " << env_.ferryd().Log();
    Guid id;
    std::unique_ptr<Job> job;
    Status s = manager_->CreateJob("still here", JobType::kDownload, &id, &job);
    if (!s.ok()) return ::testing::AssertionFailure() << "CreateJob: " << s.ToString();
    s = job->Cancel();
    if (!s.ok()) return ::testing::AssertionFailure() << "Cancel: " << s.ToString();
    return ::testing::AssertionSuccess();
  }

  // A fresh job's object path (hex form).
  std::string NewJobPath(std::unique_ptr<Job>* keep) {
    Guid id;
    Status s = manager_->CreateJob("target", JobType::kDownload, &id, keep);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return "/org/ferry/Ferry1/job/" + id.ToHex();
  }

};

// busctl prints the error's message, which ferryd starts with the code as
// "0x%08X: " (docs/dbus-api.md "Errors").
std::string CodeText(int32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X:", static_cast<uint32_t>(c));
  return buf;
}

#define EXPECT_DBUS_ERROR(result, want_code)                                                        \
  do {                                                                                              \
    const auto& r_ = (result);                                                                      \
    EXPECT_NE(r_.exit_code, 0) << r_.Describe();                                                    \
    EXPECT_NE(r_.err.find(CodeText(want_code)), std::string::npos)                                  \
        << "want " << Status(want_code, "").ToString() << ": " << r_.Describe();                    \
  } while (0)

TEST_F(HostileCallsTest, MalformedManagerCalls) {
  // Wrong signatures, missing arguments, unknown members.
  EXPECT_NE(Manager({"CreateJob", "ss", "name", "x"}).exit_code, 0);
  EXPECT_NE(Manager({"CreateJob"}).exit_code, 0);
  EXPECT_NE(Manager({"NoSuchMethod"}).exit_code, 0);
  EXPECT_NE(Busctl("/org/ferry/Ferry1", "org.ferry.Ferry1.NoSuchInterface", {"CreateJob", "su", "n", "0"})
                .exit_code,
            0);
  // Arguments out of range.
  EXPECT_DBUS_ERROR(Manager({"CreateJob", "su", "", "0"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(Manager({"CreateJob", "su", "up", "1"}), code::kNotImpl);
  EXPECT_DBUS_ERROR(Manager({"CreateJob", "su", "bad type", "4294967295"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(Manager({"CreateJob", "su", std::string(100000, 'x'), "0"}), code::kStringTooLong);
  EXPECT_DBUS_ERROR(Manager({"EnumJobs", "u", "65535"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(Manager({"ListJobs", "u", "2"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(Manager({"GetJob", "s", "not-a-guid"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(Manager({"GetJob", "s", "{00000000-0000-0000-0000-000000000001}"}), code::kJobNotFound);
  EXPECT_DBUS_ERROR(Manager({"GetJob", "s", std::string(70000, 'a')}), code::kInvalidArg);
  // Never fails, whatever the code.
  EXPECT_EQ(Manager({"GetErrorDescription", "i", "-1"}).exit_code, 0);
  EXPECT_EQ(Manager({"GetErrorDescription", "i", "12345"}).exit_code, 0);
  EXPECT_TRUE(StillServing());
}

TEST_F(HostileCallsTest, MalformedJobCalls) {
  std::unique_ptr<Job> keep;
  const std::string path = NewJobPath(&keep);
  ASSERT_TRUE(keep);
  // Paths that are not live jobs.
  EXPECT_NE(JobCall("/org/ferry/Ferry1/job/00000000000000000000000000000000", {"GetInfo"}).exit_code, 0);
  EXPECT_NE(JobCall("/org/ferry/Ferry1/job/zz", {"Resume"}).exit_code, 0);
  EXPECT_NE(JobCall("/org/ferry/Ferry1/job", {"Cancel"}).exit_code, 0);
  EXPECT_NE(JobCall("/", {"Cancel"}).exit_code, 0);
  // Local names and URLs.
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "http://127.0.0.1:1/f", "relative/path"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "http://127.0.0.1:1/f", "/tmp/../etc/x"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "http://127.0.0.1:1/f", ""}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "http://127.0.0.1:1/f", "/"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "gopher://x/f", "/tmp/ferry-hostile.bin"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "", "/tmp/ferry-hostile.bin"}), code::kInvalidArg);
  EXPECT_NE(JobCall(path, {"AddFile", "ss", "http://x/" + std::string(100000, 'a'), "/tmp/ferry-hostile.bin"})
                .exit_code,
            0);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFileSet", "a(ss)", "0"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFileWithRanges", "sssa(tt)t", "", "http://127.0.0.1:1/f",
                                   "/tmp/ferry-hostile.bin", "0", "18446744073709551615"}),
                    code::kInvalidArg);
  EXPECT_NE(JobCall(path, {"AddFileWithRanges", "sssa(tt)t", "", "http://127.0.0.1:1/f", "/tmp/ferry-hostile.bin",
                           "2", "0", "10", "5", "10", "18446744073709551615"})
                .exit_code,
            0);  // overlapping
  EXPECT_NE(JobCall(path, {"AddFileWithRanges", "sssa(tt)t", "", "http://127.0.0.1:1/f", "/tmp/ferry-hostile.bin",
                           "1", "18446744073709551615", "1", "18446744073709551615"})
                .exit_code,
            0);  // offset at the to-EOF sentinel
  // Flags and enums.
  EXPECT_DBUS_ERROR(JobCall(path, {"SetNotifyFlags", "u", "256"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetNotifyFlags", "u", "4294967295"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetPriority", "u", "99"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetProxySettings", "uss", "9", "", ""}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetDisplayName", "s", ""}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetDisplayName", "s", std::string(300, 'n')}), code::kStringTooLong);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetDescription", "s", std::string(2000, 'd')}), code::kStringTooLong);
  EXPECT_NE(JobCall(path, {"SetCustomHeaders", "s", std::string(120000, 'h')}).exit_code, 0);
  // Accepted or refused, but no crash (checked below).
  (void)JobCall(path, {"SetCustomHeaders", "s", "No-Colon-Here\r\nX: y\r\n\r\nInjected: z"});
  EXPECT_NE(JobCall(path, {"SetNotifyCmdLine", "ss", "relative/prog", ""}).exit_code, 0);
  // File indexes out of range.
  EXPECT_DBUS_ERROR(JobCall(path, {"GetFileRanges", "u", "99"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetFileRemoteName", "us", "7", "http://127.0.0.1:1/x"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetFileIntegrity", "us", "0", "zz"}), code::kInvalidArg);
  EXPECT_DBUS_ERROR(JobCall(path, {"GetFileStats", "u", "4294967295"}), code::kInvalidArg);
  // State rules.
  EXPECT_DBUS_ERROR(JobCall(path, {"Resume"}), code::kJobEmpty);
  EXPECT_DBUS_ERROR(JobCall(path, {"GetError"}), code::kErrorInformationUnavailable);
  // A descriptor that is not a writable regular file (busctl's own stdin,
  // /dev/null) for a file index that does not exist.
  EXPECT_NE(JobCall(path, {"Complete", "a{uh}", "1", "5", "0"}).exit_code, 0);
  // Wrong signature on a job method.
  EXPECT_NE(JobCall(path, {"SetPriority", "s", "high"}).exit_code, 0);
  EXPECT_NE(JobCall(path, {"AddFile", "s", "http://127.0.0.1:1/f"}).exit_code, 0);
  EXPECT_TRUE(StillServing());
  // The target job is still a normal job.
  JobState state{};
  ASSERT_TRUE(keep->GetState(&state).ok());
  EXPECT_EQ(state, JobState::kSuspended);
  EXPECT_TRUE(keep->Cancel().ok());
  // Calls on a cancelled job's path.
  EXPECT_NE(JobCall(path, {"Resume"}).exit_code, 0);
  EXPECT_TRUE(StillServing());
}

TEST_F(HostileCallsTest, BadStringsThroughTheSdk) {
  Guid id;
  std::unique_ptr<Job> job;
  // Not UTF-8: refused (by the SDK's bus library or by ferryd), never a crash.
  EXPECT_FALSE(manager_->CreateJob("bad \xff\xfe utf-8", JobType::kDownload, &id, &job).ok());
  // Huge strings.
  Status s = manager_->CreateJob(std::string(4 << 20, 'x'), JobType::kDownload, &id, &job);
  EXPECT_EQ(s.code(), code::kStringTooLong) << s.ToString();
  ASSERT_TRUE(manager_->CreateJob("target", JobType::kDownload, &id, &job).ok());
  s = job->SetDescription(std::string(1 << 20, 'd'));
  EXPECT_EQ(s.code(), code::kStringTooLong) << s.ToString();
  EXPECT_FALSE(job->SetDescription("bad \xc3\x28").ok());
  EXPECT_FALSE(job->AddFile("http://127.0.0.1:1/\xff", "/tmp/ferry-hostile.bin").ok());
  s = job->AddFile("http://127.0.0.1:1/f", "relative.bin");
  EXPECT_EQ(s.code(), code::kInvalidArg) << s.ToString();
  s = job->AddFile("http://127.0.0.1:1/f", "/no/such/dir/f.bin");
  EXPECT_FALSE(s.ok()) << s.ToString();
  s = job->SetNotifyFlags(0x20);
  EXPECT_EQ(s.code(), code::kInvalidArg) << s.ToString();
  std::vector<FileRange> overlapping = {{0, 10}, {5, 10}};
  s = job->AddFileWithRanges("", "http://127.0.0.1:1/f", "/tmp/ferry-hostile.bin", overlapping);
  EXPECT_EQ(s.code(), code::kOverlappingRanges) << s.ToString();
  std::vector<FileRange> empty_range = {{0, 0}};
  s = job->AddFileWithRanges("", "http://127.0.0.1:1/f", "/tmp/ferry-hostile.bin", empty_range);
  EXPECT_EQ(s.code(), code::kInvalidRange) << s.ToString();
  std::vector<std::unique_ptr<Job>> jobs;
  s = manager_->EnumJobs(0x80, &jobs);
  EXPECT_EQ(s.code(), code::kInvalidArg) << s.ToString();
  EXPECT_TRUE(job->Cancel().ok());
  EXPECT_TRUE(StillServing());
}

// A string with an embedded NUL is refused with E_INVALIDARG by the SDK
// (D-Bus strings end at NUL). (Regression: it was silently cut at the NUL.)
TEST_F(HostileCallsTest, EmbeddedNulIsRefused) {
  Guid id;
  std::unique_ptr<Job> job;
  Status s = manager_->CreateJob(std::string("nul\0inside", 10), JobType::kDownload, &id, &job);
  EXPECT_EQ(s.code(), code::kInvalidArg) << s.ToString();
  if (s.ok()) job->Cancel();
}

// Another user's raw calls on a job (needs root to switch users).
TEST_F(HostileCallsTest, AddFileOnSomeoneElsesJob) {
  if (!test::IsRoot()) GTEST_SKIP() << "needs root to run calls as another user";
  test::UnixUser b;
  Status s = test::EnsureUser("ferrytest-b", &b);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<Job> keep;
  const std::string path = NewJobPath(&keep);
  test::RunOptions as_b;
  as_b.as = b;
  EXPECT_DBUS_ERROR(JobCall(path, {"AddFile", "ss", "http://127.0.0.1:1/f", "/tmp/ferrytest-b.bin"}, as_b),
                    code::kAccessDenied);
  EXPECT_DBUS_ERROR(JobCall(path, {"SetNotifyCmdLine", "ss", "/bin/sh", "-c id"}, as_b), code::kAccessDenied);
  EXPECT_DBUS_ERROR(JobCall(path, {"Cancel"}, as_b), code::kAccessDenied);
  EXPECT_DBUS_ERROR(JobCall(path, {"TakeOwnership"}, as_b), code::kAccessDenied);
  EXPECT_DBUS_ERROR(Busctl("/org/ferry/Ferry1", "org.ferry.Ferry1.Manager", {"EnumJobs", "u", "1"}, as_b),
                    code::kAccessDenied);
  std::vector<std::unique_ptr<File>> files;
  ASSERT_TRUE(keep->EnumFiles(&files).ok());
  EXPECT_TRUE(files.empty());
  uint32_t flags = 0;
  ASSERT_TRUE(keep->GetNotifyFlags(&flags).ok());
  std::string program, params;
  if (keep->GetNotifyCmdLine(&program, &params).ok()) {
    EXPECT_TRUE(program.empty()) << program;
  }
  EXPECT_TRUE(keep->Cancel().ok());
  EXPECT_TRUE(StillServing());
}

}  // namespace
}  // namespace ferry::test
