// torrent_probe: what loading lib/torrent's module and starting a session
// cost a process (docs/p2p.md, "Footprint").
//
//   torrent_probe [MODULE_PATH|- [IDLE_SECONDS]]
//
// Without MODULE_PATH (or with "-") it loads the installed module
// (torrent::InstalledModulePath), named in the output as "module".
//
// Prints one JSON line: VmRSS (KiB) at start, after LoadModule (the dlopen of
// libferry-torrent.so and, through it, libtorrent-rasterbar, libssl and
// libcrypto), and after a session has listened on 127.0.0.1 (a port the
// system picks, LSD off) and sat idle, after the session is destroyed and
// after malloc_trim(0); the load and session start times in microseconds.
// Exits 1 when the module cannot be loaded.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "lib/torrent/loop_binding.h"
#include "lib/torrent/module.h"
#include "sys/event_loop.h"

namespace {

long RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long long MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string module = argc > 1 && std::string(argv[1]) != "-"
                                 ? std::string(argv[1])
                                 : ferry::torrent::InstalledModulePath();
  const int idle_seconds = argc > 2 ? std::atoi(argv[2]) : 3;
  ferry::sys::EventLoop loop;
  const long rss_start = RssKib();
  auto t0 = std::chrono::steady_clock::now();
  ferry::Status loaded = ferry::torrent::LoadModule(module);
  const long long load_us = MicrosSince(t0);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.message().c_str());
    return 1;
  }
  const long rss_loaded = RssKib();
  ferry::torrent::SessionSettings settings;
  settings.listen_addresses = {"127.0.0.1"};
  settings.listen_port = 0;
  settings.local_service_discovery = false;
  t0 = std::chrono::steady_clock::now();
  auto session = ferry::torrent::CreateSession(settings, module);
  if (!session.ok()) {
    std::fprintf(stderr, "%s\n", session.status().message().c_str());
    return 1;
  }
  bool listening = false;
  session.value()->SetEventHandler([&](const ferry::torrent::Event& e) {
    listening = listening || std::holds_alternative<ferry::torrent::event::ListenSucceeded>(e);
  });
  auto binding = std::make_unique<ferry::torrent::LoopBinding>(loop, *session.value());
  while (!listening && MicrosSince(t0) < 10'000'000) loop.RunOnce(std::chrono::milliseconds(10));
  const long long session_us = MicrosSince(t0);
  const auto idle_until = std::chrono::steady_clock::now() + std::chrono::seconds(idle_seconds);
  while (std::chrono::steady_clock::now() < idle_until)
    loop.RunOnce(std::chrono::milliseconds(100));
  const long rss_session = RssKib();
  binding.reset();
  session.value().reset();  // joins libtorrent's threads; the module stays mapped
  const long rss_closed = RssKib();
  ::malloc_trim(0);  // what freed memory the threads' malloc arenas give back
  const long rss_trimmed = RssKib();
  std::printf(
      "{\"module\": \"%s\", \"rss_start_kib\": %ld, \"rss_module_loaded_kib\": %ld, "
      "\"rss_session_idle_kib\": %ld, "
      "\"rss_session_closed_kib\": %ld, \"rss_trimmed_kib\": %ld, \"load_us\": %lld, "
      "\"session_listening_us\": %lld}\n",
      module.c_str(), rss_start, rss_loaded, rss_session, rss_closed, rss_trimmed, load_us,
      session_us);
  return 0;
}
