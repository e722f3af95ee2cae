#include "support/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <sstream>
#include <thread>

#include "util/status_codes.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;

Status Run(std::string_view program, const std::string& netns,
           const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.timeout = std::chrono::seconds(10);
  o.netns = netns;
  CommandResult r = RunCommand(argv, o);
  if (r.exit_code == 0) return Status::OK();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Status(code::kUnexpected, cmd + ": " + r.Describe());
}

// A non-blocking connect bounded by 1 s, in the calling thread's namespace.
bool ConnectHere(const std::string& address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::poll(&p, 1, 1000) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
         err == 0;
  }
  ::close(fd);
  return ok;
}

bool Probe(std::string* why) {
  if (::geteuid() != 0) {
    *why = "network namespaces need root (the swarm tests run as root in CI)";
    return false;
  }
  if (::access(std::string(kIpPath).c_str(), X_OK) != 0) {
    *why = std::string(kIpPath) + " (iproute2) is missing";
    return false;
  }
  const std::string name = "ferry-probe-" + std::to_string(::getpid());
  Status added = RunIp({"netns", "add", name});
  if (!added.ok()) {
    *why = "cannot add a network namespace: " + added.ToString();
    return false;
  }
  Status link = RunIp({"-n", name, "link", "add", "probe0", "type", "bridge"});
  RunIp({"netns", "del", name});
  if (!link.ok()) {
    *why = "cannot make a bridge in a network namespace: " + link.ToString();
    return false;
  }
  return true;
}

}  // namespace

Status RunIp(const std::vector<std::string>& args) { return Run(kIpPath, "", args); }

Status RunTc(const std::string& netns, const std::vector<std::string>& args) {
  return Run(kTcPath, netns, args);
}

bool NetnsSupported(std::string* why) {
  static std::once_flag once;
  static bool supported = false;
  static std::string reason;
  std::call_once(once, [] { supported = Probe(&reason); });
  if (why) *why = reason;
  return supported;
}

std::vector<std::string> ListNetns() {
  RunOptions o;
  o.timeout = std::chrono::seconds(10);
  CommandResult r = RunCommand({std::string(kIpPath), "netns", "list"}, o);
  std::vector<std::string> names;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::string name = line.substr(0, line.find(' '));  // "name (id: 3)"
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

namespace {
std::string RootLinks() {
  RunOptions o;
  o.timeout = std::chrono::seconds(10);
  return RunCommand({std::string(kIpPath), "-o", "link"}, o).out;
}
}  // namespace

std::vector<std::string> RootLinkNames() {
  std::vector<std::string> names;
  std::istringstream in(RootLinks());
  for (std::string line; std::getline(in, line);) {
    // "3: eth0@if4: <BROADCAST,…"
    size_t a = line.find(": ");
    if (a == std::string::npos) continue;
    size_t b = line.find_first_of(":@", a + 2);
    names.push_back(line.substr(a + 2, b - a - 2));
  }
  return names;
}

bool RootLinksMention(const std::string& needle) {
  return RootLinks().find(needle) != std::string::npos;
}

Status InNetns(const std::string& netns, const std::function<void()>& fn) {
  const std::string path = "/run/netns/" + netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  int err = 0;
  std::thread t([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    fn();
  });
  t.join();
  ::close(fd);
  return err ? ErrnoStatus(err, "setns " + path) : Status::OK();
}

bool CanConnectIn(const std::string& netns, const std::string& address, uint16_t port) {
  if (netns.empty()) return ConnectHere(address, port);
  bool ok = false;
  InNetns(netns, [&] { ok = ConnectHere(address, port); });
  return ok;
}

bool WaitForListener(const std::string& netns, const std::string& address, uint16_t port,
                     std::chrono::milliseconds timeout, const std::function<bool()>& alive) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (CanConnectIn(netns, address, port)) return true;
    if (alive && !alive()) return false;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ferry::test
