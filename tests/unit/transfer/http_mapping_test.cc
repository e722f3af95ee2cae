// The pure parts of transfer/http: request option helpers and the libcurl
// error table (cases a local test server cannot produce, such as TLS).
#include <gtest/gtest.h>

#include "transfer/http/curl_outcome.h"
#include "transfer/http/request_options.h"

namespace ferry::transfer {
namespace {

TEST(RequestOptionsTest, RangeSpec) {
  core::ByteRequest r;
  Status error;
  EXPECT_FALSE(RangeSpec(r, &error).has_value());
  r.offset = 10;
  EXPECT_EQ(RangeSpec(r, &error), "10-");
  r.length = 20;
  EXPECT_EQ(RangeSpec(r, &error), "10-29");
  r.offset = 0;
  r.length = 1;
  EXPECT_EQ(RangeSpec(r, &error), "0-0");
  EXPECT_TRUE(error.ok());
  r.length = 0;
  EXPECT_FALSE(RangeSpec(r, &error).has_value());
  EXPECT_EQ(error.code(), code::kInvalidRange);
  error = Status();
  r.offset = UINT64_MAX;
  r.length = 2;
  RangeSpec(r, &error);
  EXPECT_EQ(error.code(), code::kInvalidRange);
}

TEST(RequestOptionsTest, ProxyLists) {
  EXPECT_EQ(FirstProxy("proxy1:8080;proxy2:3128"), "proxy1:8080");
  EXPECT_EQ(FirstProxy("  http://p:1 http://q:2"), "http://p:1");
  EXPECT_EQ(FirstProxy(""), "");
  EXPECT_EQ(CurlNoProxyList("a.example; b.example  <local>"), "a.example,b.example,localhost,127.0.0.1,::1");
  EXPECT_EQ(CurlNoProxyList(""), "");
}

TEST(RequestOptionsTest, SecurityFlagsMapToTlsVerification) {
  namespace f = core::security_flag;
  TlsVerify v = TlsVerifyFor(0);
  EXPECT_EQ(v.verify_peer, 1);
  EXPECT_EQ(v.verify_host, 2);
  v = TlsVerifyFor(f::kIgnoreCertCnInvalid);
  EXPECT_EQ(v.verify_peer, 1);
  EXPECT_EQ(v.verify_host, 0);
  v = TlsVerifyFor(f::kIgnoreUnknownCa);
  EXPECT_EQ(v.verify_peer, 0);
  EXPECT_EQ(v.verify_host, 2);
  // Not separable in libcurl: no effect on their own.
  v = TlsVerifyFor(f::kIgnoreCertDateInvalid | f::kIgnoreWrongUsage | f::kCheckRevocation);
  EXPECT_EQ(v.verify_peer, 1);
  EXPECT_EQ(v.verify_host, 2);
}

TEST(CurlOutcomeTest, Table) {
  struct Case {
    CURLcode curl;
    bool redirected;
    int32_t code;
    bool transient;
  } cases[] = {
      {CURLE_COULDNT_RESOLVE_HOST, false, code::kNameNotResolved, true},
      {CURLE_COULDNT_RESOLVE_PROXY, false, code::kNameNotResolved, true},
      {CURLE_COULDNT_CONNECT, false, code::kCannotConnect, true},
      {CURLE_OPERATION_TIMEDOUT, false, code::kTimeout, true},
      {CURLE_RECV_ERROR, false, code::kConnectionReset, true},
      {CURLE_SEND_ERROR, false, code::kConnectionReset, true},
      {CURLE_PARTIAL_FILE, false, code::kConnectionReset, true},
      {CURLE_GOT_NOTHING, false, code::kConnectionReset, true},
      {CURLE_HTTP2, false, code::kConnectionReset, true},
      {CURLE_HTTP2_STREAM, false, code::kConnectionReset, true},
      {CURLE_PEER_FAILED_VERIFICATION, false, code::kHttpCertValidation, false},
      {CURLE_SSL_CACERT_BADFILE, false, code::kHttpCertValidation, false},
      {CURLE_SSL_CONNECT_ERROR, false, code::kHttpCertValidation, false},
      {CURLE_TOO_MANY_REDIRECTS, true, code::kRedirectFailed, false},
      {CURLE_UNSUPPORTED_PROTOCOL, true, code::kRedirectFailed, false},
      {CURLE_UNSUPPORTED_PROTOCOL, false, code::kInvalidArg, false},
      {CURLE_SEND_FAIL_REWIND, false, code::kConnectionReset, true},
  };
  for (const Case& c : cases) {
    core::ByteOutcome o = OutcomeFromCurlError({c.curl, "msg"}, c.redirected);
    EXPECT_EQ(o.status.code(), c.code) << c.curl;
    EXPECT_EQ(o.transient, c.transient) << c.curl;
  }
  EXPECT_EQ(OutcomeFromCurlError({CURLE_TOO_MANY_REDIRECTS, ""}, true).context, ErrorContext::kRemoteFile);
  EXPECT_EQ(OutcomeFromCurlError({CURLE_RECV_ERROR, ""}, false).context, ErrorContext::kGeneralTransport);
}

}  // namespace
}  // namespace ferry::transfer
