// StringList: an owning curl_slist (request headers). Appending needs libcurl
// loaded (lib/curl/api.h).
#pragma once

#include <curl/curl.h>

#include "lib/curl/api.h"

#include <string>
#include <utility>

namespace ferry::curl {

class StringList {
 public:
  StringList() = default;
  ~StringList() {
    if (head_ != nullptr) api().slist_free_all(head_);
  }
  StringList(StringList&& other) noexcept : head_(std::exchange(other.head_, nullptr)) {}
  StringList& operator=(StringList&& other) noexcept {
    std::swap(head_, other.head_);
    return *this;
  }
  StringList(const StringList&) = delete;
  StringList& operator=(const StringList&) = delete;

  // Appends a copy of `value`. False when out of memory (the list is unchanged).
  bool Append(const std::string& value) {
    curl_slist* next = api().slist_append(head_, value.c_str());
    if (next == nullptr) return false;
    head_ = next;
    return true;
  }
  bool empty() const { return head_ == nullptr; }
  curl_slist* get() const { return head_; }

 private:
  curl_slist* head_ = nullptr;
};

}  // namespace ferry::curl
