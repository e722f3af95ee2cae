#include "lib/torrent/peer_ledger.h"

#include <gtest/gtest.h>

namespace ferry::torrent {
namespace {

TEST(IsLanAddressTest, PrivateLoopbackAndLinkLocalAreLan) {
  for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.2",
                        "169.254.3.4", "::1", "fe80::1", "fd12::3", "::ffff:192.168.0.9"})
    EXPECT_TRUE(IsLanAddress(a)) << a;
  for (const char* a : {"8.8.8.8", "172.32.0.1", "100.64.0.1", "2001:db8::1", "::ffff:1.2.3.4", "",
                        "not-an-address", "192.168.1.1:80"})
    EXPECT_FALSE(IsLanAddress(a)) << a;
}

TEST(PeerLedgerTest, BytesCountWhenReceivedAndOnceVerified) {
  PeerLedger ledger(2);
  ledger.BlockReceived("192.168.1.2", 0, 16384);
  ledger.BlockReceived("8.8.8.8", 0, 16384);
  ledger.BlockReceived("8.8.8.8", 1, 100);
  EXPECT_EQ(ledger.peers().at("8.8.8.8").received, 16484u);
  EXPECT_EQ(ledger.peers().at("8.8.8.8").verified, 0u);
  ledger.PiecePassed(0);
  ledger.PiecePassed(0);  // a second report of the same piece counts nothing
  const LedgerTotals t = ledger.Totals();
  EXPECT_EQ(t.lan_received, 16384u);
  EXPECT_EQ(t.lan_verified, 16384u);
  EXPECT_EQ(t.internet_received, 16484u);
  EXPECT_EQ(t.internet_verified, 16384u);
  EXPECT_TRUE(ledger.peers().at("192.168.1.2").lan);
  EXPECT_FALSE(ledger.peers().at("8.8.8.8").lan);
}

TEST(PeerLedgerTest, SentBytesCountByKindOfPeer) {
  PeerLedger ledger(2);
  ledger.BlockSent("192.168.1.2", 16384);
  ledger.BlockSent("192.168.1.2", 100);
  ledger.BlockSent("8.8.8.8", 16384);
  const LedgerTotals t = ledger.Totals();
  EXPECT_EQ(t.lan_sent, 16484u);
  EXPECT_EQ(t.internet_sent, 16384u);
  EXPECT_EQ(t.lan_received, 0u);
  EXPECT_EQ(ledger.peers().at("8.8.8.8").received, 0u) << "a peer we only sent to sent nothing";
}

TEST(PeerLedgerTest, APeerIsBannedAtItsSecondBadPiece) {
  PeerLedger ledger(2);
  std::vector<std::string> to_ban;
  ledger.BlockReceived("10.0.0.9", 3, 16384);
  ledger.BlockReceived("10.0.0.9", 3, 16384);
  EXPECT_EQ(ledger.PieceFailed(3, &to_ban), std::vector<std::string>{"10.0.0.9"});
  EXPECT_TRUE(to_ban.empty());
  ledger.BlockReceived("10.0.0.9", 4, 16384);
  ledger.PieceFailed(4, &to_ban);
  EXPECT_EQ(to_ban, std::vector<std::string>{"10.0.0.9"});
  EXPECT_TRUE(ledger.peers().at("10.0.0.9").banned);
  EXPECT_EQ(ledger.peers().at("10.0.0.9").bad_pieces, 2);
  EXPECT_EQ(ledger.peers().at("10.0.0.9").verified, 0u);
  // Failed bytes never become verified, and a ban is announced once.
  ledger.BlockReceived("10.0.0.9", 5, 16384);
  to_ban.clear();
  ledger.PieceFailed(5, &to_ban);
  EXPECT_TRUE(to_ban.empty());
  ledger.PiecePassed(3);
  EXPECT_EQ(ledger.peers().at("10.0.0.9").verified, 0u);
}

TEST(PeerLedgerTest, ABannedSenderExplainsAMixedFailure) {
  PeerLedger ledger(2);
  std::vector<std::string> to_ban;
  ledger.MarkBanned("10.0.0.3");
  for (int piece : {7, 8}) {
    ledger.BlockReceived("10.0.0.3", piece, 16384);
    ledger.BlockReceived("10.0.0.2", piece, 16384);
    EXPECT_EQ(ledger.PieceFailed(piece, &to_ban),
              (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  }
  EXPECT_TRUE(to_ban.empty());
  EXPECT_EQ(ledger.peers().at("10.0.0.2").bad_pieces, 0);
  EXPECT_FALSE(ledger.peers().at("10.0.0.2").banned);
  EXPECT_EQ(ledger.peers().at("10.0.0.3").bad_pieces, 2);
  // Without a known bad sender both are charged.
  ledger.BlockReceived("10.0.0.4", 9, 16384);
  ledger.BlockReceived("10.0.0.2", 9, 16384);
  ledger.PieceFailed(9, &to_ban);
  EXPECT_EQ(ledger.peers().at("10.0.0.2").bad_pieces, 1);
  EXPECT_EQ(ledger.peers().at("10.0.0.4").bad_pieces, 1);
}

TEST(PeerLedgerTest, AnUnknownPieceBlamesNobody) {
  PeerLedger ledger(2);
  std::vector<std::string> to_ban;
  EXPECT_TRUE(ledger.PieceFailed(1, &to_ban).empty());
  ledger.PiecePassed(1);
  EXPECT_TRUE(ledger.peers().empty());
}

}  // namespace
}  // namespace ferry::torrent
