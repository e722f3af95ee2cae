// bench_exec: runs a command and reports its own resource accounting, like
// GNU time: wall seconds, user+system CPU seconds and peak RSS (ru_maxrss).
//
//   bench_exec RESULT_FILE COMMAND [ARGS...]
//
// Why not measure from Python directly: Linux carries the peak RSS of the
// memory image a process had before execve (for a child of the Python driver,
// the driver's own ~30 MiB) into ru_maxrss. This small program forks the
// command from its own small image, so ru_maxrss is the command's.
// SIGTERM/SIGINT to bench_exec kill the command (SIGKILL); the result is
// still written. Writes one JSON line to RESULT_FILE; exits with the
// command's exit code (128+signal when it was killed).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace {
volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_stop = 0;
void Forward(int) {
  g_stop = 1;
  if (g_child > 0) kill(g_child, SIGKILL);
}
double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_exec RESULT_FILE COMMAND [ARGS...]\n");
    return 125;
  }
  struct sigaction sa {};
  sa.sa_handler = Forward;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  double t0 = Now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench_exec: fork");
    return 125;
  }
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    execvp(argv[2], argv + 2);
    std::perror("bench_exec: exec");
    _exit(127);
  }
  g_child = pid;
  if (g_stop) kill(pid, SIGKILL);  // a signal that came before the fork returned
  int status = 0;
  rusage ru {};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      std::perror("bench_exec: wait4");
      return 125;
    }
  }
  double wall = Now() - t0;
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6 +
               static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  FILE* f = std::fopen(argv[1], "w");
  if (f) {
    std::fprintf(f, "{\"rc\": %d, \"wall\": %.6f, \"cpu\": %.6f, \"maxrss_kib\": %ld}\n", rc, wall, cpu,
                 ru.ru_maxrss);
    std::fclose(f);
  }
  return rc;
}
