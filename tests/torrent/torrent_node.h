// Sessions of ferry's torrent module on loopback addresses, driven by one
// sys::EventLoop on the test's thread. Each node listens on its own address
// (127.0.0.2, 127.0.0.3, …: a ban of one address leaves the others alone) and
// a port the system picks; local service discovery is off, so peers meet
// only through ConnectPeer.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "lib/torrent/loop_binding.h"
#include "lib/torrent/session.h"
#include "support/temp_dir.h"
#include "sys/event_loop.h"

namespace ferry::test {

struct TorrentNode {
  std::string address;
  uint16_t port = 0;
  std::unique_ptr<torrent::Session> session;
  std::unique_ptr<torrent::LoopBinding> binding;
  std::vector<torrent::Event> events;

  // The events of type E, in order.
  template <typename E>
  std::vector<E> Events() const {
    std::vector<E> out;
    for (const torrent::Event& e : events)
      if (const E* p = std::get_if<E>(&e)) out.push_back(*p);
    return out;
  }
  // True once an event of type E names torrent `id`.
  template <typename E>
  bool Has(torrent::TorrentId id) const {
    for (const E& e : Events<E>())
      if (e.id == id) return true;
    return false;
  }
  // True once a PeerBanned event names `address`.
  bool Banned(const std::string& address) const {
    for (const auto& b : Events<torrent::event::PeerBanned>())
      if (b.address == address) return true;
    return false;
  }
  // Pieces of torrent `id` verified as of its last status.
  int PiecesHad(torrent::TorrentId id) const;
};

class TorrentTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::seconds kLimit{60};

  // A listening node on `address`; nullptr (and a test failure) when the
  // module cannot be loaded or the node does not listen within kLimit.
  std::unique_ptr<TorrentNode> StartNode(const std::string& address);
  // As above, with `settings` (its listen address, port and discovery are
  // the node's).
  std::unique_ptr<TorrentNode> StartNode(const std::string& address,
                                         torrent::SessionSettings settings);
  // Turns the loop until `done` or `limit` passes; returns done().
  bool RunUntil(const std::function<bool()>& done, std::chrono::seconds limit = kLimit);
  // Asks for status updates until `done(status)` holds for torrent `id`.
  bool StatusUntil(TorrentNode& node, torrent::TorrentId id,
                   const std::function<bool(const torrent::TorrentStatus&)>& done);
  // Adds and waits for the Added event; 0 (and a test failure) otherwise.
  torrent::TorrentId AddAndWait(TorrentNode& node, const torrent::AddParams& params);
  // AddAndWait of `torrent` (its bytes), running, saving into `save_dir`.
  torrent::TorrentId AddRunning(TorrentNode& node, const std::string& torrent,
                                const std::string& save_dir);
  torrent::TorrentId SeedAndWait(TorrentNode& node, const torrent::SeedParams& params);

  sys::EventLoop loop_;
  TempDir dir_{"ferry-torrent"};
};

}  // namespace ferry::test
