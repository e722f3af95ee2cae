// DO downloads in system mode with real unix users (as SystemModeTest does
// for jobs): user B can neither see (EnumDownloads) nor touch (GetStatus,
// GetProperty, SetProperty, Start, Pause, Abort, Finalize on the raw object)
// user A's download; SecurityFlags is an administrator's property; LocalPath's
// missing directories are made by the caller, never by the service.
//
// Needs root (to create users and switch to them): skipped otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"
#include "support/unix_users.h"

namespace ferry::test {
namespace {

using P = DownloadProperty;

constexpr uint64_t kFileSize = 512 * 1024 + 3;

// --- What users A and B run (test::RunAs; args[0] is the bus address) ------

// args: address, url, local path. A download with a display name, started;
// "<SetProperty(SecurityFlags) code> {id}".
FERRY_CHILD_FUNCTION(DownloadSystemCreate) {
  std::unique_ptr<Manager> m;
  std::unique_ptr<Download> d;
  if (std::string e = NewDownloadAt(args.at(0), &m, &d); !e.empty()) return e;
  Status st;
  st = d->SetProperty(P::kUri, args.at(1));
  if (st.ok()) st = d->SetProperty(P::kLocalPath, args.at(2));
  if (st.ok()) st = d->SetProperty(P::kDisplayName, std::string("a's download"));
  if (!st.ok()) return "set " + st.ToString();
  Status flags = d->SetProperty(P::kSecurityFlags, uint32_t{0x100});
  st = d->Start();
  if (!st.ok()) return "start " + st.ToString();
  PropertyValue id;
  st = d->GetProperty(P::kId, &id);
  if (!st.ok()) return "id " + st.ToString();
  return std::to_string(flags.code()) + " " + std::get<std::string>(id);
}

// args: address. "enum <code> <count>".
FERRY_CHILD_FUNCTION(DownloadSystemEnum) {
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  std::vector<std::unique_ptr<Download>> list;
  st = m->EnumDownloads(nullptr, &list);
  return "enum " + Hex(st.code()) + " " + std::to_string(list.size());
}

// args: address. The caller's one download: "<display name> <state>".
FERRY_CHILD_FUNCTION(DownloadSystemReadBack) {
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  std::vector<std::unique_ptr<Download>> list;
  st = m->EnumDownloads(nullptr, &list);
  if (!st.ok() || list.size() != 1) return "enum " + st.ToString();
  PropertyValue name;
  st = list[0]->GetProperty(P::kDisplayName, &name);
  if (!st.ok()) return "name " + st.ToString();
  DownloadStatus ds;
  st = list[0]->GetStatus(&ds);
  if (!st.ok()) return "status " + st.ToString();
  return std::get<std::string>(name) + " " + std::string(DownloadStateName(ds.state));
}

class DownloadSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::IsRoot()) GTEST_SKIP() << "system-mode tests create users: run as root";
    if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon, dbus-send or ferryd missing";
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    if (::access("/usr/bin/busctl", X_OK) != 0) GTEST_SKIP() << "busctl missing";
    Status s = test::EnsureUsers({{"ferry", &ferry_}, {"ferrytest-a", &a_}, {"ferrytest-b", &b_}});
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(docroot_.ok());
    ::chmod(docroot_.path().c_str(), 0755);
    ASSERT_FALSE(test::WriteRandomFile(docroot_.Path("file.bin"), kFileSize, 0x64737973).empty());
    s = nginx_.Start(docroot_.path());
    ASSERT_TRUE(s.ok()) << s.ToString();

    const std::string work = env_.work().path();
    ASSERT_EQ(::chmod(work.c_str(), 0755), 0);
    const std::string state_dir = work + "/state";
    ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(state_dir.c_str(), ferry_.uid, ferry_.gid), 0);
    home_a_ = work + "/home-a";
    ASSERT_EQ(::mkdir(home_a_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(home_a_.c_str(), a_.uid, a_.gid), 0);

    test::FerrydOptions fo;
    fo.system_mode = true;
    fo.as = ferry_;
    fo.state_dir = state_dir;
    s = env_.Start(fo, /*shared_bus=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    if (HasFailure()) {
      std::string log = env_.ferryd().Log();
      if (log.size() > 8000) log = log.substr(log.size() - 8000);
      std::printf("ferryd log (tail):\n%s\n", log.c_str());
    }
  }

  // Runs the child function `function` as `user`; the test bus's address
  // goes first in its arguments.
  std::string As(const UnixUser& user, const std::string& function,
                 std::vector<std::string> args = {}) {
    std::string out;
    args.insert(args.begin(), env_.address());
    Status s = RunAs(user, function, args, &out);
    EXPECT_TRUE(s.ok()) << s.ToString() << out;
    return out;
  }

  UnixUser ferry_, a_, b_;
  TempDir docroot_{"ferry-dl-sys-docroot"};
  NginxFixture nginx_;
  ServiceEnv env_;
  std::string home_a_;
};

TEST_F(DownloadSystemTest, AnotherUserCanNeitherSeeNorTouchADownload) {
  const std::string dest = home_a_ + "/sub/dir/file.bin";
  const std::string url = nginx_.Url("/file.bin");
  // --- A makes a download (in directories that do not exist yet) ----------
  std::string out = As(a_, "DownloadSystemCreate", {url, dest});
  size_t space = out.find(' ');
  ASSERT_TRUE(space != std::string::npos && out.find_first_not_of("-0123456789") == space) << out;
  EXPECT_EQ(Hex(std::stoi(out.substr(0, space))), Hex(code::kAccessDenied))
      << "SecurityFlags by a non-administrator in system mode";
  Guid id;
  ASSERT_TRUE(Guid::Parse(out.substr(space + 1), &id)) << out;
  // The directories are A's, made with A's rights.
  for (const std::string& dir : {home_a_ + "/sub", home_a_ + "/sub/dir"}) {
    struct stat st;
    ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_uid, a_.uid) << dir;
  }

  // --- B sees nothing ---------------------------------------------------------
  out = As(b_, "DownloadSystemEnum");
  EXPECT_EQ(out, "enum " + Hex(code::kOk) + " 0") << "B sees A's download";

  // --- B on the raw object: every call is E_ACCESSDENIED ----------------------
  test::RunOptions ro;
  ro.as = b_;
  ro.timeout = std::chrono::seconds(30);
  const std::string path = "/org/ferry/Ferry1/download/" + id.ToHex();
  const std::vector<std::vector<std::string>> calls = {
      {"GetStatus"},           {"GetProperty", "u", "3"}, {"SetProperty", "uv", "3", "s", "stolen"},
      {"Start", "a(tt)", "0"}, {"Pause"},                 {"Abort"},
      {"Finalize", "a{uh}", "0"},
  };
  for (const auto& c : calls) {
    std::vector<std::string> argv = {"busctl", "--address=" + env_.address(), "call", "--",
                                     "org.ferry.Ferry1", path, "org.ferry.Ferry1.Download"};
    argv.insert(argv.end(), c.begin(), c.end());
    auto r = test::RunCommand(argv, ro);
    EXPECT_NE(r.exit_code, 0) << c[0] << " by B succeeded: " << r.Describe();
    EXPECT_NE(r.err.find("0x80070005:"), std::string::npos) << c[0] << ": " << r.Describe();
  }

  // --- A's download is untouched; root may relax TLS on its own ----------------
  out = As(a_, "DownloadSystemReadBack");
  EXPECT_TRUE(out == "a's download TRANSFERRING" || out == "a's download TRANSFERRED") << out;
  Status s;
  auto root = ConnectTo(env_.address(), &s);
  ASSERT_TRUE(root) << s.ToString();
  std::vector<std::unique_ptr<Download>> roots;
  ASSERT_TRUE(root->EnumDownloads(nullptr, &roots).ok());
  EXPECT_TRUE(roots.empty()) << "EnumDownloads lists only the caller's, root included";
  std::unique_ptr<Download> mine;
  ASSERT_TRUE(root->CreateDownload(&mine).ok());
  s = mine->SetProperty(P::kSecurityFlags, uint32_t{0x100});
  EXPECT_TRUE(s.ok()) << s.ToString();
  mine->Abort();
}

}  // namespace
}  // namespace ferry::test
