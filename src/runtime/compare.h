// Per-layer accuracy: two models of the same source (an f32 model and its compiled or
// re-stored form, say) run on the same inputs, and every value both compute, named after the
// source layers, is compared: max abs / max rel error, cosine similarity, SNR. Classifier
// outputs get top-1 / top-5 agreement, detector outputs matched boxes. `ingot compare` prints it
// as text, JSON or an HTML page.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace ingot::runtime {

// SNR values are capped here: identical values (no noise) and differences within float
// reassociation both read as "exact".
inline constexpr double kExactSnrDb = 120.0;

struct ValueError {
  std::string name;  // the value (a source layer's output)
  std::string op;    // the op producing it in the reference
  std::int64_t elements = 0;
  double max_abs = 0;  // max |test - ref|
  double max_rel = 0;  // max |test - ref| / max |ref| (normalized: per-element ratios explode near 0)
  double cosine = 1;   // sum(ref * test) / (|ref| |test|), over every sample
  double snr_db = kExactSnrDb;  // 10 log10(sum ref^2 / sum (test - ref)^2), capped
  double drop_db = 0;  // how much lower its SNR is than its inputs'
  // The noise it adds, relative to its signal: 10 log10(10^(-SNR/10) - 10^(-SNR_inputs/10));
  // -inf when it adds none. The largest is the jump.
  double added_noise_db = 0;
};

struct ClassifierAgreement {
  std::string output;
  std::size_t rows = 0;  // samples x batch
  double top1 = 0;       // fraction of rows whose top class agrees
  double top5 = 0;       // mean fraction of the reference's top-5 classes in the test's top-5
};

struct DetectionAgreement {
  std::string output;
  double score_threshold = 0.5;
  std::size_t reference_boxes = 0, matched = 0, missed = 0, extra = 0;
  double max_score_delta = 0, mean_score_delta = 0;  // |test - ref| over matched boxes
};

// A model's outputs on the input stored in the reference file (`convert --test-input`) against
// the source framework's outputs stored with it (`--test-expected`).
struct FrameworkCheck {
  std::string model;  // "reference" or "test"
  ValueError error;   // name: the output
};

struct CompareReport {
  std::size_t samples = 0;
  std::vector<ValueError> values;   // in the reference's compute order
  std::optional<std::size_t> jump;  // index into values: the value adding the most noise
  std::vector<std::string> only_in_reference;  // values the test model does not compute
  std::vector<ClassifierAgreement> classifiers;
  std::vector<DetectionAgreement> detections;
  std::vector<FrameworkCheck> framework;  // empty unless the reference stores framework outputs
};

struct CompareOptions {
  PlanOptions plan;              // both sessions (keep_all_values is forced on)
  double score_threshold = 0.5;  // detections below it are not counted
  double iou_threshold = 0.5;    // a test box matches a reference box of the same label and image
};

// `samples[s]` holds one tensor per model input. Both models must take the same inputs.
Result<CompareReport> compare_models(const ir::Graph& reference, const ir::Graph& test,
                                     const std::vector<std::vector<Tensor>>& samples, const OpRegistry& registry,
                                     const CompareOptions& options = {});

}  // namespace ingot::runtime
