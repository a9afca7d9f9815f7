// kernel_sources: which library should ingot's conv kernels come from? Times the conv + dense
// layers of the benchmark networks with XNNPACK, oneDNN and OpenBLAS+im2col side by side, after
// checking that all three compute the same thing.
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend.hpp"
#include "harness.hpp"
#include "network.hpp"

namespace ks {
namespace {

struct BackendEntry {
  const char* name;
  BackendFactory make;
  std::string (*info)();
  std::string (*variant)();  // shown in the table header when the kernels depend on it
};
const BackendEntry kBackends[] = {
    {"XNNPACK", make_xnnpack_backend, xnnpack_info, nullptr},
    {"oneDNN", make_onednn_backend, onednn_info, nullptr},
    {"OpenBLAS+im2col", make_openblas_backend, openblas_info, openblas_core},
};

std::string label(const BackendEntry& b) {
  return b.variant ? std::string(b.name) + " (" + b.variant() + ")" : b.name;
}
constexpr size_t kBackendCount = std::size(kBackends);

constexpr double kTolerance = 1e-3;  // of the reference output's range
constexpr uint64_t kSeed = 1234;

struct Options {
  std::vector<int> threads = {1, 2};
  int runs = 30;
  int warmup = 5;
  std::vector<std::string> networks = network_names();
  bool verbose = false;
};

struct Row {
  std::string network;
  uint64_t macs = 0;
  int threads = 0;
  Timing timing[kBackendCount];
};

[[noreturn]] void usage(const char* error) {
  std::fprintf(
      stderr,
      "%s%susage: kernel_sources [--threads 1,2] [--runs 30] [--warmup 5]\n"
      "                      [--network all|mobilenet_v1|resnet18|ssd_mbv1_300] [--verbose]\n",
      error ? error : "", error ? "\n" : "");
  std::exit(error ? 2 : 0);
}

int parse_positive(const std::string& s, const char* flag, int min) {
  size_t used = 0;
  int v = -1;
  try {
    v = std::stoi(s, &used);
  } catch (const std::exception&) {
  }
  if (used != s.size() || v < min) {
    usage(("parse " + std::string(flag) + ": expected an integer >= " + std::to_string(min) +
           ", got '" + s + "'")
              .c_str());
  }
  return v;
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(parse_positive(s.substr(start, comma - start), "--threads", 1));
    start = comma + 1;
  }
  return out;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") usage(nullptr);
    if (arg == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (i + 1 >= argc) usage(("parse " + arg + ": missing value or unknown flag").c_str());
    std::string value = argv[++i];
    if (arg == "--threads") {
      o.threads = parse_list(value);
    } else if (arg == "--runs") {
      o.runs = parse_positive(value, "--runs", 1);
    } else if (arg == "--warmup") {
      o.warmup = parse_positive(value, "--warmup", 0);
    } else if (arg == "--network") {
      const auto& known = network_names();
      if (value != "all" && std::find(known.begin(), known.end(), value) == known.end()) {
        usage(("parse --network: unknown network, got '" + value + "'").c_str());
      }
      o.networks = value == "all" ? known : std::vector<std::string>{value};
    } else {
      usage(("parse arguments: unknown flag, got '" + arg + "'").c_str());
    }
  }
  return o;
}

std::string with_commas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string mxcsr_flags() {
  unsigned csr = _mm_getcsr();
  return std::string("FTZ=") + (csr & 0x8000 ? "on" : "off") +
         " DAZ=" + (csr & 0x40 ? "on" : "off");
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "\nFAILED: %s\n", message.c_str());
  std::exit(1);
}

void print_layer_table(const Network& net, const Row& row,
                       const std::vector<std::unique_ptr<Backend>>& backends) {
  std::printf("\n%s, %d thread(s), per-layer medians (ms):\n\n| layer | MMACs |", net.name.c_str(),
              row.threads);
  for (const auto& b : kBackends) std::printf(" %s |", b.name);
  std::printf("\n|---|---:|");
  for (size_t b = 0; b < kBackendCount; ++b) std::printf("---|");
  std::printf("\n");
  for (size_t l = 0; l < net.layers.size(); ++l) {
    std::printf("| %s | %.1f |", net.layers[l].name.c_str(), double(net.layers[l].macs()) / 1e6);
    for (size_t b = 0; b < kBackendCount; ++b) {
      std::string impl = backends[b]->describe_layer(l);
      std::printf(" %.3f%s%s%s |", row.timing[b].layer_median_ms[l], impl.empty() ? "" : " (",
                  impl.c_str(), impl.empty() ? "" : ")");
    }
    std::printf("\n");
  }
}

// Runs every backend once per layer on identical inputs, then once through the whole graph,
// and aborts if they disagree or produce subnormals.
void check_agreement(const Network& net, const NetworkData& data, int threads,
                     std::vector<std::unique_ptr<Backend>>& backends,
                     std::vector<IoBuffers>& buffers) {
  size_t subnormals = 0;
  for (size_t b = 0; b < kBackendCount; ++b) {
    for (size_t l = 0; l < net.layers.size(); ++l) backends[b]->run_layer(l);
    subnormals += count_subnormals(net, data, buffers[b]);
  }
  Disagreement layers = compare_layer_outputs(net, buffers);
  std::vector<std::vector<std::vector<float>>> outputs;
  for (size_t b = 0; b < kBackendCount; ++b) {
    outputs.push_back(run_chain(net, data, *backends[b], buffers[b]));
    subnormals += count_subnormals(net, data, buffers[b]);
    buffers[b].load_inputs(data);
  }
  Disagreement chain = compare_chain_outputs(net, outputs);
  std::printf(
      "check %s, %d thread(s): per-layer max |diff|/range %.2e (%s at %s), chained outputs %.2e "
      "(%s at %s), subnormals %zu\n",
      net.name.c_str(), threads, layers.worst, kBackends[layers.backend].name, layers.where.c_str(),
      chain.worst, kBackends[chain.backend].name, chain.where.c_str(), subnormals);
  if (layers.worst > kTolerance || chain.worst > kTolerance) {
    fail("backends disagree on " + net.name + " by more than " + std::to_string(kTolerance) +
         " of the output range");
  }
  if (subnormals != 0) fail("subnormal values in " + net.name + "; the timings would be skewed");
}

Row measure(const Network& net, const NetworkData& data, int threads, const Options& o) {
  std::vector<IoBuffers> buffers;
  buffers.reserve(kBackendCount);  // the backends keep pointers into these
  std::vector<std::unique_ptr<Backend>> backends;
  for (const auto& entry : kBackends) {
    buffers.emplace_back(net);
    buffers.back().load_inputs(data);
    backends.push_back(entry.make({net, data.weights, buffers.back().io(), threads}));
  }
  if (!onednn_blocked()) check_agreement(net, data, threads, backends, buffers);
  Row row{net.name, net.macs(), threads, {}};
  for (size_t b = 0; b < kBackendCount; ++b) {
    // OpenBLAS workers keep spinning for a while after a call and libgomp's briefly; let them
    // park so that one library's idle threads do not steal a core from the next one.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    row.timing[b] = time_backend(*backends[b], net.layers.size(), o.warmup, o.runs);
  }
  if (o.verbose) print_layer_table(net, row, backends);
  return row;
}

void print_table(const std::vector<Row>& rows, const Options& o) {
  std::printf(
      "\nMedian of %d runs after %d warm-ups; ms = sum of per-layer times of one forward "
      "pass (conv + dense layers only).\n\n",
      o.runs, o.warmup);
  std::printf("| network | MMACs | threads |");
  for (const auto& b : kBackends) std::printf(" %s ms |", label(b).c_str());
  std::printf(" best | best GFLOP/s |\n|---|---:|---:|");
  for (size_t b = 0; b < kBackendCount; ++b) std::printf("---:|");
  std::printf("---|---:|\n");
  for (const Row& r : rows) {
    size_t best = 0;
    for (size_t b = 1; b < kBackendCount; ++b) {
      if (r.timing[b].median_ms < r.timing[best].median_ms) best = b;
    }
    std::printf("| %s | %.1f | %d |", r.network.c_str(), double(r.macs) / 1e6, r.threads);
    for (const Timing& t : r.timing) std::printf(" %.2f |", t.median_ms);
    std::printf(" %s | %.1f |\n", kBackends[best].name,
                2.0 * double(r.macs) / (r.timing[best].median_ms * 1e-3) / 1e9);
  }
}

int run(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  const std::string csr_at_start = mxcsr_flags();
  std::printf("CPU: %s; MXCSR %s (process default, left as is)\n", cpu_model().c_str(),
              csr_at_start.c_str());
  for (const auto& b : kBackends) std::printf("%s\n", b.info().c_str());
  std::vector<Row> rows;
  for (const std::string& name : o.networks) {
    Network net;
    if (!make_network(name, net))
      usage(("parse --network: unknown network, got '" + name + "'").c_str());
    std::printf("%s: %zu conv/dense layers, %s MACs (gen_models.py: %s)\n", name.c_str(),
                net.layers.size(), with_commas(net.macs()).c_str(),
                with_commas(net.expected_macs).c_str());
    if (net.macs() != net.expected_macs)
      fail("the layer list of " + name + " drifted from gen_models.py");
    NetworkData data = make_data(net, kSeed);
    for (int t : o.threads) rows.push_back(measure(net, data, t, o));
  }
  print_table(rows, o);
  if (mxcsr_flags() != csr_at_start)
    std::printf("\nnote: MXCSR changed during the run: %s\n", mxcsr_flags().c_str());
  return 0;
}

}  // namespace
}  // namespace ks

int main(int argc, char** argv) {
  try {
    return ks::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    return 1;
  }
}
