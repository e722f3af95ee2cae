#include "support/service_test.h"

#include <sys/stat.h>

#include <cstdio>
#include <vector>

namespace ferry::test {

void ServiceTest::SetUp() {
  if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon, dbus-send or ferryd missing";
}

void ServiceTest::TearDown() {
  if (!HasFailure()) return;
  std::string log = env_.ferryd().Log();
  if (log.size() > log_tail_) log = log.substr(log.size() - log_tail_);
  std::printf("ferryd log (tail):\n%s\n", log.c_str());
}

bool ServiceTest::Stopped() { return IsSkipped() || HasFatalFailure(); }

std::string ServiceTest::AddDocFile(const std::string& name, uint64_t size, uint64_t seed) {
  if (Stopped()) return "";
  EXPECT_TRUE(docroot_.ok());
  std::string sha = WriteRandomFile(docroot_.Path(name), size, seed);
  EXPECT_FALSE(sha.empty()) << "writing " << docroot_.Path(name);
  return sha;
}

void ServiceTest::StartNginx(const NginxOptions& options) {
  if (Stopped()) return;
  if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
  ASSERT_TRUE(docroot_.ok());
  ::chmod(docroot_.path().c_str(), 0755);  // nginx's workers may run as another user
  Status s = nginx_.Start(docroot_.path(), options);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void ServiceTest::StartService(const FerrydOptions& options, bool shared_bus) {
  if (Stopped()) return;
  Status s = env_.Start(options, shared_bus);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Connect();
}

void ServiceTest::Connect() {
  if (Stopped()) return;
  manager_.reset();
  Status s = env_.Connect(&manager_);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void ServiceTest::RestartService(bool kill9) {
  if (Stopped()) return;
  manager_.reset();
  Status s = kill9 ? env_.ferryd().Kill9() : env_.ferryd().Terminate();
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = env_.RestartFerryd();
  ASSERT_TRUE(s.ok()) << s.ToString();
  Connect();
}

std::unique_ptr<Job> ServiceTest::NewJob(const std::string& url, const std::string& dest,
                                         const std::string& display_name) {
  Guid id;
  std::unique_ptr<Job> job;
  Status s = manager_->CreateJob(display_name, JobType::kDownload, &id, &job);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return nullptr;
  s = job->AddFile(url, dest);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return job;
}

std::unique_ptr<Download> ServiceTest::NewDownload(const std::string& url,
                                                   const std::string& dest) {
  std::unique_ptr<Download> d;
  Status s = manager_->CreateDownload(&d);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!d) return nullptr;
  s = d->SetProperty(DownloadProperty::kUri, url);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!dest.empty()) {
    s = d->SetProperty(DownloadProperty::kLocalPath, dest);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return d;
}

DownloadStatus ServiceTest::StatusOf(Download& d) {
  DownloadStatus st;
  Status s = d.GetStatus(&st);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return st;
}

FileStats ServiceTest::StatsOf(const Guid& id) {
  std::unique_ptr<Job> job;
  std::vector<std::unique_ptr<File>> files;
  FileStats st;
  Status s = manager_->GetJob(id, &job);
  if (s.ok()) s = job->EnumFiles(&files);
  if (s.ok() && files.size() == 1) s = files[0]->GetStats(&st);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(files.size(), 1u);
  return st;
}

}  // namespace ferry::test
