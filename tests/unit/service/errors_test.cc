// The one Status -> D-Bus error mapping: valid names, the code in the
// message, and a lossless round trip for every named code.
#include "service/errors.h"

#include <gtest/gtest.h>
#include <sdbus-c++/Error.h>

#include "util/status_codes.h"

namespace ferry::service {
namespace {

bool IsValidErrorName(const std::string& name) {
  // D-Bus: at least two elements separated by '.', each [A-Za-z_][A-Za-z0-9_]*, <= 255.
  if (name.size() > 255) return false;
  size_t start = 0, elements = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (!IsValidNameElement(std::string_view(name).substr(start, dot - start))) return false;
    ++elements;
    start = dot + 1;
  }
  return elements >= 2;
}

TEST(ErrorMapping, EveryFailureCodeRoundTrips) {
  for (const auto& info : AllStatusCodes()) {
    if (info.value >= 0) continue;  // successes travel as "code" out-arguments
    Status s(info.value, "some context");
    DbusError e = ToDbusError(s);
    EXPECT_EQ(e.name, std::string(kErrorPrefix) + std::string(info.name)) << info.name;
    EXPECT_TRUE(IsValidErrorName(e.name)) << e.name;
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X: ", static_cast<uint32_t>(info.value));
    EXPECT_EQ(e.message, std::string(hex) + "some context");
    Status back = FromDbusError(e.name, e.message);
    EXPECT_EQ(back.code(), info.value) << info.name;
    EXPECT_EQ(back.message(), "some context");
  }
}

TEST(ErrorMapping, NamesThatAreNotValidInDbusBecomeHresults) {
  Status s(code::FromWin32(9999), "odd");  // named "HRESULT_FROM_WIN32(9999)": parentheses
  ASSERT_NE(StatusCodeName(s.code()).find('('), std::string::npos);
  DbusError e = ToDbusError(s);
  EXPECT_TRUE(IsValidErrorName(e.name)) << e.name;
  EXPECT_EQ(e.name, "org.ferry.Ferry1.Error.HRESULT_0x8007270F");
  EXPECT_EQ(FromDbusError(e.name, e.message).code(), code::FromWin32(9999));
  // The name alone also carries the code.
  EXPECT_EQ(FromDbusError(e.name, "no prefix").code(), code::FromWin32(9999));
  // Unknown codes too.
  EXPECT_EQ(ToDbusError(Status(static_cast<int32_t>(0x8ABC0001), "")).name,
            "org.ferry.Ferry1.Error.HRESULT_0x8ABC0001");
}

TEST(ErrorMapping, HttpErrorsKeepTheirNames) {
  DbusError e = ToDbusError(Status(code::HttpError(404), "not found"));
  EXPECT_EQ(e.name, "org.ferry.Ferry1.Error.BG_E_HTTP_ERROR_404");
  EXPECT_EQ(e.message, "0x80190194: not found");
}

TEST(ErrorMapping, EmptyMessageGetsTheStandardSentence) {
  DbusError e = ToDbusError(Status(code::kInvalidState, ""));
  EXPECT_EQ(e.message, "0x80D02013: " + StatusCodeMessage(code::kInvalidState));
}

TEST(ErrorMapping, SuccessIsNeverSentAsAnError) {
  EXPECT_EQ(FromDbusError(ToDbusError(Status::OK()).name, ToDbusError(Status::OK()).message).code(),
            code::kUnexpected);
}

TEST(ErrorMapping, SdbusErrorCarriesNameAndMessage) {
  sdbus::Error e = ToSdbusError(Status(code::kAccessDenied, "not yours"));
  EXPECT_EQ(e.getName(), "org.ferry.Ferry1.Error.E_ACCESSDENIED");
  EXPECT_EQ(e.getMessage(), "0x80070005: not yours");
}

TEST(ErrorMapping, ForeignErrorsAreUnexpected) {
  EXPECT_EQ(FromDbusError("org.freedesktop.DBus.Error.ServiceUnknown", "gone").code(),
            code::kUnexpected);
  EXPECT_EQ(FromDbusError("org.ferry.Ferry1.Error.HRESULT_0xZZ", "0xZZ: x").code(),
            code::kUnexpected);
}

}  // namespace
}  // namespace ferry::service
