#include "transfer/http/curl_outcome.h"

#include <fmt/format.h>

namespace ferry::transfer {

namespace {
core::ByteOutcome Make(int32_t code, const curl::Error& error, ErrorContext context,
                       bool transient) {
  core::ByteOutcome outcome;
  outcome.status = Status(code, fmt::format("{} (curl {})", error.message, static_cast<int>(error.code)));
  outcome.context = context;
  outcome.transient = transient;
  return outcome;
}
}  // namespace

core::ByteOutcome OutcomeFromCurlError(const curl::Error& error, bool redirected) {
  constexpr auto kTransport = ErrorContext::kGeneralTransport;
  switch (error.code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Make(code::kNameNotResolved, error, kTransport, true);
    case CURLE_COULDNT_CONNECT:
      return Make(code::kCannotConnect, error, kTransport, true);
    case CURLE_OPERATION_TIMEDOUT:
      return Make(code::kTimeout, error, kTransport, true);
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Make(code::kConnectionReset, error, kTransport, true);
    case CURLE_PEER_FAILED_VERIFICATION:  // == CURLE_SSL_CACERT
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return Make(code::kHttpCertValidation, error, kTransport, false);
    case CURLE_TOO_MANY_REDIRECTS:
      return Make(code::kRedirectFailed, error, ErrorContext::kRemoteFile, false);
    case CURLE_UNSUPPORTED_PROTOCOL:
      if (redirected) return Make(code::kRedirectFailed, error, ErrorContext::kRemoteFile, false);
      return Make(code::kInvalidArg, error, ErrorContext::kRemoteFile, false);
    case CURLE_URL_MALFORMAT:
      if (redirected) return Make(code::kRedirectFailed, error, ErrorContext::kRemoteFile, false);
      return Make(code::kInvalidArg, error, ErrorContext::kRemoteFile, false);
    default:
      return Make(code::kConnectionReset, error, kTransport, true);
  }
}

}  // namespace ferry::transfer
