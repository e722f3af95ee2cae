// The private parts of the SDK's handles.
#pragma once

#include <memory>
#include <string>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/proxies.h"

namespace ferry {

struct Job::Impl {
  ~Impl() {
    conn->ReleaseUser(user);
  }
  std::shared_ptr<detail::Connection> conn;
  bool user = true;  // counted by Connection::AddUser
  std::string path;  // /org/ferry/Ferry1/job/<hex>
  Guid id;
  std::unique_ptr<sdk::JobProxy> proxy;
};

struct File::Impl {
  explicit Impl(std::shared_ptr<detail::Connection> c) : conn(std::move(c)), user(conn->AddUser()) {}
  ~Impl() { conn->ReleaseUser(user); }
  std::shared_ptr<detail::Connection> conn;
  bool user;
  std::string job_path;
  uint32_t index = 0;
  std::unique_ptr<sdk::JobProxy> proxy;
};

struct Error::Impl {
  explicit Impl(std::shared_ptr<detail::Connection> c) : conn(std::move(c)), user(conn->AddUser()) {}
  ~Impl() { conn->ReleaseUser(user); }
  std::shared_ptr<detail::Connection> conn;
  bool user;
  std::string job_path;
  ErrorContext context = ErrorContext::kNone;
  int32_t code = 0;
  std::string message;
  std::string protocol;
  int32_t file = -1;
};

}  // namespace ferry
