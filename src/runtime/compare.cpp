#include "runtime/compare.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>

#include "ir/builder.h"
#include "ir/passes.h"

namespace ingot::runtime {
namespace {

// Sums over every sample, so one report covers a whole input set.
struct Accumulator {
  double dot = 0, ref2 = 0, test2 = 0, noise2 = 0, max_abs = 0, max_ref = 0;
  std::int64_t elements = 0;
  void add(std::span<const float> ref, std::span<const float> test) {
    for (std::size_t i = 0; i < ref.size(); ++i) {
      const double a = ref[i], b = test[i], d = b - a;
      dot += a * b;
      ref2 += a * a;
      test2 += b * b;
      noise2 += d * d;
      max_abs = std::max(max_abs, std::fabs(d));
      max_ref = std::max(max_ref, std::fabs(a));
    }
    elements = static_cast<std::int64_t>(ref.size());
  }
  ValueError result(const std::string& name, const std::string& op) const {
    ValueError e{name, op, elements, max_abs, 0, 1, kExactSnrDb, 0, -INFINITY};
    e.max_rel = max_ref > 0 ? max_abs / max_ref : (max_abs > 0 ? INFINITY : 0);
    if (ref2 > 0 && test2 > 0) e.cosine = dot / std::sqrt(ref2 * test2);
    else e.cosine = ref2 == test2 ? 1.0 : 0.0;
    if (noise2 > 0) e.snr_db = std::min(kExactSnrDb, ref2 > 0 ? 10 * std::log10(ref2 / noise2) : -kExactSnrDb);
    if (!std::isfinite(max_abs)) e.snr_db = -kExactSnrDb;  // inf or NaN in one of them
    return e;
  }
};

// Top-k class indices of one row, highest first (ties: lower index first).
std::vector<std::size_t> top_k(std::span<const float> row, std::size_t k) {
  std::vector<std::size_t> idx(row.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                    [&](std::size_t a, std::size_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  idx.resize(k);
  return idx;
}

bool is_detector(const std::string& op) { return op == "DetectionOutput" || op == "DecodeDetections"; }

struct Box {
  float image = 0, label = 0, score = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

double iou(const Box& a, const Box& b) {
  const double w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const double h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const double inter = w * h;
  const double area = double(a.x2 - a.x1) * (a.y2 - a.y1) + double(b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return area > 0 ? inter / area : 0.0;
}

// Rows of a detector output: Caffe DetectionOutput [1, 1, N, 7] (image, label, score, box;
// label -1: none) or DecodeDetections [N, top_k, 6] (class, confidence, box; zero rows pad).
std::vector<Box> boxes(const std::string& op, const Tensor& t, std::size_t sample, double threshold) {
  std::vector<Box> out;
  const auto d = t.data<float>();
  if (op == "DetectionOutput") {
    for (std::size_t r = 0; r + 7 <= d.size(); r += 7) {
      const Box b{d[r] + 1000.0f * static_cast<float>(sample), d[r + 1], d[r + 2], d[r + 3], d[r + 4], d[r + 5], d[r + 6]};
      if (b.label >= 0 && b.score >= threshold) out.push_back(b);
    }
  } else {
    const std::int64_t per_image = t.shape()[1] * 6;
    for (std::size_t r = 0; r + 6 <= d.size(); r += 6) {
      const auto image = static_cast<float>(static_cast<std::int64_t>(r) / per_image) + 1000.0f * static_cast<float>(sample);
      const Box b{image, d[r], d[r + 1], d[r + 2], d[r + 3], d[r + 4], d[r + 5]};
      if (b.score > 0 && b.score >= threshold) out.push_back(b);
    }
  }
  return out;
}

// Greedy matching, highest reference score first: each reference box takes the unmatched
// test box of its image and label with the largest IoU, if that is >= the threshold.
void match(const std::vector<Box>& ref, const std::vector<Box>& test, double iou_threshold, DetectionAgreement& a,
           double& delta_sum) {
  std::vector<std::size_t> order(ref.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return ref[x].score > ref[y].score; });
  std::vector<bool> used(test.size(), false);
  for (std::size_t i : order) {
    std::optional<std::size_t> best;
    double best_iou = iou_threshold;
    for (std::size_t j = 0; j < test.size(); ++j) {
      if (used[j] || test[j].image != ref[i].image || test[j].label != ref[i].label) continue;
      const double o = iou(ref[i], test[j]);
      if (o >= best_iou) {
        best_iou = o;
        best = j;
      }
    }
    ++a.reference_boxes;
    if (!best) {
      ++a.missed;
      continue;
    }
    used[*best] = true;
    ++a.matched;
    const double delta = std::fabs(test[*best].score - ref[i].score);
    a.max_score_delta = std::max(a.max_score_delta, delta);
    delta_sum += delta;
  }
  a.extra += static_cast<std::size_t>(std::count(used.begin(), used.end(), false));
}

// Marks, for each value, how far its SNR falls below its inputs' (the least of them). An input
// only the reference computes (a batch norm's convolution, folded away in a compiled model)
// stands for its own inputs, recursively; a model input is exact. The largest fall is the jump.
void find_jump(const ir::Graph& ref, CompareReport& r) {
  std::map<std::string, double> snr;  // value -> SNR, or the SNR standing in for it
  for (const auto& v : r.values) snr[v.name] = v.snr_db;
  std::function<double(const std::string&)> effective = [&](const std::string& value) -> double {
    if (auto it = snr.find(value); it != snr.end()) return it->second;
    double least = kExactSnrDb;
    snr[value] = least;  // guards against revisiting (the graph is acyclic; this is for speed)
    if (const auto producer = ref.producer_of(value)) {
      for (const auto& input : ref.nodes[*producer].inputs) least = std::min(least, effective(input));
    }
    snr[value] = least;
    return least;
  };
  // The jump is judged by the noise a value adds, as a fraction of its signal: the noise-to-
  // signal ratio it has less the one its inputs bring. In dB, a fall from 120 to 50 dB (the
  // first layer of a quantized model) adds noise at -50 dB, a fall from 40 to 0 dB (a broken
  // layer) at 0 dB: the broken layer stands out although its SNR falls less.
  double largest = 0;
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const auto producer = ref.producer_of(r.values[i].name);
    double in = kExactSnrDb;
    for (const auto& input : ref.nodes[*producer].inputs) in = std::min(in, effective(input));
    r.values[i].drop_db = std::max(0.0, in - r.values[i].snr_db);
    const double added = std::pow(10.0, -r.values[i].snr_db / 10) - std::pow(10.0, -in / 10);
    r.values[i].added_noise_db = added > 0 ? 10 * std::log10(added) : -INFINITY;
    if (added > largest) {
      largest = added;
      r.jump = i;
    }
  }
}

// The test vectors a reference file stores with the source framework's outputs: inputs and
// expected outputs, or nothing when it stores none (or only ingot's own outputs).
std::optional<std::pair<std::vector<Tensor>, std::vector<Tensor>>> framework_vectors(const ir::Graph& g) {
  const auto list = [&](const char* key) -> const std::vector<std::string>* {
    const auto it = g.metadata.find(key);
    return it == g.metadata.end() ? nullptr : std::get_if<std::vector<std::string>>(&it->second);
  };
  const auto source = g.metadata.find("test.outputs_source");
  if (source == g.metadata.end() || std::get_if<std::string>(&source->second) == nullptr ||
      std::get<std::string>(source->second) != "reference" || list("test.inputs") == nullptr ||
      list("test.outputs") == nullptr) {
    return std::nullopt;
  }
  std::pair<std::vector<Tensor>, std::vector<Tensor>> out;
  for (const auto* names : {list("test.inputs"), list("test.outputs")}) {
    auto& into = names == list("test.inputs") ? out.first : out.second;
    for (const auto& name : *names) {
      const ir::Constant* c = g.find_constant(name);
      if (c == nullptr) return std::nullopt;
      auto t = ir::decode_constant(*c);
      if (!t.ok()) return std::nullopt;
      into.push_back(std::move(t).value());
    }
  }
  return out;
}

Status check_inputs(const Session& a, const Session& b, const std::vector<std::vector<Tensor>>& samples) {
  if (a.input_infos() != b.input_infos()) {
    return usage_error("the two models must take the same inputs (count, dtype and shape)");
  }
  if (samples.empty()) return usage_error("compare needs at least one input sample");
  for (std::size_t s = 0; s < samples.size(); ++s) {
    if (samples[s].size() != a.input_infos().size()) {
      return usage_error("sample " + std::to_string(s) + " has " + std::to_string(samples[s].size()) +
                         " tensors; the models take " + std::to_string(a.input_infos().size()));
    }
  }
  return {};
}

}  // namespace

Result<CompareReport> compare_models(const ir::Graph& reference, const ir::Graph& test,
                                     const std::vector<std::vector<Tensor>>& samples, const OpRegistry& registry,
                                     const CompareOptions& options) {
  PlanOptions plan = options.plan;
  plan.keep_all_values = true;  // every value stays readable after a run
  INGOT_ASSIGN_OR_RETURN_CTX(Session ref, Session::plan(reference, registry, plan), "plan the reference model");
  INGOT_ASSIGN_OR_RETURN_CTX(Session tst, Session::plan(test, registry, plan), "plan the test model");
  INGOT_TRY(check_inputs(ref, tst, samples));
  INGOT_ASSIGN_OR_RETURN(const auto order, ir::topological_order(reference));

  // The values to compare: every f32 value the reference computes, in its order. Detector
  // outputs are lists of boxes whose order and length depend on the scores: they are matched
  // box by box below, never element by element.
  std::vector<std::pair<std::string, std::string>> names;  // value, op
  for (std::size_t n : order) {
    const ir::Node& node = reference.nodes[n];
    if (node.op == "Input" || is_detector(node.op)) continue;
    for (const auto& out : node.outputs) names.emplace_back(out, node.op);
  }
  std::vector<Accumulator> acc(names.size());
  std::vector<bool> shared(names.size(), true);
  CompareReport report;
  report.samples = samples.size();
  std::map<std::string, ClassifierAgreement> classifiers;
  std::map<std::string, std::pair<DetectionAgreement, double>> detections;
  for (std::size_t s = 0; s < samples.size(); ++s) {
    INGOT_TRY_CTX(ref.run_in_place(samples[s]), "run the reference model on sample " + std::to_string(s));
    INGOT_TRY_CTX(tst.run_in_place(samples[s]), "run the test model on sample " + std::to_string(s));
    for (std::size_t v = 0; v < names.size(); ++v) {
      const Tensor* a = ref.value(names[v].first);
      const Tensor* b = tst.value(names[v].first);
      if (a == nullptr || b == nullptr || a->dtype() != DType::f32 || b->dtype() != DType::f32 || a->shape() != b->shape()) {
        shared[v] = false;
        continue;
      }
      acc[v].add(a->data<float>(), b->data<float>());
    }
    for (const auto& out : reference.outputs) {
      const Tensor* a = ref.value(out);
      const Tensor* b = tst.value(out);
      if (a == nullptr || b == nullptr || a->shape() != b->shape() || a->dtype() != DType::f32) continue;
      const std::string& op = reference.nodes[*reference.producer_of(out)].op;
      if (is_detector(op)) {
        auto& [d, delta_sum] = detections[out];
        d.output = out;
        d.score_threshold = options.score_threshold;
        match(boxes(op, *a, s, options.score_threshold), boxes(op, *b, s, options.score_threshold), options.iou_threshold, d,
              delta_sum);
      } else if (a->shape().rank() == 2 && a->shape()[1] >= 2) {
        ClassifierAgreement& c = classifiers[out];
        c.output = out;
        const auto k = static_cast<std::size_t>(a->shape()[1]);
        for (std::size_t row = 0; row < static_cast<std::size_t>(a->shape()[0]); ++row) {
          const auto ra = a->data<float>().subspan(row * k, k), rb = b->data<float>().subspan(row * k, k);
          const auto ta = top_k(ra, 5), tb = top_k(rb, 5);
          c.top1 += ta[0] == tb[0] ? 1.0 : 0.0;
          std::size_t common = 0;
          for (std::size_t i : ta) common += std::count(tb.begin(), tb.end(), i);
          c.top5 += static_cast<double>(common) / static_cast<double>(ta.size());
          ++c.rows;
        }
      }
    }
  }
  for (std::size_t v = 0; v < names.size(); ++v) {
    if (shared[v]) report.values.push_back(acc[v].result(names[v].first, names[v].second));
    else report.only_in_reference.push_back(names[v].first);
  }
  find_jump(reference, report);
  if (const auto vectors = framework_vectors(reference); vectors && vectors->second.size() == reference.outputs.size()) {
    for (const auto& [label, session] : {std::pair<const char*, Session*>{"reference", &ref}, std::pair<const char*, Session*>{"test", &tst}}) {
      INGOT_TRY_CTX(session->run_in_place(vectors->first), std::string("run the ") + label + " model on the stored test input");
      for (std::size_t o = 0; o < reference.outputs.size(); ++o) {
        const Tensor* got = session->value(reference.outputs[o]);
        const Tensor& want = vectors->second[o];
        if (got == nullptr || got->shape() != want.shape() || got->dtype() != DType::f32) continue;
        Accumulator a;
        a.add(want.data<float>(), got->data<float>());
        report.framework.push_back({label, a.result(reference.outputs[o], "output")});
      }
    }
  }
  for (auto& [_, c] : classifiers) {
    c.top1 /= static_cast<double>(c.rows);
    c.top5 /= static_cast<double>(c.rows);
    report.classifiers.push_back(c);
  }
  for (auto& [_, d] : detections) {
    d.first.mean_score_delta = d.first.matched ? d.second / static_cast<double>(d.first.matched) : 0;
    report.detections.push_back(d.first);
  }
  return report;
}

}  // namespace ingot::runtime
