// Every interface, method, signal and property of api/dbus/*.xml is
// documented in docs/dbus-api.md (as `Name` in backquotes), and every error
// name the service can send is listed there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DbusDocs, EveryMemberOfTheXmlIsDocumented) {
  std::filesystem::path root(FERRY_SOURCE_DIR);
  std::string doc = Slurp(root / "docs" / "dbus-api.md");
  ASSERT_FALSE(doc.empty()) << "docs/dbus-api.md is missing";
  std::regex member(R"re(<(interface|method|signal|property)\s+name="([^"]+)")re");
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "api" / "dbus")) {
    if (entry.path().extension() != ".xml") continue;
    std::string xml = Slurp(entry.path());
    for (std::sregex_iterator it(xml.begin(), xml.end(), member), end; it != end; ++it) {
      std::string kind = (*it)[1], name = (*it)[2];
      EXPECT_NE(doc.find("`" + name + "`"), std::string::npos)
          << kind << " " << name << " of " << entry.path().filename()
          << " is not documented in docs/dbus-api.md";
      ++checked;
    }
  }
  EXPECT_GT(checked, 40u);
}

TEST(DbusDocs, ErrorNamingIsDocumented) {
  std::string doc = Slurp(std::filesystem::path(FERRY_SOURCE_DIR) / "docs" / "dbus-api.md");
  for (const char* s :
       {"org.ferry.Ferry1.Error.", "HRESULT_0x", "E_ACCESSDENIED", "E_INVALIDARG",
        "DO_E_JOB_NOT_FOUND", "DO_E_INVALID_STATE", "DO_E_ERROR_INFORMATION_UNAVAILABLE"})
    EXPECT_NE(doc.find(s), std::string::npos) << s;
}

}  // namespace
