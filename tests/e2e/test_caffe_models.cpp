// Caffe models from ../shared/models (skipped when it is absent) against OpenCV DNN 4.6, the peer
// reference: tests/fixtures/caffe/<case>/ holds the input, OpenCV's output of every layer (whole,
// or every stride-th value of the large ones) and its detections, written by scripts/gen_caffe_refs.py (see its README.md). The weightless
// SSD prototxts get seeded weights from the case's weights.json (seeded_caffemodel.h), the same
// values OpenCV ran with.
//
// Tolerances. Layer outputs: |ingot - OpenCV| <= 1e-4 * max(1, max |OpenCV|) per blob. Both are
// float32 with different summation orders (OpenCV: blocked GEMM; ingot: direct loops), which
// measured at most 2.5e-6 of the blob's scale over every layer; 1e-4 leaves margin for
// other compilers while any semantic slip (a wrong pad, axis or prior) is O(0.1) or more.
// Detections: the figures, scores and box corners within 1e-4 absolute.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli_util.h"
#include "e2e/seeded_caffemodel.h"
#include "e2e/shared_dir.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_caffe_models {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

fs::path fixtures() { return fs::path(INGOT_FIXTURES_DIR) / "caffe"; }

// Paths in meta.json are relative to the repository root ("../shared/models/...").
std::string repo_path(const std::string& rel) {
  if (rel.rfind("../shared/", 0) == 0) return (*testing::shared_dir() / rel.substr(10)).string();
  return (fs::path(INGOT_SOURCE_DIR) / rel).string();
}

std::string dump_file(const std::string& value_name) {
  std::string s = value_name;
  for (char& c : s) {
    if (c == '/' || c == ':' || c == '\\') c = '_';
  }
  return s + ".npy";
}

Tensor load(const std::string& path) {
  auto t = npy::read(path);
  EXPECT_TRUE(t.ok()) << path << ": " << t.status().message();
  return t.ok() ? std::move(t).value() : Tensor();
}

// Every case is listed so that a lost fixture fails instead of vanishing.
const char* const kCases[] = {
    "yufacedetectnet-faces2", "yufacedetectnet-faces1", "yufacedetectnet-astronaut", "yufacedetectnet-batch2",
    "lenet",                  "lenet-batch64",          "cifar10-full-v1",           "mobilenet-ssd-merged",
    "mobilenet-ssd-bn",       "res10-ssd-face",
};

struct Converted {
  std::string model;  // the .ingot
  std::string out_dir, dump_dir;
};

Converted convert_and_run(const nlohmann::json& meta, const fs::path& dir, const TempDir& tmp) {
  Converted c{tmp / "m.ingot", tmp / "out", tmp / "dump"};
  std::string weights;
  if (meta.contains("weights") && !meta["weights"].is_null()) {
    weights = tmp / "seeded.caffemodel";
    testing::write_seeded_caffemodel((dir / meta["weights"].get<std::string>()).string(), weights);
  } else {
    weights = repo_path(meta.at("caffemodel").get<std::string>());
  }
  std::string flags;
  if (meta.at("needs_input_shape_flag").get<bool>()) {
    flags = " --input-shape ";
    for (const auto& d : meta.at("input_shape")) flags += (flags.back() == ' ' ? "" : ",") + std::to_string(d.get<int>());
  }
  auto r = ingot("convert " + repo_path(meta.at("prototxt").get<std::string>()) + " --weights " + weights + " -o " + c.model + flags);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = ingot("run " + c.model + " -i " + (dir / "input.npy").string() + " -o " + c.out_dir + " --dump-all " + c.dump_dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return c;
}

// `want` holds every `stride`-th element (row-major) of the layer's output: all of it for the
// layers that fit the fixture budget, a sample of the larger ones.
void compare_blob(const std::string& layer, const Tensor& got, const Tensor& want, const Shape& shape,
                  std::int64_t stride) {
  ASSERT_EQ(got.shape(), shape) << layer;
  const auto g = got.data<float>();
  const auto w = want.data<float>();
  ASSERT_EQ(static_cast<std::int64_t>(w.size()), (got.num_elements() + stride - 1) / stride) << layer;
  double scale = 1, worst = 0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  std::size_t worst_at = 0;
  const auto step = static_cast<std::size_t>(stride);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i * step]) - w[i]);
    if (!(err <= worst)) {
      worst = err;
      worst_at = i;
    }
  }
  EXPECT_LE(worst, 1e-4 * scale) << "layer " << layer << ": worst |ingot - OpenCV| " << worst << " at flat index "
                                 << worst_at * step << " (got " << g[worst_at * step] << ", want " << w[worst_at]
                                 << "), blob scale " << scale;
}

Shape shape_of(const nlohmann::json& j) {
  std::vector<std::int64_t> dims;
  for (const auto& d : j) dims.push_back(d.get<std::int64_t>());
  return Shape(std::move(dims));
}

using Row = std::array<float, 7>;

std::vector<Row> rows_of(const Tensor& t, std::int64_t count) {
  std::vector<Row> rows;
  const auto d = t.data<float>();
  for (std::int64_t r = 0; r < count; ++r) {
    Row row;
    std::copy_n(d.begin() + r * 7, 7, row.begin());
    rows.push_back(row);
  }
  return rows;
}

// OpenCV 4.6 orders an image's rows by score over all classes; Caffe (and ingot) by label, then
// score. Both lists are compared in (image, label, descending score) order.
void sort_rows(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a[0] != b[0]) return a[0] < b[0];
    if (a[1] != b[1]) return a[1] < b[1];
    return a[2] > b[2];
  });
}

class CaffeModels : public ::testing::TestWithParam<const char*> {};

TEST_P(CaffeModels, EveryStoredLayerAndTheDetectionsMatchOpenCV) {
  INGOT_REQUIRE_SHARED("Caffe model test");
  const fs::path dir = fixtures() / GetParam();
  const auto meta = nlohmann::json::parse(testing::slurp(dir / "meta.json"));
  TempDir tmp(std::string("ingot_caffe_") + GetParam());
  const Converted c = convert_and_run(meta, dir, tmp);
  if (::testing::Test::HasFailure()) return;

  // The dump run keeps every value (no plan passes); the fused plan (the default) and the
  // reference kernels alone must give the same outputs within the blob tolerance.
  for (const char* flags : {"", " --reference"}) {
    const std::string out = tmp / (*flags ? "out_reference" : "out_fused");
    auto r = ingot("run " + c.model + " -i " + (dir / "input.npy").string() + " -o " + out + flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int i = 0; fs::exists(c.out_dir + "/output_" + std::to_string(i) + ".npy"); ++i) {
      const std::string file = "/output_" + std::to_string(i) + ".npy";
      const Tensor dumped = load(c.out_dir + file);
      compare_blob(std::string("output (run") + flags + ")", load(out + file), dumped, dumped.shape(), 1);
    }
  }

  ASSERT_FALSE(meta.at("blobs").empty());
  for (const auto& [layer, spec] : meta.at("blobs").items()) {
    if (layer == "detection_out") continue;  // OpenCV pads it: compared as rows below
    const std::string got = (fs::path(c.dump_dir) / dump_file(layer)).string();
    ASSERT_TRUE(fs::exists(got)) << "ingot has no value named after layer " << layer;
    compare_blob(layer, load(got), load((dir / spec.at("file").get<std::string>()).string()), shape_of(spec.at("shape")),
                 spec.at("stride").get<std::int64_t>());
  }
  // Every layer OpenCV computes is compared, whole or sampled (Input layers are the input).
  for (const auto& l : meta.at("layers")) {
    if (l.at("type") == "Input") continue;
    EXPECT_TRUE(meta["blobs"].contains(l.at("name").get<std::string>())) << "layer " << l.at("name") << " is not compared";
  }
  if (!meta.contains("detections")) {
    std::cout << "[ caffe    ] " << GetParam() << ": " << meta.at("blobs").size() << " layers match OpenCV\n";
    return;
  }
  const auto& det = meta["detections"];
  const Tensor got = load(c.out_dir + "/output_0.npy");
  const Tensor want = load((dir / det.at("file").get<std::string>()).string());
  const auto count = det.at("count").get<std::int64_t>();
  ASSERT_GT(count, 0) << "a case must have detections to compare";
  ASSERT_EQ(got.shape(), (Shape{1, 1, count, 7})) << "Caffe's [1, 1, detections, 7]";
  std::vector<Row> g = rows_of(got, count), w = rows_of(want, count);
  // ingot keeps Caffe's order: image, then label ascending, then score descending.
  EXPECT_TRUE(std::is_sorted(g.begin(), g.end(), [](const Row& a, const Row& b) {
    return a[0] != b[0] ? a[0] < b[0] : a[1] != b[1] ? a[1] < b[1] : a[2] > b[2];
  }));
  sort_rows(g);
  sort_rows(w);
  double worst_score = 0, worst_box = 0;
  for (std::size_t r = 0; r < g.size(); ++r) {
    EXPECT_EQ(g[r][0], w[r][0]) << "row " << r << " image";
    EXPECT_EQ(g[r][1], w[r][1]) << "row " << r << " label";
    worst_score = std::max(worst_score, static_cast<double>(std::fabs(g[r][2] - w[r][2])));
    for (int k = 3; k < 7; ++k) worst_box = std::max(worst_box, static_cast<double>(std::fabs(g[r][k] - w[r][k])));
  }
  EXPECT_LE(worst_score, 1e-4);
  EXPECT_LE(worst_box, 1e-4);
  std::cout << "[ caffe    ] " << GetParam() << ": " << meta.at("blobs").size() << " layers and " << count
            << " detections match OpenCV; worst score error " << worst_score << ", box error " << worst_box << "\n";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CaffeModels, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string s = info.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
});

// The face detector's PriorBoxes are folded to constants and read their feature maps for the
// shape alone: the NCHW copies nhwc_layout makes of those maps for them are dropped from the
// plan, and the detections are what the reference kernels (which keep every node) compute.
TEST(CaffeModels, NodesReadOnlyByFoldedPriorBoxesAreNotRun) {
  INGOT_REQUIRE_SHARED("caffe-yufacedetectnet-ssd");
  const std::string dir = repo_path("../shared/models/caffe-yufacedetectnet-ssd/");
  TempDir tmp("ingot_caffe_folded_readers");
  const std::string model = tmp / "yu.ingot";
  ASSERT_EQ(ingot("convert " + dir + "yufacedetectnet-open-v2.prototxt --weights " + dir +
                  "yufacedetectnet-open-v2.caffemodel -o " + model).exit_code, 0);
  const auto plan = ingot("inspect --plan " + model);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  for (const char* map : {"conv3_3_norm", "conv4_3_norm", "conv5_3_norm", "conv6_3_norm"}) {
    EXPECT_NE(plan.out.find("plan: Transpose '" + std::string(map) + "/nchw' dropped"), std::string::npos) << map;
  }
  const std::string input = (fixtures() / "yufacedetectnet-faces1" / "input.npy").string();
  ASSERT_EQ(ingot("run " + model + " --input " + input + " --output-dir " + (tmp / "opt")).exit_code, 0);
  ASSERT_EQ(ingot("run " + model + " --reference --input " + input + " --output-dir " + (tmp / "ref")).exit_code, 0);
  auto optimized = npy::read(tmp / "opt/output_0.npy");
  auto reference = npy::read(tmp / "ref/output_0.npy");
  ASSERT_TRUE(optimized.ok() && reference.ok());
  ASSERT_EQ(optimized->shape(), reference->shape());
  ASSERT_GT(reference->num_elements(), 0);
  // Scores and boxes: the optimized convolutions sum in another order than the reference's;
  // 1e-4 absolute on values in [0, 1] is the bound the OpenCV comparison above states too.
  const auto a = optimized->data<float>(), b = reference->data<float>();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << "element " << i;
}

TEST(CaffeModels, EveryFixtureCaseIsListed) {
  std::set<std::string> listed(std::begin(kCases), std::end(kCases));
  for (const auto& e : fs::directory_iterator(fixtures())) {
    if (!e.is_directory() || !fs::exists(e.path() / "input.npy")) continue;
    EXPECT_TRUE(listed.count(e.path().filename().string())) << e.path() << " is not in kCases";
  }
}

}  // namespace e2e_test_caffe_models
}  // namespace ingot
