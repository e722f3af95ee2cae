// Transport failures as data: libcurl result codes -> ByteOutcome.
//
//   COULDNT_RESOLVE_HOST/PROXY          0x80072EE7 NAME_NOT_RESOLVED  transient
//   COULDNT_CONNECT                     0x80072EFD CANNOT_CONNECT     transient
//   OPERATION_TIMEDOUT (incl. low speed) 0x80072EE2 TIMEOUT           transient
//   RECV/SEND_ERROR, PARTIAL_FILE, GOT_NOTHING, HTTP2, HTTP2_STREAM
//                                       0x80072EFF CONNECTION_RESET   transient
//   PEER_FAILED_VERIFICATION, SSL_CACERT_BADFILE, SSL_CONNECT_ERROR,
//   SSL_CERTPROBLEM, SSL_ISSUER_ERROR, SSL_INVALIDCERTSTATUS,
//   SSL_PINNEDPUBKEYNOTMATCH            DO_E_HTTP_CERT_VALIDATION     fatal
//   TOO_MANY_REDIRECTS; UNSUPPORTED_PROTOCOL after a redirect
//                                       0x80072F9C REDIRECT_FAILED    fatal (REMOTE_FILE)
//   UNSUPPORTED_PROTOCOL / URL_MALFORMAT of the request itself
//                                       E_INVALIDARG                  fatal
//   anything else                       0x80072EFF CONNECTION_RESET   transient
//
// Context is GENERAL_TRANSPORT unless noted.
#pragma once

#include "core/ports.h"
#include "lib/curl/request.h"

namespace ferry::transfer {

// `redirected`: at least one redirect was followed before the failure.
core::ByteOutcome OutcomeFromCurlError(const curl::Error& error, bool redirected);

}  // namespace ferry::transfer
