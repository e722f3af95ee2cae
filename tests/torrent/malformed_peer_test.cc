// A scripted peer (issue 12 §5): a plain TCP client on 127.0.0.9 that does a
// correct BitTorrent handshake for the seeded torrent, so that the seeder
// takes it as a peer, then sends one malformed message. The seeder must
// close the connection within kLimit, send it no piece, and go on serving a
// well-behaved peer, which gets every byte right.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = 1 * kMiB + 777;
constexpr int kPiece = 64 << 10;

std::string Be32(uint32_t v) {
  v = htonl(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}

// A message: length prefix, id, payload.
std::string Message(uint8_t id, const std::string& payload) {
  return Be32(static_cast<uint32_t>(payload.size() + 1)) + static_cast<char>(id) + payload;
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

struct Case {
  const char* name;
  std::string bytes;  // sent after the handshakes
};

std::vector<Case> Cases() {
  const uint32_t pieces = (kSize + kPiece - 1) / kPiece;
  return {
      {"a length prefix of 2 GiB", Be32(0x7fffffff) + std::string(64, 'x')},
      {"a bitfield of the wrong length", Message(5, std::string(100, '\xff'))},
      {"a have of a piece past the end", Message(4, Be32(pieces + 1000))},
      {"a piece that was never requested, past the end",
       Message(7, Be32(pieces + 5) + Be32(0) + std::string(16384, 'z'))},
      {"a have with no payload", Be32(1) + '\x04'},
  };
}

// The scripted peer's socket (blocking connect on loopback, then reads that
// never block).
class ScriptedPeer {
 public:
  ~ScriptedPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Connect(const std::string& from, const std::string& to, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &a.sin_addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, to.c_str(), &a.sin_addr);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads what is there; true once the other side closed (or reset).
  bool Closed() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

class ScriptedPeerTest : public TorrentTest {
 protected:
  // A seeder on 127.0.0.2 of a new file; its torrent's handshake in handshake_.
  void StartSeeder(torrent::SessionSettings settings = {}) {
    ASSERT_TRUE(dir_.ok());
    std::filesystem::create_directories(dir_.Path("seed"));
    std::filesystem::create_directories(dir_.Path("get"));
    sha_ = WriteRandomFile(dir_.Path("seed/file.bin"), kSize, 0x77697265);
    torrent_ = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, kPiece);
    ASSERT_FALSE(torrent_.empty());
    seeder_ = StartNode("127.0.0.2", settings);
    ASSERT_TRUE(seeder_);
    seed_id_ = SeedAndWait(*seeder_, {torrent_, dir_.Path("seed/file.bin")});
    ASSERT_NE(seed_id_, 0u);
    ASSERT_TRUE(StatusUntil(*seeder_, seed_id_, [&](const torrent::TorrentStatus& s) {
      hash_ = FromHex(s.info_hash_v1);
      return hash_.size() == 20;
    }));
    handshake_ = std::string("\x13") + "BitTorrent protocol" + std::string(8, '\0') + hash_ +
                 "-XX0001-scriptedpeer";
    ASSERT_EQ(handshake_.size(), 68u);
  }
  // Connects `peer` from `from` and exchanges handshakes.
  void Greet(ScriptedPeer& peer, const std::string& from) {
    ASSERT_TRUE(peer.Connect(from, "127.0.0.2", seeder_->port));
    ASSERT_TRUE(peer.Send(handshake_));
    // Its handshake back: the seeder took this peer for the torrent.
    ASSERT_TRUE(RunUntil([&] { return peer.Closed() || peer.received().size() >= 68; }));
    ASSERT_GE(peer.received().size(), 68u) << "the seeder refused the handshake";
    ASSERT_EQ(peer.received().substr(28, 20), hash_);
  }
  // A well-behaved peer gets the file, every byte right.
  void GoodPeerGetsTheFile() {
    auto getter = StartNode("127.0.0.3");
    ASSERT_TRUE(getter);
    const TorrentId id = AddRunning(*getter, torrent_, dir_.Path("get"));
    ASSERT_NE(id, 0u);
    ASSERT_TRUE(getter->session->ConnectPeer(id, "127.0.0.2", seeder_->port).ok());
    ASSERT_TRUE(RunUntil([&] { return getter->Has<torrent::event::Finished>(id); }));
    EXPECT_EQ(Sha256File(dir_.Path("get/file.bin")), sha_);
  }

  std::string sha_, torrent_, hash_, handshake_;
  std::unique_ptr<TorrentNode> seeder_;
  TorrentId seed_id_ = 0;
};

TEST_F(ScriptedPeerTest, APeerSendingMalformedMessagesIsDisconnected) {
  ASSERT_NO_FATAL_FAILURE(StartSeeder());
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    ScriptedPeer peer;
    ASSERT_NO_FATAL_FAILURE(Greet(peer, "127.0.0.9"));
    peer.Send(c.bytes);  // may fail once the seeder has closed
    EXPECT_TRUE(RunUntil([&] { return peer.Closed(); }, std::chrono::seconds(20)))
        << "the seeder kept the connection";
  }
  // It sent none of them a block.
  const torrent::PeerLedger* seeded = seeder_->session->Ledger(seed_id_);
  ASSERT_NE(seeded, nullptr);
  EXPECT_EQ(seeded->peers().count("127.0.0.9"), 0u) << "blocks went to the scripted peer";
  GoodPeerGetsTheFile();
}

// Inbound connections beyond connections_limit are closed: of 16 scripted
// peers (one address each) that all handshake, at most the limit stay.
TEST_F(ScriptedPeerTest, InboundConnectionsAreCapped) {
  torrent::SessionSettings settings;
  settings.connections_limit = 4;
  ASSERT_NO_FATAL_FAILURE(StartSeeder(settings));
  std::vector<std::unique_ptr<ScriptedPeer>> peers;
  for (int i = 1; i <= 16; ++i) {
    peers.push_back(std::make_unique<ScriptedPeer>());
    const std::string from = "127.0.1." + std::to_string(i);
    ASSERT_TRUE(peers.back()->Connect(from, "127.0.0.2", seeder_->port)) << from;
    ASSERT_TRUE(peers.back()->Send(handshake_));
  }
  auto open = [&] {
    int n = 0;
    for (auto& p : peers) n += p->Closed() ? 0 : 1;
    return n;
  };
  EXPECT_TRUE(
      RunUntil([&] { return open() <= settings.connections_limit; }, std::chrono::seconds(20)))
      << open() << " connections stayed open";
  RunUntil([] { return false; }, std::chrono::seconds(2));
  EXPECT_LE(open(), settings.connections_limit);
  EXPECT_GT(open(), 0) << "the seeder took no peer at all";
  peers.clear();
  GoodPeerGetsTheFile();
}

}  // namespace
}  // namespace ferry::test
