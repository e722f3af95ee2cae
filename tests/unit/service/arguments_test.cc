// Bus argument validation (service/arguments.h) and the adaptor guard.
#include "service/arguments.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "service/guard.h"
#include "service/notify_program.h"

namespace ferry::service {
namespace {

TEST(Arguments, Strings) {
  EXPECT_TRUE(CheckString("x", "plain", 10).ok());
  EXPECT_TRUE(CheckString("x",
                          "gr\xC3\xBC\xC3\x9F"
                          "e",
                          10)
                  .ok());
  EXPECT_EQ(CheckString("x", "\xFF\xFE", 10).code(), code::kInvalidArg);
  EXPECT_EQ(CheckString("x", "\xC3", 10).code(), code::kInvalidArg);          // truncated sequence
  EXPECT_EQ(CheckString("x", "\xED\xA0\x80", 10).code(), code::kInvalidArg);  // surrogate
  EXPECT_EQ(CheckString("x", std::string("a\0b", 3), 10).code(), code::kInvalidArg);
  EXPECT_EQ(CheckString("x", std::string(11, 'a'), 10).code(), code::kStringTooLong);
}

TEST(Arguments, JobIds) {
  Guid id;
  EXPECT_TRUE(ParseJobId("{8a7c4b3e-0d1f-4c2a-9b5e-6f7a8b9c0d1e}", &id).ok());
  EXPECT_TRUE(ParseJobId("8a7c4b3e-0d1f-4c2a-9b5e-6f7a8b9c0d1e", &id).ok());
  EXPECT_TRUE(ParseJobId("8a7c4b3e0d1f4c2a9b5e6f7a8b9c0d1e", &id).ok());
  EXPECT_EQ(ParseJobId("", &id).code(), code::kInvalidArg);
  EXPECT_EQ(ParseJobId("nonsense", &id).code(), code::kInvalidArg);
  EXPECT_EQ(ParseJobId(std::string(100000, 'a'), &id).code(), code::kInvalidArg);
}

TEST(Arguments, RemoteUrls) {
  EXPECT_TRUE(CheckRemoteUrl("http://example.org/a", true).ok());
  EXPECT_TRUE(CheckRemoteUrl("HTTPS://example.org/a", false).ok());
  EXPECT_TRUE(CheckRemoteUrl("file:///srv/a", true).ok());
  EXPECT_EQ(CheckRemoteUrl("file:///etc/shadow", false).code(), code::kInvalidArg);  // system mode
  EXPECT_EQ(CheckRemoteUrl("ftp://example.org/a", true).code(), code::kInvalidArg);
  EXPECT_EQ(CheckRemoteUrl("", true).code(), code::kInvalidArg);
  EXPECT_EQ(CheckRemoteUrl("http://x/" + std::string(3000, 'a'), true).code(),
            code::kStringTooLong);
}

TEST(Arguments, LocalNames) {
  EXPECT_TRUE(CheckLocalName("/tmp/a.bin").ok());
  EXPECT_EQ(CheckLocalName("").code(), code::kInvalidArg);
  EXPECT_EQ(CheckLocalName("relative/a").code(), code::kInvalidArg);
  EXPECT_EQ(CheckLocalName("/tmp/../etc/passwd").code(), code::kInvalidArg);
  EXPECT_EQ(CheckLocalName("/tmp/./a").code(), code::kInvalidArg);
  EXPECT_EQ(CheckLocalName("/tmp/..").code(), code::kInvalidArg);
  EXPECT_EQ(CheckLocalName("/tmp/dir/").code(), code::kInvalidArg);
  EXPECT_TRUE(CheckLocalName("/tmp/..hidden").ok());
}

TEST(Arguments, FlagsAndEnums) {
  EXPECT_TRUE(CheckEnumFlags(0).ok());
  EXPECT_TRUE(CheckEnumFlags(kEnumAllUsers).ok());
  EXPECT_EQ(CheckEnumFlags(2).code(), code::kInvalidArg);
  EXPECT_EQ(CheckEnumFlags(0x80000000u).code(), code::kInvalidArg);
  EXPECT_TRUE(CheckJobType(0).ok());
  EXPECT_EQ(CheckJobType(3).code(), code::kInvalidArg);
  EXPECT_TRUE(CheckPriority(3).ok());
  EXPECT_EQ(CheckPriority(4).code(), code::kInvalidArg);
  EXPECT_EQ(CheckPriority(UINT32_MAX).code(), code::kInvalidArg);
  EXPECT_TRUE(CheckProxyUsage(3).ok());
  EXPECT_EQ(CheckProxyUsage(4).code(), code::kInvalidArg);
  EXPECT_TRUE(CheckNotifyFlags(0x1F).ok());
  EXPECT_EQ(CheckNotifyFlags(0x20).code(), code::kInvalidArg);
}


TEST(Guard, EverythingBecomesAnSdbusError) {
  EXPECT_EQ(Guarded("t", [] { return 7; }), 7);
  try {
    Guarded("t", []() -> int { throw StatusError(Status(code::kInvalidState, "nope")); });
    FAIL();
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.ferry.Ferry1.Error.DO_E_INVALID_STATE");
  }
  try {
    Guarded("t", [] { throw std::runtime_error("boom"); });
    FAIL();
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.ferry.Ferry1.Error.E_UNEXPECTED");
  }
  try {
    Guarded("t", [] { throw 42; });
    FAIL();
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.ferry.Ferry1.Error.E_UNEXPECTED");
  }
  try {
    Guarded("t", [] { throw sdbus::Error("org.x.Y", "passes"); });
    FAIL();
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.x.Y");
  }
}

TEST(NotifyProgram, ArgvSubstitutesAndSplits) {
  Guid id = Guid::Random();
  auto argv = NotifyArgv("/usr/bin/app", "--job %JOBID% \"state is %STATE%\"  x", id,
                         JobState::kTransferred);
  ASSERT_EQ(argv.size(), 5u);
  EXPECT_EQ(argv[0], "/usr/bin/app");
  EXPECT_EQ(argv[1], "--job");
  EXPECT_EQ(argv[2], id.ToString());
  EXPECT_EQ(argv[3], "state is TRANSFERRED");
  EXPECT_EQ(argv[4], "x");
  EXPECT_EQ(NotifyArgv("/bin/true", "", id, JobState::kError).size(), 1u);
}

}  // namespace
}  // namespace ferry::service
