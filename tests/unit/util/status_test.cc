#include <gtest/gtest.h>

#include <cerrno>

#include "ferry/status.h"
#include "ferry/types.h"
#include "util/status_codes.h"

namespace ferry {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), 0);
  EXPECT_EQ(s.Name(), "S_OK");
}

TEST(StatusTest, SuccessCodesAreOk) {
  EXPECT_TRUE(Status(code::kFalse, "").ok());
  EXPECT_TRUE(Status(code::kPartialComplete, "").ok());
  EXPECT_FALSE(Status(code::kInvalidState, "").ok());
}

TEST(StatusTest, ToStringHasHexNameAndMessage) {
  Status s(code::kInvalidState, "job is cancelled");
  EXPECT_EQ(s.ToString(), "0x80D02013 DO_E_INVALID_STATE: job is cancelled");
  Status t(code::kJobEmpty, "");
  EXPECT_EQ(t.ToString(), "0x80D02004 DO_E_JOB_EMPTY: The job has no files: add a file first.");
}

TEST(StatusTest, HttpCodes) {
  EXPECT_EQ(static_cast<uint32_t>(code::HttpError(404)), 0x80190194u);
  EXPECT_EQ(StatusCodeName(code::HttpError(404)), "BG_E_HTTP_ERROR_404");
}

TEST(StatusTest, TableValuesMatchSemantics) {
  // Spot checks against semantics.md §1.
  struct { const char* name; uint32_t value; } rows[] = {
      {"E_NOTIMPL", 0x80004001}, {"E_ACCESSDENIED", 0x80070005}, {"E_INVALIDARG", 0x80070057},
      {"E_NOT_SET", 0x80070490}, {"DO_E_JOB_NOT_FOUND", 0x80D02003},
      {"DO_E_JOB_TOO_OLD", 0x80D0200C}, {"DO_E_DOWNLOAD_NO_PROGRESS", 0x80D02002},
      {"DO_E_BLOCKED_BY_NO_NETWORK", 0x80D03805}, {"DO_E_INVALID_RANGE", 0x80D05010},
      {"BG_E_STRING_TOO_LONG", 0x80200021}, {"BG_E_VALIDATION_FAILED", 0x80200053},
      {"BG_S_PARTIAL_COMPLETE", 0x00200017}, {"BG_S_UNABLE_TO_DELETE_FILES", 0x0020001A},
  };
  for (auto& r : rows) EXPECT_EQ(StatusCodeName(static_cast<int32_t>(r.value)), r.name);
  // Names are unique.
  auto all = AllStatusCodes();
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i].value, all[j].value) << all[i].name;
}

TEST(StatusTest, TransientRule) {
  EXPECT_TRUE(code::IsTransientCode(code::kBlockedByNoNetwork));
  EXPECT_TRUE(code::IsTransientCode(code::kBlockedByCostPolicy));
  EXPECT_FALSE(code::IsTransientCode(code::kInvalidState));
}

TEST(StatusTest, ErrnoMapping) {
  EXPECT_EQ(static_cast<uint32_t>(CodeFromErrno(ENOSPC)), 0x80070070u);
  EXPECT_EQ(CodeFromErrno(EACCES), code::kAccessDenied);
  EXPECT_EQ(ErrnoStatus(ENOSPC, "pwrite").Name(), "ERROR_DISK_FULL");
}

TEST(GuidTest, RoundTrip) {
  Guid g = Guid::Random();
  Guid p;
  ASSERT_TRUE(Guid::Parse(g.ToString(), &p));
  EXPECT_EQ(g, p);
  ASSERT_TRUE(Guid::Parse(g.ToHex(), &p));
  EXPECT_EQ(g, p);
  EXPECT_EQ(g.ToString().size(), 38u);
  EXPECT_EQ(g.bytes[6] >> 4, 4);
  EXPECT_FALSE(Guid::Parse("{not-a-guid}", &p));
  EXPECT_FALSE(Guid::Parse("", &p));
}

}  // namespace
}  // namespace ferry
