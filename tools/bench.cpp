// ingot bench MODEL.ingot [--runs N] [--warmup N] [--threads N] [--reference] [--profile]
//                         [--input x.npy ... | --input-shape 2,224,224,3 ...] [--json]
// Times runs of a model: load + plan time, median / min / max latency, effective GFLOP/s from
// the graph's MACs, activation and weight memory, and with --profile the time per op type.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "kernels/cpu_level.h"
#include "runtime/graph_stats.h"
#include "runtime/npy.h"
#include "runtime/session.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> input_shapes;
  std::vector<std::string> plugins;
  RuntimeFlags runtime;
  int runs = 50;
  int warmup = 5;
  bool profile = false;
  bool json = false;
};

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

// Inputs from --input, else uniform [-1, 1) values with a fixed seed (timing does not depend
// on the values of f32 convolutions; detection heads may, so real inputs can be given).
Result<std::vector<Tensor>> read_inputs(const BenchOptions& o) {
  std::vector<Tensor> inputs;
  for (const auto& path : o.inputs) {
    INGOT_ASSIGN_OR_RETURN(Tensor t, npy::read(path));
    inputs.push_back(std::move(t));
  }
  return inputs;
}

Result<std::vector<Tensor>> random_inputs(const runtime::Session& session) {
  std::vector<Tensor> inputs;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const TensorInfo& info : session.input_infos()) {
    if (info.dtype != DType::f32) return usage_error("bench: input of dtype " + std::string(dtype_name(info.dtype)) + " needs --input");
    INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(info.dtype, info.shape));
    for (float& v : t.mutable_data<float>()) v = uniform(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

struct OpTime {
  double ms = 0;
  int steps = 0;
  std::map<std::string, int> kernels;
};

Status bench(const BenchOptions& o) {
  INGOT_TRY(load_plugins(o.plugins));
  if (o.runs < 1 || o.warmup < 0) return usage_error("bench: --runs must be >= 1 and --warmup >= 0");
  if (!o.inputs.empty() && !o.input_shapes.empty()) return usage_error("bench: give --input or --input-shape, not both");
  INGOT_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, read_inputs(o));
  runtime::PlanOptions plan = plan_options(o.runtime);
  for (const Tensor& t : inputs) plan.input_shapes.push_back(t.shape());  // open dims: plan for these
  for (const auto& text : o.input_shapes) {
    INGOT_ASSIGN_OR_RETURN(Shape shape, parse_shape_flag(text));
    plan.input_shapes.push_back(shape);
  }
  const auto load_start = Clock::now();
  INGOT_ASSIGN_OR_RETURN(auto session, runtime::Session::load(o.model, default_registry(), plan));
  const double load_ms = ms_since(load_start);
  if (inputs.empty()) {
    INGOT_ASSIGN_OR_RETURN(inputs, random_inputs(session));
  }

  std::vector<runtime::StepProfile> profile = session.profile_template();
  for (int i = 0; i < o.warmup; ++i) INGOT_TRY_CTX(session.run_in_place(inputs), "run model " + quote(o.model));
  std::vector<double> times;
  for (int i = 0; i < o.runs; ++i) {
    const auto start = Clock::now();
    INGOT_TRY_CTX(session.run_in_place(inputs, o.profile ? &profile : nullptr), "run model " + quote(o.model));
    times.push_back(ms_since(start));
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                          : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
  const std::uint64_t macs = runtime::count_macs(session.graph());
  const double gflops = 2.0 * static_cast<double>(macs) / (median * 1e6);

  std::map<std::string, OpTime> by_op;
  for (const auto& step : profile) {
    OpTime& t = by_op[step.op];
    t.ms += step.total_ms / o.runs;
    t.steps += 1;
    t.kernels[step.kernel] += 1;
  }
  nlohmann::json j = {
      {"model", o.model},
      {"threads", session.threads()},
      {"kernels", o.runtime.reference ? "reference" : "optimized"},
      {"conv_kernels", o.runtime.reference ? "reference" : o.runtime.conv_kernels},
      {"winograd", !o.runtime.reference && o.runtime.winograd == "on"},
      {"cpu_level", kernels::describe_cpu_level()},
      {"runs", o.runs},
      {"warmup", o.warmup},
      {"load_plan_ms", load_ms},
      {"median_ms", median},
      {"min_ms", sorted.front()},
      {"max_ms", sorted.back()},
      {"macs", macs},
      {"gflops_per_s", gflops},
      {"activation_bytes", session.activation_bytes()},
      {"activation_lower_bound_bytes", session.activation_lower_bound()},
      {"scratch_bytes", session.scratch_bytes()},
      {"weight_bytes", runtime::weight_bytes(session.graph())},
      {"steps", profile.size()},
      {"passes", session.pass_log()},
  };
  if (o.profile) {
    for (const auto& [op, t] : by_op) j["profile"][op] = {{"ms", t.ms}, {"steps", t.steps}, {"kernels", t.kernels}};
  }
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return {};
  }
  std::printf("model        %s\n", o.model.c_str());
  if (o.runtime.reference) {
    std::printf("kernels      reference, %d thread(s)\n", session.threads());
  } else {
    std::printf("kernels      optimized (conv/dense: %s, winograd %s), %d thread(s), CPU level %s\n",
                o.runtime.conv_kernels.c_str(), o.runtime.winograd.c_str(), session.threads(),
                kernels::describe_cpu_level().c_str());
  }
  std::printf("load + plan  %.2f ms\n", load_ms);
  std::printf("latency      median %.3f ms   min %.3f   max %.3f   (%d runs after %d warm-up)\n", median,
              sorted.front(), sorted.back(), o.runs, o.warmup);
  std::printf("compute      %.1f M MACs, %.1f GFLOP/s effective\n", static_cast<double>(macs) / 1e6, gflops);
  std::printf("activations  %s (liveness lower bound %s), kernel scratch %s\n",
              format_bytes(session.activation_bytes()).c_str(), format_bytes(session.activation_lower_bound()).c_str(),
              format_bytes(session.scratch_bytes()).c_str());
  std::printf("weights      %s as stored\n", format_bytes(runtime::weight_bytes(session.graph())).c_str());
  std::printf("plan         %zu steps, %zu rewrites by the plan passes\n", profile.size(), session.pass_log().size());
  if (o.profile) {
    std::vector<std::pair<std::string, OpTime>> ops(by_op.begin(), by_op.end());
    std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    std::printf("\n%-18s %6s %10s %7s  %s\n", "op", "steps", "ms/run", "share", "kernels");
    double total = 0;
    for (const auto& [op, t] : ops) total += t.ms;
    for (const auto& [op, t] : ops) {
      std::string kernels;
      for (const auto& [k, n] : t.kernels) kernels += (kernels.empty() ? "" : ", ") + k + " x" + std::to_string(n);
      std::printf("%-18s %6d %10.3f %6.1f%%  %s\n", op.c_str(), t.steps, t.ms, total > 0 ? 100 * t.ms / total : 0.0,
                  kernels.c_str());
    }
  }
  return {};
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("bench", "Time a model: latency, GFLOP/s, memory, and a per-op profile");
  auto o = std::make_shared<BenchOptions>();
  cmd->add_option("MODEL", o->model, "the .ingot file")->required();
  cmd->add_option("-i,--input", o->inputs, "an input .npy, once per model input (default: seeded random values)");
  cmd->add_option("--input-shape", o->input_shapes,
                  "the shape of the random input, once per model input (default: the file's); only open dims may differ");
  cmd->add_option("--runs", o->runs, "timed runs (default 50)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", o->warmup, "untimed runs first (default 5)")->check(CLI::Range(0, 1000000));
  cmd->add_flag("--profile", o->profile, "time every step and print the time per op type");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->add_option("--plugin", o->plugins, "a shared library registering user ops; repeatable");
  add_runtime_flags(*cmd, o->runtime);
  cmd->final_callback([&exit_code, o] { exit_code = report(bench(*o)); });
}

}  // namespace ingot::cli
