// core/resume_rules.h from a table: each row is what the store knew of a
// file, the request, the origin's answer, and the decision with the record
// it leaves (semantics.md §6). Add a row for every new rule or bug.
#include "core/resume_rules.h"

#include <gtest/gtest.h>

#include <vector>

#include "util/status_codes.h"

namespace ferry::core {
namespace {

constexpr uint64_t U = kSizeUnknown;
using A = ResumeAction;

struct Row {
  const char* name;
  // The file before the response.
  FileFacts stored;
  std::vector<FileRange> ranges;
  uint64_t written;
  uint64_t request_offset;
  std::optional<uint64_t> request_length;
  // The origin's answer.
  int status;
  bool partial;
  uint64_t body_offset, body_length, total_size;
  const char* etag;
  const char* last_modified;
  // The decision.
  A action;
  int32_t code;  // kFail only
  FileFacts facts;
};

ByteResponse Response(const Row& r) {
  ByteResponse resp;
  resp.status = r.status;
  resp.partial = r.partial;
  resp.body_offset = r.body_offset;
  resp.body_length = r.body_length;
  resp.total_size = r.total_size;
  resp.etag = r.etag;
  resp.last_modified = r.last_modified;
  return resp;
}

const FileFacts kNone{"", "", U, U};
const FileFacts kV1At100{"\"v1\"", "Mon", 100, U};

// clang-format off
const Row kRows[] = {
    // --- whole files ---
    {"first request, 200 with a size", kNone, {}, 0, 0, {},
     200, false, 0, 100, 100, "\"v1\"", "Mon", A::kAccept, 0, {"\"v1\"", "Mon", 100, U}},
    {"first request, chunked 200: size unknown", kNone, {}, 0, 0, {},
     200, false, 0, U, U, "\"v1\"", "", A::kAccept, 0, {"\"v1\"", "", U, U}},
    {"resume, 206 from the offset with the same ETag", kV1At100, {}, 40, 40, {},
     206, true, 40, 60, 100, "\"v1\"", "Mon", A::kAccept, 0, kV1At100},
    {"resume, 206 from another offset", kV1At100, {}, 40, 40, {},
     206, true, 0, 100, 100, "\"v1\"", "Mon", A::kFail, code::kHttpBlocksizeMismatch, kV1At100},
    {"resume, 206 with a changed ETag: restart", kV1At100, {}, 40, 40, {},
     206, true, 40, 60, 100, "\"v2\"", "Mon", A::kRestart, 0, kV1At100},
    {"resume, 206 with a changed size: restart", kV1At100, {}, 40, 40, {},
     206, true, 40, 80, 120, "\"v1\"", "Mon", A::kRestart, 0, kV1At100},
    {"resume, Last-Modified changed without an ETag: restart", {"", "Mon", 100, U}, {}, 40, 40, {},
     206, true, 40, 60, 100, "", "Tue", A::kRestart, 0, {"", "Mon", 100, U}},
    {"resume, 200 (Range ignored): restart and take the body", kV1At100, {}, 40, 40, {},
     200, false, 0, 100, 100, "\"v1\"", "Mon", A::kRestartAccept, 0, {"\"v1\"", "Mon", 100, U}},
    {"resume, 200 with a new version (If-Range failed)", kV1At100, {}, 40, 40, {},
     200, false, 0, 90, 90, "\"v2\"", "Wed", A::kRestartAccept, 0, {"\"v2\"", "Wed", 90, U}},
    {"resume, 206 without validators keeps the stored ones", kV1At100, {}, 40, 40, {},
     206, true, 40, 60, 100, "", "", A::kAccept, 0, kV1At100},
    {"first request, stored validators are replaced", {"\"old\"", "Sun", U, U}, {}, 0, 0, {},
     200, false, 0, 10, U, "\"new\"", "Mon", A::kAccept, 0, {"\"new\"", "Mon", 10, U}},
    {"416 for a file already whole: complete", kV1At100, {}, 100, 100, {},
     416, false, 0, U, 100, "", "", A::kComplete, 0, kV1At100},
    {"416 with the size unknown in the answer, stored size matches", kV1At100, {}, 100, 100, {},
     416, false, 0, U, U, "", "", A::kComplete, 0, kV1At100},
    {"416 after a partial download: restart", kV1At100, {}, 40, 40, {},
     416, false, 0, U, 30, "", "", A::kRestart, 0, kV1At100},
    {"416 for a whole file that is whole but changed: restart", kV1At100, {}, 100, 100, {},
     416, false, 0, U, 100, "\"v2\"", "", A::kRestart, 0, kV1At100},
    {"416 to a request for the whole file: fail", kNone, {}, 0, 0, {},
     416, false, 0, U, U, "", "", A::kFail, code::HttpError(416), kNone},
    {"announced size differs from the caller's", {"", "", U, 50}, {}, 0, 0, {},
     200, false, 0, 60, 60, "\"v1\"", "", A::kFail, code::kHttpBlocksizeMismatch, {"", "", U, 50}},
    {"announced size (body length) matches the caller's", {"", "", U, 60}, {}, 0, 0, {},
     200, false, 0, 60, U, "\"v1\"", "", A::kAccept, 0, {"\"v1\"", "", 60, 60}},

    // --- files with ranges ---
    {"range, 206 at the offset asked", kNone, {{10, 5}, {100, 5}}, 0, 10, 5,
     206, true, 10, 5, 200, "\"v1\"", "Mon", A::kAccept, 0, {"\"v1\"", "Mon", 10, 200}},
    {"range to EOF, total learnt", kNone, {{10, kLengthToEof}}, 0, 10, {},
     206, true, 10, 190, 200, "\"v1\"", "", A::kAccept, 0, {"\"v1\"", "", 190, 200}},
    {"range, 200 (Range ignored): fail", kNone, {{10, 5}}, 0, 10, 5,
     200, false, 0, 200, 200, "\"v1\"", "", A::kFail, code::kInsufficientRangeSupport, kNone},
    {"range, 200 with a new version: restart", {"\"v1\"", "", 5, 200}, {{10, 5}}, 2, 12, 3,
     200, false, 0, 200, 200, "\"v2\"", "", A::kRestart, 0, {"\"v1\"", "", 5, 200}},
    {"range, 206 at another offset: fail", kNone, {{10, 5}}, 0, 10, 5,
     206, true, 0, 5, 200, "", "", A::kFail, code::kHttpBlocksizeMismatch, kNone},
    {"range, changed ETag after some bytes: restart", {"\"v1\"", "", 5, 200}, {{10, 5}}, 2, 12, 3,
     206, true, 12, 3, 200, "\"v2\"", "", A::kRestart, 0, {"\"v1\"", "", 5, 200}},
    {"range, changed ETag before any byte: accept, keep the stored", {"\"v1\"", "", 5, 200},
     {{10, 5}}, 0, 10, 5, 206, true, 10, 5, 200, "\"v2\"", "", A::kAccept, 0,
     {"\"v1\"", "", 5, 200}},
    {"range beyond the end of the remote file: fail, size learnt", kNone, {{10, 5}, {300, 5}}, 0,
     10, 5, 206, true, 10, 5, 200, "", "", A::kFail, code::kInvalidRange, {"", "", U, 200}},
    {"range, a body length other than asked: fail, sizes learnt", kNone, {{10, 5}}, 0, 10, 5,
     206, true, 10, 4, 200, "", "", A::kFail, code::kHttpBlocksizeMismatch, {"", "", 5, 200}},
    {"range, 416: fail", kNone, {{300, 5}}, 0, 300, 5,
     416, false, 0, U, 200, "", "", A::kFail, code::kInvalidRange, kNone},
};
// clang-format on

class ResumeRulesTableTest : public testing::TestWithParam<Row> {};

TEST_P(ResumeRulesTableTest, Decides) {
  const Row& r = GetParam();
  ResumeInput in{r.stored, r.ranges, r.written, r.request_offset, r.request_length};
  ResumeDecision d = DecideResume(in, Response(r));
  EXPECT_EQ(static_cast<int>(d.action), static_cast<int>(r.action)) << r.name;
  if (r.action == A::kFail) {
    EXPECT_EQ(d.code, r.code) << r.name;
    EXPECT_FALSE(d.message.empty()) << r.name;
  }
  EXPECT_EQ(d.facts.etag, r.facts.etag) << r.name;
  EXPECT_EQ(d.facts.last_modified, r.facts.last_modified) << r.name;
  EXPECT_EQ(d.facts.bytes_total, r.facts.bytes_total) << r.name;
  EXPECT_EQ(d.facts.expected_size, r.facts.expected_size) << r.name;
}

INSTANTIATE_TEST_SUITE_P(Table, ResumeRulesTableTest, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& info) {
                           return "row" + std::to_string(info.index);
                         });

TEST(RangeLengthTest, ToEofNeedsTheRemoteSize) {
  EXPECT_EQ(RangeLength({10, 5}, U), 5u);
  EXPECT_EQ(RangeLength({10, kLengthToEof}, U), std::nullopt);
  EXPECT_EQ(RangeLength({10, kLengthToEof}, 10), std::nullopt);
  EXPECT_EQ(RangeLength({10, kLengthToEof}, 25), 15u);
  std::vector<FileRange> ranges{{0, 5}, {10, kLengthToEof}};
  EXPECT_EQ(RangesTotal(ranges, U), std::nullopt);
  EXPECT_EQ(RangesTotal(ranges, 30), 25u);
}

}  // namespace
}  // namespace ferry::core
