// main() of every test binary: gtest's, except in a RunAs child, which runs
// its one registered function instead (support/child_process.h).
#include <gtest/gtest.h>

#include "support/child_process.h"

int main(int argc, char** argv) {
  if (int code = 0; ferry::test::RunChildFunctionIfAsked(argc, argv, &code)) return code;
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
