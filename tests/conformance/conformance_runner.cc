// Runs ONNX's node conformance suite through Kiln's importer and runtime and compares with the
// suite's expected outputs. Each case runs in a forked child so a crash or hang in one kernel is
// reported as that case's failure instead of ending the run.
//
//   kiln_conformance --data DIR [--expected-failures FILE] [--filter REGEX] [--write-expected FILE]
//
// Exit status is non-zero when a case off the expected-failure list fails, or a listed case passes
// (so the list can only shrink).
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "core/dispatch.h"
#include "core/error.h"
#include "kiln/kiln.h"
#include "onnx/onnx_importer.h"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

// Compares one output; returns an empty string when it matches, else the reason.
std::string compare(const TensorView& got, const Tensor& want, const std::string& name) {
  if (got.dtype != want.dtype())
    return fmt::format("output '{}' is {}, expected {}", name, data_type_name(got.dtype), data_type_name(want.dtype()));
  if (got.dims != want.dims())
    return fmt::format("output '{}' has shape {}, expected {}", name, dims_to_string(got.dims), dims_to_string(want.dims()));
  std::string reason;
  Status s = KILN_DISPATCH_ALL(want.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* g = static_cast<const T*>(got.data);
    const T* w = want.data<T>();
    for (int64_t i = 0; i < want.numel(); ++i) {
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, Half> ||
                    std::is_same_v<T, BFloat16>) {
        const double a = static_cast<double>(static_cast<float>(g[i]));
        const double b = static_cast<double>(static_cast<float>(w[i]));
        if (std::isnan(a) && std::isnan(b)) continue;
        if (a == b) continue;  // equal infinities
        if (!(std::abs(a - b) <= kAtol + kRtol * std::abs(b))) {
          reason = fmt::format("output '{}' differs at element {}: got {}, expected {}", name, i, a, b);
          return Status::Ok();
        }
      } else {
        if (g[i] != w[i]) {
          reason = fmt::format("output '{}' differs at element {}: got {}, expected {}", name, i,
                               static_cast<int64_t>(g[i]), static_cast<int64_t>(w[i]));
          return Status::Ok();
        }
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.message();
  return reason;
}

// ONNX 1.12's generators store bfloat16 test data as uint16 bit patterns: read those as the
// bfloat16 the model declares (same bits, so nothing is converted).
Tensor as_declared_type(const Tensor& t, DataType declared) {
  if (t.dtype() == DataType::kUInt16 && declared == DataType::kBFloat16)
    return t.bitcast(DataType::kBFloat16);
  return t;
}

// How cases are built: on the CPU, or on the GPU (with or without the host fallback).
BuilderConfig g_config;

// Runs one case in this process; returns "" on success or the failure reason.
std::string run_case(const fs::path& dir) {
  auto network = Network::from_onnx_file((dir / "model.onnx").string());
  if (!network.ok()) return network.status().to_string();
  auto engine = Builder(g_config).build(**network);
  if (!engine.ok()) return engine.status().to_string();
  auto context = (*engine)->create_context();
  if (!context.ok()) return context.status().to_string();

  std::vector<TensorInfo> inputs, outputs;
  for (const TensorInfo& t : (*engine)->io_tensors())
    (t.mode == TensorIOMode::kInput ? inputs : outputs).push_back(t);

  std::vector<fs::path> data_sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) data_sets.push_back(e.path());
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) return "the case has no test_data_set_* folder";

  for (const fs::path& ds : data_sets) {
    std::vector<Tensor> held;  // keeps input memory alive through execute()
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto t = read_tensor_proto_file((ds / ("input_" + std::to_string(i) + ".pb")).string());
      if (!t.ok()) return t.status().to_string();
      held.push_back(as_declared_type(*t, inputs[i].dtype));
      const Tensor& in = held.back();
      Status s = (*context)->set_input(inputs[i].name, TensorView{in.dtype(), in.dims(), in.raw()});
      if (!s.ok()) return s.to_string();
    }
    Status s = (*context)->execute();
    if (!s.ok()) return s.to_string();
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto want = read_tensor_proto_file((ds / ("output_" + std::to_string(i) + ".pb")).string());
      if (!want.ok()) return want.status().to_string();
      auto view = (*context)->output(outputs[i].name);
      if (!view.ok()) return view.status().to_string();
      Tensor host(view->dtype, view->dims);
      Status copied = copy_to_host(*view, host.raw());
      if (!copied.ok()) return copied.to_string();
      const TensorView got{host.dtype(), host.dims(), host.raw()};
      std::string diff = compare(got, as_declared_type(*want, got.dtype), outputs[i].name);
      if (!diff.empty()) return diff;
    }
  }
  return "";
}

// Runs a case in a child process with a time limit; "" on success.
std::string run_case_isolated(const fs::path& dir, int timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe() failed";
  pid_t pid = fork();
  if (pid < 0) return "fork() failed";
  if (pid == 0) {
    close(fds[0]);
    alarm(static_cast<unsigned>(timeout_s));
    std::string r = run_case(dir);
    if (r.empty()) r = "\x01";  // marks success
    ssize_t unused = write(fds[1], r.data(), r.size());
    (void)unused;
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    if (WTERMSIG(status) == SIGALRM) return fmt::format("timed out after {} s", timeout_s);
    return fmt::format("crashed with signal {}", WTERMSIG(status));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (out == "\x01") return "";
  return out.empty() ? "no result" : out;
}

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  std::replace(line.begin(), line.end(), '#', ' ');
  return line.size() > 160 ? line.substr(0, 157) + "..." : line;
}

// Reads "test_name  # reason" lines; blank lines and whole-line comments are skipped.
std::map<std::string, std::string> read_list(const std::string& path) {
  std::map<std::string, std::string> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto hash = line.find('#');
    std::string name = line.substr(0, hash);
    name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
    if (name.empty()) continue;
    out[name] = hash == std::string::npos ? "" : line.substr(hash + 1);
  }
  return out;
}

bool gpu_in_child() {
  const pid_t pid = fork();
  if (pid == 0) _exit(cuda_device_count() > 0 ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run ONNX's node conformance suite through Kiln"};
  std::string data_dir, expected_path, filter = ".*", write_expected;
  int timeout_s = 120;
  bool verbose = false;
  app.add_option("--data", data_dir, "Folder holding node/<case>/ (from generate.py)")->required();
  app.add_option("--expected-failures", expected_path, "List of cases expected to fail, one per line");
  app.add_option("--filter", filter, "Only cases whose name matches this regular expression");
  app.add_option("--write-expected", write_expected, "Write the failing cases, with reasons, to this file");
  app.add_option("--timeout", timeout_s, "Seconds allowed per case");
  app.add_flag("-v,--verbose", verbose, "Print every case");
  std::string device = "cpu";
  bool no_host_fallback = false;
  int jobs = 1;
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--no-host-fallback", no_host_fallback, "CUDA: layers without a CUDA tactic fail the case");
  app.add_option("--jobs", jobs, "Cases run at once, each in its own process")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  g_config.device = device == "cuda" ? DeviceKind::kCuda : DeviceKind::kCpu;
  g_config.allow_host_fallback = !no_host_fallback;
  // The suite's references are FP32 results: compare with FP32 arithmetic.
  g_config.tf32 = false;
  // Asked in a child: a process that has touched CUDA cannot use it in the children it forks.
  if (g_config.device == DeviceKind::kCuda && !gpu_in_child()) {
    std::cout << "conformance: no GPU, skipped\n";
    return 77;
  }

  const fs::path node_dir = fs::path(data_dir) / "node";
  if (!fs::is_directory(node_dir)) {
    std::cerr << "conformance: no test data at " << node_dir << "\n";
    return 2;
  }
  std::vector<fs::path> cases;
  const std::regex re(filter);
  for (const auto& e : fs::directory_iterator(node_dir))
    if (e.is_directory() && std::regex_search(e.path().filename().string(), re)) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());

  const auto expected = read_list(expected_path);
  int passed = 0, failed = 0, skipped = 0, unexpected = 0;
  std::vector<std::pair<std::string, std::string>> failures;
  // Each case runs in its own process; `jobs` of them at once.
  std::vector<std::string> reasons(cases.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j)
    workers.emplace_back([&] {
      for (size_t k = next++; k < cases.size(); k = next++) reasons[k] = run_case_isolated(cases[k], timeout_s);
    });
  for (auto& w : workers) w.join();
  for (size_t k = 0; k < cases.size(); ++k) {
    const fs::path& c = cases[k];
    const std::string name = c.filename().string();
    const std::string& reason = reasons[k];
    const bool listed = expected.count(name) != 0;
    if (reason.empty()) {
      ++passed;
      if (listed) {
        ++unexpected;
        std::cout << "UNEXPECTED PASS " << name << " (remove it from the expected-failure list)\n";
      } else if (verbose) {
        std::cout << "pass " << name << "\n";
      }
    } else {
      ++failed;
      failures.emplace_back(name, first_line(reason));
      if (!listed) {
        ++unexpected;
        std::cout << "FAIL " << name << ": " << reason << "\n";
      } else if (verbose) {
        std::cout << "expected failure " << name << ": " << first_line(reason) << "\n";
      }
    }
  }
  if (!write_expected.empty()) {
    std::ofstream out(write_expected);
    out << "# ONNX node conformance cases Kiln is expected to fail on the " << device << ", with the reason.\n"
           "# The conformance test fails if a case here passes: delete its line when you fix it.\n";
    for (const auto& [n, r] : failures) out << n << "  # " << r << "\n";
  }
  std::cout << "conformance: " << passed << " passed, " << failed << " failed, " << skipped << " skipped of "
            << cases.size() << "\n";
  if (unexpected) std::cout << unexpected << " case(s) differ from the expected-failure list\n";
  return unexpected ? 1 : 0;
}
