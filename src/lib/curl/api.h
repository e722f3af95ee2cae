// Api: the libcurl functions ferry calls, resolved from libcurl.so.4 at the
// first use (sys/shared_library.h): an idle ferryd does not map libcurl, OpenSSL, GnuTLS,
// Kerberos, LDAP, ... at all. Only lib/curl calls through this table; every
// other file uses libcurl's types and constants from <curl/curl.h> only.
//
// The table is filled once (thread-safe) and never changes afterwards.
#pragma once

#include <curl/curl.h>

#include <string>

namespace ferry::curl {

struct Api {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_pause) easy_pause;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_socket_action) multi_socket_action;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_strerror) multi_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// Loads libcurl.so.4 and runs curl_global_init on the first call; later
// calls return the same table. nullptr when the library or a function is
// missing, or curl_global_init fails; *error (if given) then says why, on
// every call.
const Api* LoadApi(std::string* error = nullptr);

// The loaded table. Only valid after LoadApi() returned non-null (a
// Global exists and is ok()).
const Api& api();

}  // namespace ferry::curl
