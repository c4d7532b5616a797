// A folder of the running test's own under the system's temp directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace kiln::testing {

// temp/<prefix>/<suite>.<test>.<pid>. Why: CTest runs each test case as a process of its own, in
// parallel, so the cases of one fixture that cleared a shared fixed folder in SetUp and TearDown
// removed each other's files (DigitsInt8 failed that way under ctest -j2).
inline std::filesystem::path test_temp_dir(const std::string& prefix) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  std::replace(name.begin(), name.end(), '/', '_');  // parameterized suites and cases
  return std::filesystem::temp_directory_path() / prefix / (name + "." + std::to_string(::getpid()));
}

}  // namespace kiln::testing
