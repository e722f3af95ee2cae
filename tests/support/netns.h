// Network namespaces for tests that build their own small networks (the
// swarm fixture, BitTorrent interop): run `ip`, create and delete named
// namespaces, connect to a TCP port from inside one.
//
// Named namespaces are the files /run/netns/<name> that `ip netns add` makes;
// a process joins one with SpawnOptions::netns / RunOptions::netns
// (support/child_process.h). Nothing here touches an interface, address or
// namespace it was not given by name.
//
// Every call is bounded (each `ip` run: 10 s). Thread-safe: no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

constexpr std::string_view kIpPath = "/usr/sbin/ip";  // iproute2
constexpr std::string_view kTcPath = "/usr/sbin/tc";

// Runs `ip ARGS...` (bounded); E_UNEXPECTED with its output when it fails.
Status RunIp(const std::vector<std::string>& args);
// Runs `tc ARGS...` inside `netns` ("" = ours); as RunIp.
Status RunTc(const std::string& netns, const std::vector<std::string>& args);

// True when this process can make network namespaces here: root, iproute2
// present, and a probe namespace can be added and deleted. Otherwise false
// and *why says what is missing (for GTEST_SKIP). The probe's answer is
// cached for the process.
bool NetnsSupported(std::string* why);

// The names of the named namespaces (`ip netns list`), in its order.
std::vector<std::string> ListNetns();
// The interface names of our own namespace (`ip -o link`), and whether that
// listing mentions `needle` anywhere (a veth peer shows its namespace).
std::vector<std::string> RootLinkNames();
bool RootLinksMention(const std::string& needle);

// Runs `fn` on a fresh thread that has joined /run/netns/<netns> (setns on
// that thread only: the rest of the process stays where it is) and waits for
// it. E_* errno codes when the namespace cannot be joined (fn not run).
Status InNetns(const std::string& netns, const std::function<void()>& fn);

// True when a TCP connection to address:port succeeds from inside `netns`
// ("" = our own namespace) within 1 s.
bool CanConnectIn(const std::string& netns, const std::string& address, uint16_t port);

// Polls CanConnectIn every 20 ms until it holds or `timeout` passes, or
// `alive` (when given) returns false; true when it connected.
bool WaitForListener(const std::string& netns, const std::string& address, uint16_t port,
                     std::chrono::milliseconds timeout,
                     const std::function<bool()>& alive = nullptr);

}  // namespace ferry::test
