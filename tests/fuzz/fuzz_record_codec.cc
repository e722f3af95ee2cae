// The store's record decoding (src/store/record_codec): the ranges text and
// whole rows of the jobs (with their error columns), files and history tables
// as a damaged or hand-edited database could hold them.
//
// Invariants: decoded ranges encode to text that decodes to the same ranges;
// a row that reads without error is a record that binds and reads back to
// exactly the same values (decode . encode is the identity on records).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "lib/sqlite/database.h"
#include "store/record_codec.h"

namespace {

using namespace ferry;
using namespace ferry::store;

size_t ColumnCount(std::string_view columns) {
  return static_cast<size_t>(std::count(columns.begin(), columns.end(), ',')) + 1;
}

sqlite::Database& Db() {
  static std::unique_ptr<sqlite::Database> db = [] {
    auto r = sqlite::Database::Open(":memory:",
                                    sqlite::open_flags::kReadWrite | sqlite::open_flags::kCreate);
    FUZZ_CHECK(r.ok());
    return std::move(r).value();
  }();
  return *db;
}

// "SELECT ?1, ?2, …": a one-row result whose columns are the bound values.
sqlite::Statement Select(size_t columns) {
  std::string sql = "SELECT ?";
  for (size_t i = 1; i < columns; ++i) sql += ",?";
  auto s = Db().Prepare(sql);
  FUZZ_CHECK(s.ok());
  return std::move(s).value();
}

// Each column: NULL, an integer, a text or a blob, as the input says.
void BindFuzzedRow(FuzzedDataProvider& in, sqlite::Statement& s, size_t columns) {
  for (size_t i = 1; i <= columns; ++i) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
        s.BindNull(static_cast<int>(i));
        break;
      case 1:
        s.BindInt64(static_cast<int>(i), in.ConsumeIntegralInRange<int64_t>(-2, 10));
        break;
      case 2:
        s.BindInt64(static_cast<int>(i), in.ConsumeIntegral<int64_t>());
        break;
      case 3:
        s.BindText(static_cast<int>(i), in.ConsumeRandomLengthString(64));
        break;
      default: {
        std::string b = in.ConsumeRandomLengthString(20);
        s.BindBlob(static_cast<int>(i), std::as_bytes(std::span(b.data(), b.size())));
      }
    }
  }
}

// The row as text: one NULL marker or value per column.
std::string Row(const sqlite::Statement& s, size_t columns) {
  std::string out;
  for (size_t i = 0; i < columns; ++i) {
    int c = static_cast<int>(i);
    out += s.ColumnIsNull(c) ? std::string("\x01N") : "\x01V" + s.ColumnText(c);
  }
  return out;
}

// Reads the fuzzed row; when it is a record, binds it, reads that back, and
// requires the two bound rows to be identical.
template <typename Record, typename Read, typename Bind>
void RoundTrip(FuzzedDataProvider& in, size_t columns, Read read, Bind bind) {
  sqlite::Statement s = Select(columns);
  BindFuzzedRow(in, s, columns);
  auto row = s.Step();
  FUZZ_CHECK(row.ok() && *row);
  Record first;
  if (!read(s, &first).ok()) return;
  sqlite::Statement a = Select(columns);
  bind(a, first);
  FUZZ_CHECK(a.Step().ok());
  Record second;
  FUZZ_CHECK(read(a, &second).ok());
  sqlite::Statement b = Select(columns);
  bind(b, second);
  FUZZ_CHECK(b.Step().ok());
  FUZZ_CHECK(Row(a, columns) == Row(b, columns));
}

void CheckRanges(std::string_view text) {
  std::vector<FileRange> ranges;
  if (!DecodeRanges(text, &ranges)) return;
  std::vector<FileRange> again;
  FUZZ_CHECK(DecodeRanges(EncodeRanges(ranges), &again) && again == ranges);
  FUZZ_CHECK(text.empty() == ranges.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckRanges(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      RoundTrip<core::JobRecord>(in, ColumnCount(kJobColumns), ReadJob, BindJob);
      break;
    case 1: {
      Guid job;
      RoundTrip<core::FileRecord>(
          in, ColumnCount(kFileColumns), ReadFile,
          [&](sqlite::Statement& s, const core::FileRecord& f) { BindFile(s, job, f); });
      break;
    }
    default:
      RoundTrip<core::HistoryRecord>(in, ColumnCount(kHistoryColumns), ReadHistory, BindHistory);
  }
  return 0;
}
