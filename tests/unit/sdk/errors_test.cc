// The SDK's D-Bus error -> Status mapping, against the wire format of
// api/dbus/org.ferry.Ferry1.xml: name "org.ferry.Ferry1.Error.<NAME>",
// message "0x%08X: text".
#include "sdk/errors.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sdbus-c++/Error.h>

#include "sdk/connection.h"
#include "util/status_codes.h"

namespace ferry::sdk {
namespace {

// What the service sends for a failed Status (its mapping function lives in
// src/service; this is the documented format). A name that is not a valid
// D-Bus name element ("HRESULT_FROM_WIN32(2)") becomes "HRESULT_0x%08X".
std::pair<std::string, std::string> ServiceError(const Status& s) {
  std::string name = StatusCodeName(s.code());
  bool valid = !name.empty() && !isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) valid = valid && (isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!valid) name = fmt::format("HRESULT_0x{:08X}", static_cast<uint32_t>(s.code()));
  return {std::string(kErrorPrefix) + name,
          fmt::format("0x{:08X}: {}", static_cast<uint32_t>(s.code()), s.message())};
}

TEST(SdkErrors, EveryFailureCodeRoundTrips) {
  int failures = 0;
  for (const StatusCodeInfo& info : AllStatusCodes()) {
    if (info.value >= 0) continue;
    ++failures;
    auto [name, message] = ServiceError(Status(info.value, "some text"));
    Status s = StatusFromDBusError(name, message);
    EXPECT_EQ(s.code(), info.value) << info.name;
    EXPECT_EQ(s.message(), "some text") << info.name;
    EXPECT_FALSE(s.ok()) << info.name;
  }
  EXPECT_GT(failures, 20);
}

TEST(SdkErrors, CodesOutsideTheTableRoundTrip) {
  for (int32_t c : {code::HttpError(404), code::HttpError(503), code::FromWin32(112), code::FromWin32(2),
                    static_cast<int32_t>(0x80FF1234)}) {
    auto [name, message] = ServiceError(Status(c, "x"));
    EXPECT_EQ(StatusFromDBusError(name, message).code(), c) << name;
  }
}

TEST(SdkErrors, EmptyTextGivesTheStandardSentence) {
  Status s = StatusFromDBusError("org.ferry.Ferry1.Error.DO_E_INVALID_STATE", "0x80D02013:");
  EXPECT_EQ(s.code(), code::kInvalidState);
  EXPECT_EQ(s.message(), StatusCodeMessage(code::kInvalidState));
}

TEST(SdkErrors, NameWithoutHexIsLookedUp) {
  Status s = StatusFromDBusError("org.ferry.Ferry1.Error.DO_E_JOB_NOT_FOUND", "no such job");
  EXPECT_EQ(s.code(), code::kJobNotFound);
  EXPECT_EQ(s.message(), "no such job");
}

TEST(SdkErrors, HresultNameWithoutHexMessage) {
  Status s = StatusFromDBusError("org.ferry.Ferry1.Error.HRESULT_0x80190194", "not found");
  EXPECT_EQ(s.code(), code::HttpError(404));
  EXPECT_EQ(s.message(), "not found");
}

TEST(SdkErrors, UnknownNamesAreUnexpectedAndKeepTheirText) {
  Status s = StatusFromDBusError("org.ferry.Ferry1.Error.SOMETHING_NEW", "what happened");
  EXPECT_EQ(s.code(), code::kUnexpected);
  EXPECT_NE(s.message().find("org.ferry.Ferry1.Error.SOMETHING_NEW"), std::string::npos);
  EXPECT_NE(s.message().find("what happened"), std::string::npos);

  s = StatusFromDBusError("com.example.Weird", "odd");
  EXPECT_EQ(s.code(), code::kUnexpected);
  EXPECT_NE(s.message().find("com.example.Weird"), std::string::npos);
}

TEST(SdkErrors, SuccessCodeInAnErrorIsNeverOk) {
  Status s = StatusFromDBusError("org.ferry.Ferry1.Error.S_FALSE", "0x00000001: odd");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), code::kUnexpected);
}

TEST(SdkErrors, BusErrorsMeanTheServiceIsNotThere) {
  for (const char* name : {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
                           "org.freedesktop.DBus.Error.Disconnected", "org.freedesktop.DBus.Error.NoReply"}) {
    Status s = StatusFromDBusError(name, "Message recipient disconnected from message bus without replying");
    EXPECT_EQ(s.code(), kServiceNotActive) << name;
    EXPECT_EQ(static_cast<uint32_t>(s.code()), 0x80070426u);
    EXPECT_NE(s.message().find("ferryd"), std::string::npos) << s.message();
  }
  EXPECT_EQ(StatusFromDBusError("org.freedesktop.DBus.Error.NoReply", "Method call timed out").code(), kTimeout);
  EXPECT_EQ(StatusFromDBusError("org.freedesktop.DBus.Error.UnknownObject", "no object").code(),
            code::kJobNotFound);
  EXPECT_EQ(StatusFromDBusError("org.freedesktop.DBus.Error.AccessDenied", "policy").code(),
            code::kAccessDenied);
  EXPECT_EQ(StatusFromDBusError("org.freedesktop.DBus.Error.InvalidArgs", "bad").code(), code::kInvalidArg);
  EXPECT_EQ(StatusFromDBusError("org.freedesktop.DBus.Error.Failed", "bad").code(), code::kUnexpected);
  EXPECT_EQ(StatusFromDBusError("org.sdbuscpp.Error", "Failed to create method call: Transport endpoint is not connected")
                .code(),
            kServiceNotActive);
}

TEST(SdkErrors, GuardTurnsEveryExceptionIntoAStatus) {
  EXPECT_EQ(Guard([]() -> Status {
              throw sdbus::Error("org.ferry.Ferry1.Error.E_ACCESSDENIED", "0x80070005: not yours");
            }).code(),
            code::kAccessDenied);
  EXPECT_EQ(Guard([]() -> Status { throw std::runtime_error("boom"); }).code(), code::kUnexpected);
  EXPECT_EQ(Guard([]() -> Status { throw 42; }).code(), code::kUnexpected);
  EXPECT_EQ(Guard([]() -> Status { throw std::bad_alloc(); }).code(), kOutOfMemory);
  EXPECT_TRUE(Guard([] { return Status::OK(); }).ok());
}

}  // namespace
}  // namespace ferry::sdk
