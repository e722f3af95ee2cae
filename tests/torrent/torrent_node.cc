#include "torrent/torrent_node.h"

#include <algorithm>

#include "lib/torrent/module.h"

namespace ferry::test {

int TorrentNode::PiecesHad(torrent::TorrentId id) const {
  const torrent::TorrentStatus* s = session->GetStatus(id);
  return s == nullptr ? 0 : static_cast<int>(std::count(s->pieces.begin(), s->pieces.end(), true));
}

std::unique_ptr<TorrentNode> TorrentTest::StartNode(const std::string& address) {
  return StartNode(address, torrent::SessionSettings{});
}

std::unique_ptr<TorrentNode> TorrentTest::StartNode(const std::string& address,
                                                    torrent::SessionSettings settings) {
  settings.listen_addresses = {address};
  settings.outgoing_address = address;
  settings.listen_port = 0;
  settings.local_service_discovery = false;
  auto session = torrent::CreateSession(settings, FERRY_TORRENT_MODULE_BUILT);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return nullptr;
  auto node = std::make_unique<TorrentNode>();
  node->address = address;
  node->session = std::move(session.value());
  TorrentNode* n = node.get();
  node->session->SetEventHandler([n](const torrent::Event& e) {
    if (const auto* l = std::get_if<torrent::event::ListenSucceeded>(&e)) n->port = l->port;
    n->events.push_back(e);
  });
  node->binding = std::make_unique<torrent::LoopBinding>(loop_, *node->session);
  EXPECT_TRUE(RunUntil([n] { return n->port != 0; })) << "no listen on " << address;
  return n->port != 0 ? std::move(node) : nullptr;
}

bool TorrentTest::RunUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    loop_.RunOnce(std::chrono::milliseconds(50));
  }
  return true;
}

bool TorrentTest::StatusUntil(TorrentNode& node, torrent::TorrentId id,
                              const std::function<bool(const torrent::TorrentStatus&)>& done) {
  auto next_ask = std::chrono::steady_clock::now();
  return RunUntil([&] {
    const torrent::TorrentStatus* s = node.session->GetStatus(id);
    if (s != nullptr && done(*s)) return true;
    if (std::chrono::steady_clock::now() >= next_ask) {
      node.session->RequestStatus();
      next_ask += std::chrono::milliseconds(100);
    }
    return false;
  });
}

torrent::TorrentId TorrentTest::AddAndWait(TorrentNode& node, const torrent::AddParams& params) {
  auto id = node.session->Add(params);
  EXPECT_TRUE(id.ok()) << id.status().message();
  if (!id.ok()) return 0;
  const torrent::TorrentId t = id.value();
  EXPECT_TRUE(RunUntil([&] { return node.Has<torrent::event::Added>(t); })) << "not added";
  return node.Has<torrent::event::Added>(t) ? t : 0;
}

torrent::TorrentId TorrentTest::AddRunning(TorrentNode& node, const std::string& torrent,
                                           const std::string& save_dir) {
  torrent::AddParams params;
  params.torrent = torrent;
  params.save_dir = save_dir;
  params.paused = false;
  return AddAndWait(node, params);
}

torrent::TorrentId TorrentTest::SeedAndWait(TorrentNode& node, const torrent::SeedParams& params) {
  auto id = node.session->Seed(params);
  EXPECT_TRUE(id.ok()) << id.status().message();
  if (!id.ok()) return 0;
  const torrent::TorrentId t = id.value();
  EXPECT_TRUE(RunUntil([&] { return node.Has<torrent::event::Added>(t); })) << "not added";
  return node.Has<torrent::event::Added>(t) ? t : 0;
}

}  // namespace ferry::test
