#include "support/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

TEST(ChildProcessTest, SpawnWritesOutputAndExitCodeIsReported) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  int fd = ::open(dir.Path("out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  SpawnOptions o;
  o.stdout_fd = fd;
  o.env = {{"FERRY_CHILD_TEST", "yes"}};
  o.cwd = dir.path();
  ChildProcess child;
  Status s = child.Spawn({"sh", "-c", "echo $FERRY_CHILD_TEST; pwd; echo err >&2; exit 3"}, o);
  ::close(fd);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(child.running());
  EXPECT_EQ(child.Spawn({"true"}).code(), code::kInvalidArg);  // one child at a time
  int code = -1;
  ASSERT_TRUE(child.Wait(10s, &code));
  EXPECT_EQ(code, 3);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(ReadFile(dir.Path("out")), "yes\n" + dir.path() + "\nerr\n");
}

TEST(ChildProcessTest, ChildIsInItsOwnProcessGroup) {
  ChildProcess child;
  ASSERT_TRUE(child.Spawn({"sleep", "30"}).ok());
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
  int code = -1;
  EXPECT_TRUE(child.Kill(&code));
  EXPECT_EQ(code, 128 + SIGKILL);
}

TEST(ChildProcessTest, TerminateKillsAChildThatIgnoresSigterm) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ChildProcess child;
  // The trap is set before "ready" is written: no SIGTERM can come earlier.
  ASSERT_TRUE(child.Spawn({"sh", "-c", "trap '' TERM; touch " + dir.Path("ready") + "; sleep 30"}).ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!ReadFile(dir.Path("ready")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  int code = -1;
  EXPECT_FALSE(child.Terminate(100ms, &code));  // ignored: the group is SIGKILLed
  EXPECT_EQ(code, 128 + SIGKILL);
  EXPECT_FALSE(child.running());

  ASSERT_TRUE(child.Spawn({"sleep", "30"}).ok());  // reusable once reaped
  EXPECT_TRUE(child.Terminate(10s, &code));
  EXPECT_EQ(code, 128 + SIGTERM);
}

TEST(ChildProcessTest, ForkRunsAFunction) {
  ChildProcess child;
  ASSERT_TRUE(child.Fork([] { return 7; }).ok());
  int code = -1;
  ASSERT_TRUE(child.Wait(10s, &code));
  EXPECT_EQ(code, 7);
}

TEST(ChildProcessTest, MissingProgramExits127) {
  ChildProcess child;
  ASSERT_TRUE(child.Spawn({"/nonexistent/ferry-no-such-program"}).ok());
  int code = -1;
  ASSERT_TRUE(child.Wait(10s, &code));
  EXPECT_EQ(code, 127);
}

TEST(RunCommandTest, CapturesOutputAndFeedsStdin) {
  RunOptions o;
  o.stdin_data = "hello\n";
  CommandResult r = RunCommand({"sh", "-c", "cat; echo oops >&2; exit 4"}, o);
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "oops\n");
}

TEST(RunCommandTest, TimeoutKillsTheGroup) {
  RunOptions o;
  o.timeout = 200ms;
  CommandResult r = RunCommand({"sh", "-c", "sleep 30 & sleep 30"}, o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
}

TEST(RunCommandTest, NoProgram) {
  CommandResult r = RunCommand({});
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace ferry::test
