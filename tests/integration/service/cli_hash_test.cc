// `ferry hash FILE` from the built binary (docs/content-id.md): the id is
// the SDK's, carries libtorrent's own pieces root, and parses; no service
// is needed.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "ferry/content_id.h"
#include "support/child_process.h"
#include "support/service_env.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"
#include "util/content_id.h"

namespace ferry {
namespace {

std::string WriteRandom(const std::string& path, size_t n) {
  std::mt19937 gen(7);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(gen() & 0xff);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(CliHashTest, PrintsTheContentIdOfTheFile) {
  if (!test::CliAvailable()) GTEST_SKIP() << "the ferry binary is not built";
  test::TempDir dir;
  std::string file = WriteRandom(dir.path() + "/blob", 3 * 16 * 1024 + 7);
  auto r = test::RunCli("", {"hash", file});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::string id = r.out.substr(0, r.out.find('\n'));
  auto parsed = ParseContentId(id);
  ASSERT_TRUE(parsed.ok()) << id;
  EXPECT_EQ(parsed.value().size, 3 * 16 * 1024 + 7u);
  std::string sdk;
  ASSERT_TRUE(ContentIdOfFile(file, &sdk).ok());
  EXPECT_EQ(id, sdk);
  if (test::PythonLibtorrentAvailable()) {
    auto lt = test::RunCommand(
        {"/usr/bin/python3", FERRY_SOURCE_DIR "/tests/support/pieces_root.py", file});
    ASSERT_EQ(lt.exit_code, 0) << lt.Describe();
    EXPECT_EQ(parsed.value().root + "\n", lt.out);
  }

  r = test::RunCli("", {"hash", "--json", file});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["content_id"], id);
  EXPECT_EQ(j["file"], file);
}

TEST(CliHashTest, EmptyFileAndMissingFile) {
  if (!test::CliAvailable()) GTEST_SKIP() << "the ferry binary is not built";
  test::TempDir dir;
  std::string empty = WriteRandom(dir.path() + "/empty", 0);
  auto r = test::RunCli("", {"hash", empty});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out.substr(0, 7), "cid1-0-");
  r = test::RunCli("", {"hash", dir.path() + "/missing"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("0x80070002"), std::string::npos) << r.Describe();
  r = test::RunCli("", {"hash", dir.path()});  // a directory
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.Describe();
  r = test::RunCli("", {"hash"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
}

// Several files, as sha256sum takes them: "ID  FILE" lines in order (--json:
// an array), a missing file reported on stderr without stopping the others,
// then exit 1.
TEST(CliHashTest, SeveralFilesPrintALineEachAndGoOnPastAMissingOne) {
  if (!test::CliAvailable()) GTEST_SKIP() << "the ferry binary is not built";
  test::TempDir dir;
  std::string a = WriteRandom(dir.path() + "/a", 1000);
  std::string b = WriteRandom(dir.path() + "/b", 70000);
  std::string ida, idb;
  ASSERT_TRUE(ContentIdOfFile(a, &ida).ok());
  ASSERT_TRUE(ContentIdOfFile(b, &idb).ok());
  auto r = test::RunCli("", {"hash", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, ida + "  " + a + "\n" + idb + "  " + b + "\n");

  r = test::RunCli("", {"hash", b, dir.path() + "/missing", a});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_EQ(r.out, idb + "  " + b + "\n" + ida + "  " + a + "\n");
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("0x80070002"), std::string::npos) << r.Describe();

  r = test::RunCli("", {"hash", a, b, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  ASSERT_EQ(j.size(), 2u) << r.out;
  EXPECT_EQ(j[0]["content_id"], ida);
  EXPECT_EQ(j[0]["file"], a);
  EXPECT_EQ(j[1]["content_id"], idb);

  std::string lab;
  ASSERT_TRUE(ContentInfoHash(idb, "lab", &lab).ok());
  r = test::RunCli("", {"hash", "--info-hash", "--group", "lab", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find(lab.substr(0, 40) + "  " + b + "\n"), std::string::npos) << r.out;
}

// --info-hash: what a whitelisting tracker must list for the content in a
// group (the SDK's ContentInfoHash; torrent_tests checks it against the
// module's torrent), from a file or an id, options after the verb.
TEST(CliHashTest, InfoHashForATrackersWhitelist) {
  if (!test::CliAvailable()) GTEST_SKIP() << "the ferry binary is not built";
  test::TempDir dir;
  std::string file = WriteRandom(dir.path() + "/blob", 200000);
  std::string id;
  ASSERT_TRUE(ContentIdOfFile(file, &id).ok());
  std::string lan, lab;
  ASSERT_TRUE(ContentInfoHash(id, "", &lan).ok());
  ASSERT_TRUE(ContentInfoHash(id, "lab", &lab).ok());
  ASSERT_NE(lan, lab);
  auto r = test::RunCli("", {"hash", file, "--info-hash", "--group", "lab"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, lab.substr(0, 40) + "\n");
  r = test::RunCli("", {"hash", "--info-hash", "--content-id", id});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, lan.substr(0, 40) + "\n");
  r = test::RunCli("", {"hash", "--content-id", id, "--info-hash", "--group=lab", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["content_id"], id);
  EXPECT_EQ(j["group"], "lab");
  EXPECT_EQ(j["info_hash_v2"], lab);
  EXPECT_EQ(j["tracker_info_hash"], lab.substr(0, 40));

  EXPECT_EQ(test::RunCli("", {"hash", file, "--group", "lab"}).exit_code, 2);
  EXPECT_EQ(test::RunCli("", {"hash", "--content-id", id}).exit_code, 2);
  EXPECT_EQ(test::RunCli("", {"hash", file, "--content-id", id, "--info-hash"}).exit_code, 2);
  r = test::RunCli("", {"hash", "--content-id", id + "0", "--info-hash"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("0x80070057"), std::string::npos) << r.Describe();
}

TEST(CliHashTest, ValidateContentIdIsTheParser) {
  std::string id;
  test::TempDir dir;
  ASSERT_TRUE(ContentIdOfFile(WriteRandom(dir.path() + "/b", 100), &id).ok());
  EXPECT_TRUE(ValidateContentId(id).ok());
  id.back() = id.back() == '0' ? '1' : '0';
  EXPECT_EQ(ValidateContentId(id).code(), code::kInvalidArg);
}

}  // namespace
}  // namespace ferry
