// ServiceTest: the base fixture of the tests that drive a real ferryd through
// the SDK or the CLI (tests/integration/service, tests/integration/faults).
//
// SetUp() skips the test when dbus-daemon, dbus-send or ferryd is missing;
// it starts nothing. A derived fixture's SetUp() calls ServiceTest::SetUp()
// and then the helpers below, in the order it needs (files in the docroot,
// nginx, the service). Each helper does nothing once the test is skipped or
// has a fatal failure, so a derived SetUp() needs no checks between them;
// each reports its own failure (fatal) and skips when its program is missing.
//
// TearDown() prints the tail of ferryd's log when the test failed.
//
//   class LifecycleTest : public test::ServiceTest {
//    protected:
//     void SetUp() override {
//       ServiceTest::SetUp();
//       sha_ = AddDocFile("file.bin", 4 * kMiB, 1);
//       StartNginx();
//       StartService();  // the bus, ferryd, and manager_
//     }
//     std::string sha_;
//   };
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ferry/ferry.h"
#include "support/nginx_fixture.h"
#include "support/service_env.h"
#include "support/temp_dir.h"

namespace ferry::test {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // True once the test is skipped or has a fatal failure: the helpers below
  // then do nothing.
  static bool Stopped();

  // Writes `size` random bytes of `seed` to docroot_/`name`; their SHA-256
  // ("" when stopped or on failure, which fails the test).
  std::string AddDocFile(const std::string& name, uint64_t size, uint64_t seed);
  // nginx serving docroot_ (made 0755). Skips when nginx is not installed.
  void StartNginx(const NginxOptions& options = {});
  // Starts the bus and ferryd (env_.Start) and connects manager_.
  void StartService(const FerrydOptions& options = {}, bool shared_bus = false);
  // (Re)connects manager_ to the bus.
  void Connect();
  // Restarts ferryd on its state (after SIGKILL when `kill9`, else SIGTERM)
  // and reconnects manager_.
  void RestartService(bool kill9);
  // CreateJob + AddFile, not resumed; nullptr (and a failure) on error.
  std::unique_ptr<Job> NewJob(const std::string& url, const std::string& dest,
                              const std::string& display_name = "test");
  // CreateDownload with Uri = url and, unless empty, LocalPath = dest; not
  // started. nullptr (and a failure) on error.
  std::unique_ptr<Download> NewDownload(const std::string& url, const std::string& dest);
  // The download's status (a failure when GetStatus fails).
  static DownloadStatus StatusOf(Download& d);
  // The statistics of job `id`'s only file (a failure when it has not
  // exactly one, or a call fails).
  FileStats StatsOf(const Guid& id);

  // How much of ferryd's log TearDown prints on failure (its end).
  size_t log_tail_ = 8000;
  TempDir docroot_{"ferry-svc-docroot"};
  NginxFixture nginx_;
  ServiceEnv env_;
  std::unique_ptr<Manager> manager_;
};

}  // namespace ferry::test
