#include "lib/curl/api.h"

#include <cassert>
#include <mutex>

#include "sys/shared_library.h"
#include "util/log.h"

namespace ferry::curl {

namespace {
Api g_api;
const Api* g_loaded = nullptr;
std::string g_error;

void Load() {
  Api a{};
  auto slot = [](auto& fn) { return reinterpret_cast<void**>(&fn); };
  const sys::Symbol symbols[] = {
      {"curl_global_init", slot(a.global_init)},
      {"curl_easy_init", slot(a.easy_init)},
      {"curl_easy_setopt", slot(a.easy_setopt)},
      {"curl_easy_getinfo", slot(a.easy_getinfo)},
      {"curl_easy_pause", slot(a.easy_pause)},
      {"curl_easy_cleanup", slot(a.easy_cleanup)},
      {"curl_easy_strerror", slot(a.easy_strerror)},
      {"curl_multi_init", slot(a.multi_init)},
      {"curl_multi_setopt", slot(a.multi_setopt)},
      {"curl_multi_add_handle", slot(a.multi_add_handle)},
      {"curl_multi_remove_handle", slot(a.multi_remove_handle)},
      {"curl_multi_socket_action", slot(a.multi_socket_action)},
      {"curl_multi_info_read", slot(a.multi_info_read)},
      {"curl_multi_cleanup", slot(a.multi_cleanup)},
      {"curl_multi_strerror", slot(a.multi_strerror)},
      {"curl_slist_append", slot(a.slist_append)},
      {"curl_slist_free_all", slot(a.slist_free_all)},
  };
  if (Status st = sys::LoadLibrary("libcurl.so.4", symbols); !st.ok()) {
    g_error = st.message();
    log::Error("HTTP transfers are unavailable: {}", g_error);
    return;
  }
  if (CURLcode rc = a.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    g_error = std::string("curl_global_init failed: ") + a.easy_strerror(rc);
    log::Error("HTTP transfers are unavailable: {}", g_error);
    return;
  }
  g_api = a;
  g_loaded = &g_api;
}
}  // namespace

const Api* LoadApi(std::string* error) {
  static std::once_flag once;
  std::call_once(once, Load);
  if (g_loaded == nullptr && error != nullptr) *error = g_error;
  return g_loaded;
}

const Api& api() {
  assert(g_loaded != nullptr);
  return g_api;
}

}  // namespace ferry::curl
