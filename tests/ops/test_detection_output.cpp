// DetectionOutput (Caffe SSD): schema, shape rule (the largest output), hand-checked decoding of
// the three code types, NMS (inclusive threshold, adaptive eta, top_k), keep_top_k, row order,
// ties, the no-detection rows, and the numpy fixtures of scripts/gen_op_fixtures_caffe.py.
#include <cmath>
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_detection_output {

using optest::fails_with;
using optest::tensor;
using I = std::int64_t;
using Rows = std::vector<double>;

// Hand-checked rows: scores and labels are copied, boxes are small decimals from a few float32
// operations: 1e-6 relative plus 1e-7 absolute (boxes near 0).
constexpr double kHandRtol = 1e-6;
constexpr double kHandAtol = 1e-7;
// Against numpy's float64: decoding runs in float32 as Caffe's does (a few roundings and an exp,
// each ~6e-8 relative, on values <= ~2, with cancellation in centre -+ size / 2): 1e-6 absolute
// plus 1e-6 relative (observed <= 1e-7 absolute). Image ids, labels and scores are exact; a
// different kept box or order would move values by far more (the generator keeps every compared
// IoU 1e-4 away from its threshold and has no tied scores).
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-6;

// Priors [1, 2, P * 4] from corner boxes, all with variances (0.1, 0.1, 0.2, 0.2).
Tensor priors(const std::vector<std::vector<float>>& boxes) {
  std::vector<float> v;
  for (const auto& b : boxes) v.insert(v.end(), b.begin(), b.end());
  for (std::size_t i = 0; i < boxes.size(); ++i) v.insert(v.end(), {0.1f, 0.1f, 0.2f, 0.2f});
  return tensor({1, 2, static_cast<I>(boxes.size() * 4)}, v);
}

// Four priors; decoded with zero offsets (CORNER) they are the boxes themselves, with binary
// fractions so that IoU 0.5 is exact in float:
//   b0 (0, 0, 0.5, 0.5)       b1 (0, 0, 0.5, 0.25): IoU(b0, b1) = 0.125 / 0.25 = 0.5
//   b2 (0.75, 0.75, 1, 1)     b3 = b0
Tensor four_priors() {
  return priors(
      {{0, 0, 0.5f, 0.5f}, {0, 0, 0.5f, 0.25f}, {0.75f, 0.75f, 1, 1}, {0, 0, 0.5f, 0.5f}});
}

// Scores per prior for classes (background, A, B).
Tensor four_scores(I batch = 1) {
  const std::vector<float> one{0.05f, 0.9f, 0.05f,  //
                               0.0f,  0.8f, 0.2f,   //
                               0.1f,  0.7f, 0.95f,  //
                               0.3f,  0.6f, 0.1f};
  std::vector<float> all;
  for (I n = 0; n < batch; ++n) all.insert(all.end(), one.begin(), one.end());
  return tensor({batch, 12}, all);
}

Tensor zero_loc(I batch = 1, I per_image = 16) {
  return tensor({batch, per_image},
                std::vector<float>(static_cast<std::size_t>(batch * per_image), 0));
}

AttrMap det(AttrMap extra = {}) {
  extra.emplace("num_classes", I{3});
  extra.emplace("confidence_threshold", 0.5);
  return extra;
}

Tensor run(const AttrMap& a, const Tensor& loc, const Tensor& conf, const Tensor& pri) {
  return optest::run1("DetectionOutput", a, {}, {loc, conf, pri});
}

Result<std::vector<TensorInfo>> infer(const AttrMap& a, std::initializer_list<Shape> in) {
  return optest::infer("DetectionOutput", a, {}, optest::f32_infos(in));
}

Shape cap(const AttrMap& a, std::initializer_list<Shape> in) {
  auto out = infer(a, in);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? (*out)[0].shape : Shape{};
}

TEST(DetectionOutputSchema, ParametersAreCaffesDetectionOutputParameterFields) {
  const OpDef& def = optest::op("DetectionOutput");
  ssdtest::expect_documented("DetectionOutput");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"num_classes", "share_location", "background_label_id",
                                             "nms_threshold", "top_k", "eta", "code_type",
                                             "variance_encoded_in_target", "keep_top_k",
                                             "confidence_threshold"}));
  EXPECT_TRUE(def.schema.find_param("num_classes")->required);
  EXPECT_EQ(*def.schema.find_param("share_location")->default_value, AttrValue(true));
  EXPECT_EQ(*def.schema.find_param("background_label_id")->default_value, AttrValue(I{0}));
  EXPECT_EQ(*def.schema.find_param("nms_threshold")->default_value, AttrValue(0.3));
  EXPECT_EQ(*def.schema.find_param("top_k")->default_value, AttrValue(I{-1}));
  EXPECT_EQ(*def.schema.find_param("eta")->default_value, AttrValue(1.0));
  EXPECT_EQ(*def.schema.find_param("code_type")->default_value, AttrValue(std::string("CORNER")));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("code_type")),
            "string, one of \"CORNER\", \"CENTER_SIZE\", \"CORNER_SIZE\"");
  EXPECT_EQ(*def.schema.find_param("variance_encoded_in_target")->default_value, AttrValue(false));
  EXPECT_EQ(*def.schema.find_param("keep_top_k")->default_value, AttrValue(I{-1}));
  const ParamSpec* thr = def.schema.find_param("confidence_threshold");
  EXPECT_FALSE(thr->required);
  EXPECT_FALSE(thr->default_value);  // unset: no threshold, as the original's -FLT_MAX
  EXPECT_TRUE(def.schema.variable_output);
  EXPECT_EQ(def.schema.min_inputs, 3);
  EXPECT_EQ(def.schema.max_inputs, 3);
}

TEST(DetectionOutputSchema, RejectsMissingOutOfRangeAndMistypedParameters) {
  auto bind = [](AttrMap a) { return optest::bind_status("DetectionOutput", a); };
  EXPECT_TRUE(fails_with(bind({}), {"parameter 'num_classes' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(bind({{"num_classes", I{0}}}),
                         {"parameter 'num_classes' must be in [1, 1048576]", "got 0"}));
  EXPECT_TRUE(fails_with(bind({{"num_classes", 3.0}}), {"parameter 'num_classes' must be int"}));
  EXPECT_TRUE(fails_with(bind(det({{"background_label_id", I{-2}}})),
                         {"parameter 'background_label_id' must be in [-1, 1048576]", "got -2"}));
  EXPECT_TRUE(fails_with(bind(det({{"nms_threshold", -0.1}})),
                         {"parameter 'nms_threshold' must be in [0, 1e+06]", "got -0.1"}));
  EXPECT_TRUE(
      fails_with(bind(det({{"top_k", I{-2}}})), {"parameter 'top_k' must be in [-1, ", "got -2"}));
  EXPECT_TRUE(fails_with(bind(det({{"keep_top_k", I{-5}}})),
                         {"parameter 'keep_top_k' must be in [-1, ", "got -5"}));
  EXPECT_TRUE(
      fails_with(bind(det({{"eta", 1.5}})), {"parameter 'eta' must be in [0, 1]", "got 1.5"}));
  EXPECT_TRUE(fails_with(bind(det({{"code_type", std::string("CENTER")}})),
                         {"parameter 'code_type' must be one of", "got \"CENTER\""}));
  EXPECT_TRUE(fails_with(bind(det({{"confidence_threshold", NAN}})),
                         {"parameter 'confidence_threshold' must be in"}));
  EXPECT_TRUE(fails_with(bind(det({{"share_location", I{1}}})),
                         {"parameter 'share_location' must be bool"}));
}

TEST(DetectionOutputShape, TheLargestOutputBoundsEveryRowCount) {
  // N 2, P 3, classes 4 with background 0: 3 classes * 3 priors per image.
  const AttrMap four{{"num_classes", I{4}}};
  EXPECT_EQ(cap(four, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 18, 7}));
  AttrMap a = four;
  a["top_k"] = I{2};  // 3 classes * 2
  EXPECT_EQ(cap(a, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 12, 7}));
  a["keep_top_k"] = I{4};  // min(6, 4) per image
  EXPECT_EQ(cap(a, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 8, 7}));
  a["keep_top_k"] = I{0};  // only the no-detection rows
  EXPECT_EQ(cap(a, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 2, 7}));
  a = four;
  a["background_label_id"] = I{-1};  // 4 classes * 3
  EXPECT_EQ(cap(a, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 24, 7}));
  a["background_label_id"] = I{9};  // outside [0, classes): every class is reported
  EXPECT_EQ(cap(a, {{2, 12}, {2, 12}, {1, 2, 12}}), (Shape{1, 1, 24, 7}));
  // One class that is the background: only the no-detection rows.
  EXPECT_EQ(cap({{"num_classes", I{1}}}, {{2, 12}, {2, 3}, {1, 2, 12}}), (Shape{1, 1, 2, 7}));
  // Any input shapes with the right element counts; per-class boxes without share_location.
  EXPECT_EQ(cap({{"num_classes", I{2}}, {"share_location", false}},
                {{1, 3, 2, 4}, {3, 2, 1}, {1, 2, 12}}),
            (Shape{1, 1, 3, 7}));
  EXPECT_EQ(cap(four, {{0, 12}, {0, 12}, {1, 2, 12}}), (Shape{1, 1, 0, 7}));
}

TEST(DetectionOutputShape, RejectsInputsThatDoNotMatch) {
  const AttrMap a{{"num_classes", I{3}}};
  EXPECT_TRUE(fails_with(
      infer(a, {{1, 8}, {1, 6}, {1, 1, 8}}),
      {"input 2 (priors) must have shape [1, 2, P * 4] (CaffePriorBox)", "got shape [1, 1, 8]"}));
  EXPECT_TRUE(
      fails_with(infer(a, {{1, 8}, {1, 6}, {1, 2, 6}}),
                 {"input 2 (priors) must have shape [1, 2, P * 4]", "got shape [1, 2, 6]"}));
  EXPECT_TRUE(fails_with(infer(a, {{1, 8}, {1, 6}, {2, 8}}), {"input 2 must have rank 3"}));
  // Priors of 3 boxes against loc of 2.
  EXPECT_TRUE(
      fails_with(infer(a, {{1, 8}, {1, 9}, {1, 2, 12}}),
                 {"input 0 (loc) must have N * priors * 1 (share_location) * 4 = 1 * 3 * 1 * "
                  "4 = 12 elements (P from input 2 [1, 2, 12]), got shape [1, 8]"}));
  EXPECT_TRUE(fails_with(
      infer({{"num_classes", I{3}}, {"share_location", false}}, {{1, 8}, {1, 6}, {1, 2, 8}}),
      {"input 0 (loc) must have N * priors * num_classes * 4 = 1 * 2 * 3 * 4 = 24"}));
  EXPECT_TRUE(
      fails_with(infer(a, {{1, 8}, {1, 5}, {1, 2, 8}}),
                 {"input 1 (conf) must have N * priors * num_classes = 1 * 2 * 3 = 6 elements",
                  "got shape [1, 5]"}));
  EXPECT_TRUE(fails_with(infer(a, {{}, {1, 6}, {1, 2, 8}}), {"input 0 (loc) must have rank >= 1"}));
  EXPECT_TRUE(fails_with(infer({{"num_classes", I{3}}, {"eta", 0.0}}, {{1, 8}, {1, 6}, {1, 2, 8}}),
                         {"parameter 'eta' must be in (0, 1]", "got 0"}));
  EXPECT_TRUE(fails_with(
      optest::infer(
          "DetectionOutput", a, {},
          {{Shape{1, 8}, DType::f32}, {Shape{1, 6}, DType::i32}, {Shape{1, 2, 8}, DType::f32}}),
      {"input 1 must be f32", "got i32"}));
}

TEST(DetectionOutputKernel, HandCheckedNmsKeepsAnIouEqualToTheThresholdAndOrdersByLabel) {
  // Threshold 0.5: A scores b0 .9, b1 .8, b2 .7, b3 .6: b1 (IoU 0.5, not above) stays, b3 (IoU 1
  // with b0) goes. B above 0.5: b2 (.95) only. Rows by label, then NMS order.
  const Tensor y = run(det({{"nms_threshold", 0.5}}), zero_loc(), four_scores(), four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 4, 7}, {0, 1, 0.9,  0,    0,    0.5, 0.5,   //
                                                       0, 1, 0.8,  0,    0,    0.5, 0.25,  //
                                                       0, 1, 0.7,  0.75, 0.75, 1,   1,     //
                                                       0, 2, 0.95, 0.75, 0.75, 1,   1},
                                kHandRtol, kHandAtol));
}

TEST(DetectionOutputKernel, HandCheckedAdaptiveEtaTopKAndStrictConfidenceThreshold) {
  // nms 0.6, eta 0.5: keeping b0 lowers the threshold to 0.3 (0.6 > 0.5), so b1 (IoU 0.5) goes.
  Tensor y =
      run(det({{"nms_threshold", 0.6}, {"eta", 0.5}}), zero_loc(), four_scores(), four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 3, 7}, {0, 1, 0.9,  0,    0,    0.5, 0.5,  //
                                                       0, 1, 0.7,  0.75, 0.75, 1,   1,    //
                                                       0, 2, 0.95, 0.75, 0.75, 1,   1},
                                kHandRtol, kHandAtol));
  // top_k 1: only the best box of each class enters NMS. Threshold 0.8: A's 0.8 is not above.
  y = run(det({{"nms_threshold", 0.5}, {"top_k", I{1}}}), zero_loc(), four_scores(), four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7},
                                {0, 1, 0.9, 0, 0, 0.5, 0.5, 0, 2, 0.95, 0.75, 0.75, 1, 1},
                                kHandRtol, kHandAtol));
  y = run(det({{"nms_threshold", 0.5}, {"confidence_threshold", 0.8}}), zero_loc(), four_scores(),
          four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7},
                                {0, 1, 0.9, 0, 0, 0.5, 0.5, 0, 2, 0.95, 0.75, 0.75, 1, 1},
                                kHandRtol, kHandAtol));
}

TEST(DetectionOutputKernel, HandCheckedKeepTopKThenByLabelAndEveryImage) {
  // keep_top_k 2 of A's b0 .9, b1 .8, b2 .7 and B's b2 .95: B .95 and A .9 remain, written label
  // by label. The second image has the same inputs: the same rows with image id 1.
  const Tensor y = run(det({{"nms_threshold", 0.5}, {"keep_top_k", I{2}}}), zero_loc(2),
                       four_scores(2), four_priors());
  const Rows image{1, 0.9, 0, 0, 0.5, 0.5, 2, 0.95, 0.75, 0.75, 1, 1};
  Rows want;
  for (int n = 0; n < 2; ++n) {
    for (int r = 0; r < 2; ++r) {
      want.push_back(n);
      want.insert(want.end(), image.begin() + r * 6, image.begin() + r * 6 + 6);
    }
  }
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 4, 7}, want, kHandRtol, kHandAtol));
}

TEST(DetectionOutputKernel, TiesKeepTheLowerPriorAndTheLowerLabel) {
  // Two disjoint boxes with equal scores in class A: the lower prior index comes first (the
  // original's stable sort). keep_top_k 1 between A's and B's equal best: the lower label stays
  // (the original's std::sort leaves this tie unspecified).
  const Tensor pri = priors({{0, 0, 0.2f, 0.2f}, {0.5f, 0.5f, 0.7f, 0.7f}});
  const Tensor conf = tensor({1, 6}, {0, 0.6f, 0.6f, 0, 0.6f, 0.1f});
  Tensor y = run(det(), zero_loc(1, 8), conf, pri);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 3, 7}, {0, 1, 0.6, 0,   0,   0.2, 0.2,  //
                                                       0, 1, 0.6, 0.5, 0.5, 0.7, 0.7,  //
                                                       0, 2, 0.6, 0,   0,   0.2, 0.2},
                                kHandRtol, kHandAtol));
  y = run(det({{"keep_top_k", I{1}}}), zero_loc(1, 8), conf, pri);
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 1, 1, 7}, {0, 1, 0.6, 0, 0, 0.2, 0.2}, kHandRtol, kHandAtol));
}

TEST(DetectionOutputKernel, NoDetectionGivesOneMinusOneRowPerImage) {
  const Rows fake{0, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1};
  Tensor y = run(det({{"confidence_threshold", 0.99}}), zero_loc(2), four_scores(2), four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7}, fake, 0, 0));
  y = run(det({{"keep_top_k", I{0}}}), zero_loc(2), four_scores(2), four_priors());
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7}, fake, 0, 0));
}

TEST(DetectionOutputKernel, HandCheckedDecodingOfTheThreeCodeTypesWithoutClipping) {
  // Prior (0.2, 0.2, 0.6, 0.4), variances (0.1, 0.1, 0.2, 0.2); one class besides background.
  const Tensor pri = priors({{0.2f, 0.2f, 0.6f, 0.4f}});
  const Tensor conf = tensor({1, 2}, {0.1f, 0.9f});
  auto box = [&](const std::string& code, std::vector<float> loc, bool encoded) {
    const AttrMap a{
        {"num_classes", I{2}}, {"code_type", code}, {"variance_encoded_in_target", encoded}};
    const Tensor y = run(a, tensor({1, 4}, loc), conf, pri);
    return ssdtest::values(y);
  };
  auto expect_box = [&](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), 7u);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[3 + i], want[i], 1e-6) << "coordinate " << i;
  };
  // CORNER: corner + v * d; 0.6 + 0.2 * 5 = 1.6 is not clipped.
  expect_box(box("CORNER", {1, -1, 5, -1}, false), {0.3, 0.1, 1.6, 0.2});
  // variance_encoded_in_target: corner + d.
  expect_box(box("CORNER", {0.1f, -0.1f, 0.5f, -0.1f}, true), {0.3, 0.1, 1.1, 0.3});
  // CENTER_SIZE: size (0.4, 0.2), centre (0.4, 0.3): centre + (0.1 * 1 * 0.4, 0.1 * -1 * 0.2),
  // size * (exp(0), exp(0.2 * 5 * ln 2 / 1)): width 0.4, height 0.2 * 2 = 0.4.
  const auto ln2 = static_cast<float>(std::log(2.0));
  expect_box(box("CENTER_SIZE", {1, -1, 0, 5 * ln2}, false), {0.24, 0.08, 0.64, 0.48});
  expect_box(box("CENTER_SIZE", {0.1f, -0.1f, 0, ln2}, true), {0.24, 0.08, 0.64, 0.48});
  // CORNER_SIZE: corner + v * d * prior size.
  expect_box(box("CORNER_SIZE", {1, -1, 1, -1}, false), {0.24, 0.18, 0.68, 0.36});
  expect_box(box("CORNER_SIZE", {0.1f, -0.1f, 0.1f, -0.1f}, true), {0.24, 0.18, 0.64, 0.38});
}

TEST(DetectionOutputKernel, PerClassBoxesAndBackgroundMinusOne) {
  // share_location false: class 1 reads loc slot 1 of each prior, class 0 is the background and
  // its slot is ignored. One prior (0, 0, 0.4, 0.4), CORNER, variances (0.1, 0.1, 0.2, 0.2).
  const Tensor pri = priors({{0, 0, 0.4f, 0.4f}});
  const Tensor loc = tensor({1, 8}, {9, 9, 9, 9, 1, 1, 1, 1});  // class 0 slot, class 1 slot
  const Tensor conf = tensor({1, 2}, {0.7f, 0.9f});
  Tensor y = run({{"num_classes", I{2}}, {"share_location", false}}, loc, conf, pri);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 1, 7}, {0, 1, 0.9, 0.1, 0.1, 0.6, 0.6}, kHandRtol,
                                kHandAtol));
  // background -1: class 0 is reported too, with its own slot.
  y = run({{"num_classes", I{2}}, {"share_location", false}, {"background_label_id", I{-1}}}, loc,
          conf, pri);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7},
                                {0, 0, 0.7, 0.9, 0.9, 2.2, 2.2, 0, 1, 0.9, 0.1, 0.1, 0.6, 0.6},
                                kHandRtol, kHandAtol));
  // background -1 with shared boxes (Caffe's CPU forward aborts here; its GPU forward and this
  // op report every class on the shared box).
  y = run({{"num_classes", I{2}}, {"background_label_id", I{-1}}}, tensor({1, 4}, {1, 1, 1, 1}),
          conf, pri);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 7},
                                {0, 0, 0.7, 0.1, 0.1, 0.6, 0.6, 0, 1, 0.9, 0.1, 0.1, 0.6, 0.6},
                                kHandRtol, kHandAtol));
}

TEST(DetectionOutputKernel, MatchesNumpy) {
  const std::vector<std::string> names{"center_size_shared_bg0_batch2",
                                       "corner_variance_encoded_top_k_no_threshold",
                                       "corner_size_unshared_bg_minus1",
                                       "center_size_unshared_bg0_eta_batch2",
                                       "shared_bg_minus1_all_classes_foreground",
                                       "corner_keep_top_k_cut_bg2",
                                       "no_detection_batch2"};
  for (const auto& name : names) optest::expect_fixture("detectionoutput.json", name, kRtol, kAtol);
  ssdtest::expect_cases_listed("detectionoutput.json", names);
}

}  // namespace ops_test_detection_output
}  // namespace ingot
