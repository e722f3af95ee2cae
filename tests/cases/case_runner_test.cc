// Runs every case file in tests/cases/data/*.json (format: tests/cases/README.md)
// in three modes, each its own test (Cases/CaseTest.Run/<case>_<Mode>):
//   InProcess  the whole engine on a virtual clock (support/sim_host.h): no
//              sleeps; retry delays and no-progress timeouts pass in virtual time;
//   Daemon     a real ferryd on a private bus, driven through the SDK;
//   FaultFs    InProcess under the fault-injecting file system, failing the
//              Nth file-system operation for every N (stepped, see FaultRuns).
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

#include "cases/case_file.h"
#include "cases/case_modes.h"

namespace ferry::test {
namespace {

struct Param {
  std::string path;
  Mode mode;
};

// "001_plain_200 in Daemon", where gtest prints the parameter.
void PrintTo(const Param& p, std::ostream* os) { *os << CaseName(p.path) << " in " << ModeName(p.mode); }

std::vector<Param> Params() {
  std::vector<Param> out;
  for (const auto& p : CaseFiles())
    for (Mode m : {Mode::kInProcess, Mode::kDaemon, Mode::kFaultFs}) out.push_back({p, m});
  return out;
}

class CaseTest : public ::testing::TestWithParam<Param> {};

TEST_P(CaseTest, Run) {
  Case c = LoadCase(GetParam().path);
  SCOPED_TRACE(c.doc.value("description", c.path));
  if (auto why = SkipReason(c, GetParam().mode)) GTEST_SKIP() << *why;
  switch (GetParam().mode) {
    case Mode::kInProcess:
      RunInProcess(c);
      break;
    case Mode::kDaemon:
      RunDaemon(c);
      break;
    case Mode::kFaultFs:
      RunFaultFs(c);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseTest, ::testing::ValuesIn(Params()), [](const auto& info) {
  return CaseName(info.param.path) + "_" + ModeName(info.param.mode);
});

}  // namespace
}  // namespace ferry::test
