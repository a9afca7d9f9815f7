#include <limits>
#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_resize {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Tolerances against the numpy fixtures (numpy builds [out, in] interpolation matrices in
// float64 from the coordinate formulas and contracts them with the input):
//  - nearest: 0. The kernel copies one float32 input; the matrix has a single 1 per row.
//  - bilinear: |got - want| <= 1e-6 + 1e-6 * |want|. The kernel does three float32 lerps on
//    inputs in [-1, 1] with weights rounded to float32: each step rounds by <= 2^-24 of a value
//    below 2, so the error stays below ~5e-7; a wrong source row or weight moves an output by
//    ~0.01 or more (inputs have 3 decimals and neighbours differ by ~0.5 on average).
constexpr double kBilinearTol = 1e-6;

Status bind(AttrMap attrs) { return optest::bind_status("Resize", attrs); }

Result<std::vector<TensorInfo>> infer_resize(const Shape& x, AttrMap attrs) {
  return optest::infer("Resize", attrs, {}, optest::f32_infos({x}));
}

AttrMap resize_attrs(L scales, const char* mode, const char* coordinates) {
  return {{"scales", std::move(scales)},
          {"mode", std::string(mode)},
          {"coordinates", std::string(coordinates)}};
}

TEST(ResizeSchema, IsRegisteredWithDocumentedDefaults) {
  const OpDef& def = optest::op("Resize");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_FALSE(def.schema.find_param("scales")->required);  // this or 'sizes' (infer checks)
  EXPECT_FALSE(def.schema.find_param("sizes")->required);
  EXPECT_EQ(def.schema.version, 2);
  EXPECT_EQ(def.schema.min_version, 1);
  EXPECT_EQ(*def.schema.find_param("mode")->default_value, AttrValue(std::string("nearest")));
  EXPECT_EQ(*def.schema.find_param("coordinates")->default_value,
            AttrValue(std::string("asymmetric")));
  EXPECT_EQ(*def.schema.find_param("layout")->default_value, AttrValue(std::string("NHWC")));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("scales")),
            "int list, each in [1, 4096], 2 elements");
}

TEST(ResizeSchema, AcceptsScalesAloneAndEveryCombination) {
  EXPECT_TRUE(bind({{"scales", L{2, 2}}}).ok());
  for (const char* mode : {"nearest", "bilinear"}) {
    for (const char* coordinates : {"asymmetric", "half_pixel", "align_corners"}) {
      AttrMap attrs = resize_attrs(L{1, 4096}, mode, coordinates);
      attrs["layout"] = std::string("NCHW");
      const Status st = bind(attrs);
      EXPECT_TRUE(st.ok()) << st.message();
    }
  }
}

TEST(ResizeSchema, RejectsMissingScalesAndWrongTypes) {
  EXPECT_TRUE(fails_with(infer_resize({1, 3, 4, 2}, {{"mode", std::string("bilinear")}}),
                         {"parameters 'scales' and 'sizes': give exactly one", "got neither"}));
  EXPECT_TRUE(fails_with(bind({{"scales", std::vector<double>{2.0, 2.0}}}),
                         {"parameter 'scales' must be int list", "got float list [2, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"scales", L{2, 2}}, {"mode", std::int64_t{1}}}),
                         {"parameter 'mode' must be string", "got int 1"}));
}

TEST(ResizeSchema, RejectsOutOfRangeScalesAndWrongSizes) {
  EXPECT_TRUE(fails_with(bind({{"scales", L{0, 2}}}),
                         {"parameter 'scales' must be in [1, 4096]", "got [0, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"scales", L{2, 4097}}}), {"parameter 'scales'", "got [2, 4097]"}));
  EXPECT_TRUE(
      fails_with(bind({{"scales", L{2}}}), {"parameter 'scales' must have 2 elements", "got [2]"}));
  EXPECT_TRUE(fails_with(bind({{"scales", L{1, 2, 2, 1}}}),
                         {"parameter 'scales' must have 2 elements", "got [1, 2, 2, 1]"}));
}

TEST(ResizeSchema, RejectsUnknownChoicesAndParameters) {
  EXPECT_TRUE(
      fails_with(bind({{"scales", L{2, 2}}, {"mode", std::string("linear")}}),
                 {"parameter 'mode' must be one of \"nearest\", \"bilinear\"", "got \"linear\""}));
  EXPECT_TRUE(
      fails_with(bind({{"scales", L{2, 2}}, {"coordinates", std::string("pytorch_half_pixel")}}),
                 {"parameter 'coordinates' must be one of \"asymmetric\", \"half_pixel\", "
                  "\"align_corners\"",
                  "got \"pytorch_half_pixel\""}));
  EXPECT_TRUE(fails_with(bind({{"scales", L{2, 2}}, {"layout", std::string("CHW")}}),
                         {"parameter 'layout' must be one of", "got \"CHW\""}));
  EXPECT_TRUE(fails_with(bind({{"scales", L{2, 2}}, {"size", L{2, 2}}}),
                         {"parameter 'size' is not a parameter of op 'Resize'", "got [2, 2]"}));
}

TEST(ResizeShape, SizesNeedAlignCornersAndExcludeScales) {
  const AttrMap aligned{{"sizes", L{5, 7}}, {"coordinates", std::string("align_corners")}};
  auto out = infer_resize({1, 3, 4, 2}, aligned);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{1, 5, 7, 2}));
  AttrMap nchw = aligned;
  nchw["layout"] = std::string("NCHW");
  nchw["sizes"] = L{2, 1};  // downsizing too
  out = infer_resize({1, 2, 3, 4}, nchw);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{1, 2, 2, 1}));
  AttrMap both = aligned;
  both["scales"] = L{2, 2};
  EXPECT_TRUE(fails_with(infer_resize({1, 3, 4, 2}, both), {"give exactly one", "got both"}));
  EXPECT_TRUE(fails_with(infer_resize({1, 3, 4, 2}, {{"sizes", L{5, 7}}}),
                         {"parameter 'sizes' needs coordinates \"align_corners\"", "got \"asymmetric\""}));
  EXPECT_TRUE(fails_with(bind({{"sizes", L{0, 7}}}), {"parameter 'sizes' must be in [1, 1048576]", "got [0, 7]"}));
  EXPECT_TRUE(fails_with(bind({{"sizes", L{5}}}), {"parameter 'sizes' must have 2 elements", "got [5]"}));
}

TEST(ResizeShape, MultipliesHeightAndWidthInBothLayouts) {
  auto out = infer_resize({1, 3, 4, 2}, {{"scales", L{2, 3}}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{1, 6, 12, 2}, DType::f32}));
  out = infer_resize({1, 2, 3, 4}, {{"scales", L{2, 3}}, {"layout", std::string("NCHW")}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{1, 2, 6, 12}));
}

TEST(ResizeShape, RejectsWrongRankDtypeEmptyImageAndAbsurdSize) {
  EXPECT_TRUE(fails_with(infer_resize({3, 4, 2}, {{"scales", L{2, 2}}}),
                         {"input 0 must have rank 4", "got shape [3, 4, 2]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("Resize", {{"scales", L{2, 2}}}, {}, {{Shape{1, 3, 4, 2}, DType::f16}}),
      {"input 0 must be f32", "got f16"}));
  EXPECT_TRUE(fails_with(infer_resize({1, 0, 4, 2}, {{"scales", L{2, 2}}}),
                         {"input height and width must be >= 1", "got 0 and 4"}));
  EXPECT_TRUE(
      fails_with(infer_resize({1, 2, 3, 0}, {{"scales", L{2, 2}}, {"layout", std::string("NCHW")}}),
                 {"input height and width must be >= 1", "got 3 and 0", "layout NCHW"}));
  EXPECT_TRUE(fails_with(
      infer_resize({1, 1 << 20, 1 << 20, 1}, {{"scales", L{2, 1}}}),
      {"infer output shape [1, 2097152, 1048576, 1]", "element count must be at most 2^40"}));
}

// ------------------------------------------------------------------------ reference kernel

Tensor run(const Tensor& x, L scales, const char* mode, const char* coordinates) {
  return optest::run1("Resize", resize_attrs(std::move(scales), mode, coordinates), {}, {x});
}

TEST(ResizeKernel, HandCheckedBilinearToSizesWithAlignedCorners) {
  // Rows 2 -> 3: src 0, 0.5, 1; columns 3 -> 2: src 0, 2 (the corners). x = [[0, 1, 2], [4, 5, 6]].
  const Tensor x = tensor({1, 2, 3, 1}, {0, 1, 2, 4, 5, 6});
  const Tensor y = optest::run1("Resize", {{"sizes", L{3, 2}}, {"mode", std::string("bilinear")},
                                           {"coordinates", std::string("align_corners")}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 2, 1}, {0, 2, 2, 4, 4, 6}, 0, 0));
}

TEST(ResizeKernel, HandCheckedNearestRepeatsForEveryIntegerScaleMapping) {
  // With integer scales all three mappings pick floor(dst / scale) here: asymmetric by
  // definition; half_pixel because (dst + 0.5) / scale is never a whole number; align_corners
  // (in 2, out 4) maps dst to 0, 1/3, 2/3, 1, rounding to 0, 0, 1, 1.
  const Tensor x = tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  for (const char* coordinates : {"asymmetric", "half_pixel", "align_corners"}) {
    SCOPED_TRACE(coordinates);
    EXPECT_TRUE(optest::all_close(run(x, L{2, 2}, "nearest", coordinates), Shape{1, 4, 4, 1},
                                  {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0, 0));
  }
}

TEST(ResizeKernel, HandCheckedNearestAlignCornersRoundsTiesUp) {
  // in 3, out 9: src = dst * 2 / 8 = 0, .25, .5, .75, 1, 1.25, 1.5, 1.75, 2. The ties .5 and
  // 1.5 go up (TF's roundf): rows 0, 0, 1, 1, 1, 1, 2, 2, 2. Width: in 1, out 1, src 0.
  const Tensor x = tensor({1, 3, 1, 1}, {10, 20, 30});
  EXPECT_TRUE(optest::all_close(run(x, L{3, 1}, "nearest", "align_corners"), Shape{1, 9, 1, 1},
                                {10, 10, 20, 20, 20, 20, 30, 30, 30}, 0, 0));
  // The other mappings repeat each row 3 times.
  EXPECT_TRUE(optest::all_close(run(x, L{3, 1}, "nearest", "half_pixel"), Shape{1, 9, 1, 1},
                                {10, 10, 10, 20, 20, 20, 30, 30, 30}, 0, 0));
}

TEST(ResizeKernel, HandCheckedBilinearRowPerMapping) {
  // One row [0, 4], width scale 2 (out 4):
  //   asymmetric:    src 0, .5, 1, 1.5          -> 0, 2, 4, 4 (upper clamps to the last)
  //   half_pixel:    src -.25->0, .25, .75, 1.25 -> 0, 1, 3, 4
  //   align_corners: src 0, 1/3, 2/3, 1         -> 0, 4/3, 8/3, 4
  // The first two are exact; 1/3 rounds in float32: tolerance 1e-6.
  const Tensor x = tensor({1, 1, 2, 1}, {0, 4});
  EXPECT_TRUE(optest::all_close(run(x, L{1, 2}, "bilinear", "asymmetric"), Shape{1, 1, 4, 1},
                                {0, 2, 4, 4}, 0, 0));
  EXPECT_TRUE(optest::all_close(run(x, L{1, 2}, "bilinear", "half_pixel"), Shape{1, 1, 4, 1},
                                {0, 1, 3, 4}, 0, 0));
  EXPECT_TRUE(optest::all_close(run(x, L{1, 2}, "bilinear", "align_corners"), Shape{1, 1, 4, 1},
                                {0, 4.0 / 3, 8.0 / 3, 4}, 0, 1e-6));
}

TEST(ResizeKernel, HandCheckedBilinear2D) {
  // [[0, 4], [8, 12]], scales 2x2, asymmetric: rows src 0, .5, 1, 1.5; the value is 8 * row + 4
  // * column in source coordinates, with the last row/column clamped. Exact.
  const Tensor x = tensor({1, 2, 2, 1}, {0, 4, 8, 12});
  EXPECT_TRUE(optest::all_close(run(x, L{2, 2}, "bilinear", "asymmetric"), Shape{1, 4, 4, 1},
                                {0, 2, 4, 4, 4, 6, 8, 8, 8, 10, 12, 12, 8, 10, 12, 12}, 0, 0));
}

TEST(ResizeKernel, NearestCopiesInfinitiesUnblended) {
  // Nearest is a copy, not a lerp with weight 0 (which would give inf - inf = NaN).
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = run(tensor({1, 1, 2, 1}, {1, inf}), L{1, 2}, "nearest", "half_pixel");
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 1}));
  const auto v = y.data<float>();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{1, 1, inf, inf}));
}

// Every mode x coordinates pair at scales (2, 2) and (2, 3), both layouts; align_corners also
// at (3, 3), whose in-3 axis has exact rounding ties.
std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const char* mode : {"nearest", "bilinear"}) {
    for (const char* coordinates : {"asymmetric", "half_pixel", "align_corners"}) {
      for (const char* scales : {"2x2", "2x3", "3x3"}) {
        if (std::string(scales) == "3x3" && std::string(coordinates) != "align_corners") continue;
        names.push_back(std::string(mode) + "_" + coordinates + "_" + scales);
      }
    }
  }
  return names;
}

void expect_fixtures(const std::string& mode, const std::string& coordinates) {
  const double tol = mode == "nearest" ? 0 : kBilinearTol;
  int found = 0;
  for (const std::string& name : fixture_names()) {
    if (name.rfind(mode + "_" + coordinates + "_", 0) != 0) continue;
    spatialtest::expect_both_layouts("resize.json", name, tol, tol);
    ++found;
  }
  EXPECT_GE(found, 2);
}

TEST(ResizeKernel, NumpyNearestAsymmetric) { expect_fixtures("nearest", "asymmetric"); }
TEST(ResizeKernel, NumpyNearestHalfPixel) { expect_fixtures("nearest", "half_pixel"); }
TEST(ResizeKernel, NumpyNearestAlignCorners) { expect_fixtures("nearest", "align_corners"); }
TEST(ResizeKernel, NumpyBilinearAsymmetric) { expect_fixtures("bilinear", "asymmetric"); }
TEST(ResizeKernel, NumpyBilinearHalfPixel) { expect_fixtures("bilinear", "half_pixel"); }
TEST(ResizeKernel, NumpyBilinearAlignCorners) { expect_fixtures("bilinear", "align_corners"); }

TEST(ResizeKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("resize.json", fixture_names(), true);
}

TEST(ResizeKernel, NchwGivesTheTransposedNhwcResult) {
  // Same arithmetic per element in both layouts: bit-identical.
  const Tensor x = spatialtest::pattern({2, 3, 5, 3});
  for (const char* mode : {"nearest", "bilinear"}) {
    for (const char* coordinates : {"asymmetric", "half_pixel", "align_corners"}) {
      SCOPED_TRACE(std::string(mode) + " " + coordinates);
      AttrMap attrs = resize_attrs(L{3, 2}, mode, coordinates);
      const Tensor nhwc = optest::run1("Resize", attrs, {}, {x});
      attrs["layout"] = std::string("NCHW");
      const Tensor nchw = optest::run1("Resize", attrs, {}, {optest::nhwc_to_nchw(x)});
      ASSERT_FALSE(nhwc.empty());
      EXPECT_TRUE(optest::all_close(nchw, optest::nhwc_to_nchw(nhwc), 0, 0));
    }
  }
}

}  // namespace ops_test_resize
}  // namespace ingot
