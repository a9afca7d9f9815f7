#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_slice {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Slicing copies float32 values unchanged: every comparison is exact (tolerance 0).

AttrMap slice_attrs(L axes, L begin, L end) {
  return {{"axes", std::move(axes)}, {"begin", std::move(begin)}, {"end", std::move(end)}};
}

Status bind(AttrMap attrs) { return optest::bind_status("Slice", attrs); }

Result<std::vector<TensorInfo>> infer_slice(const Shape& x, AttrMap attrs) {
  return optest::infer("Slice", attrs, {}, optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, AttrMap attrs) {
  auto out = infer_slice(x, std::move(attrs));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(SliceSchema, IsRegisteredWithThreeRequiredLists) {
  const OpDef& def = optest::op("Slice");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  for (const char* name : {"axes", "begin", "end"}) {
    ASSERT_NE(def.schema.find_param(name), nullptr) << name;
    EXPECT_TRUE(def.schema.find_param(name)->required) << name;
  }
  EXPECT_EQ(describe_constraints(*def.schema.find_param("axes")),
            "int list, each in [-8, 7], 1 to 8 elements");
}

TEST(SliceSchema, AcceptsEveryList) {
  const Status st = bind(slice_attrs(L{-8, 7}, L{-100, 0}, L{5, -1}));
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(SliceSchema, RejectsMissingListsAndWrongTypes) {
  EXPECT_TRUE(fails_with(bind({{"axes", L{0}}, {"begin", L{0}}}),
                         {"parameter 'end' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(bind({{"begin", L{0}}, {"end", L{1}}}),
                         {"parameter 'axes' is required", "got nothing"}));
  AttrMap attrs = slice_attrs(L{0}, L{0}, L{1});
  attrs["begin"] = std::int64_t{0};
  EXPECT_TRUE(fails_with(bind(attrs), {"parameter 'begin' must be int list", "got int 0"}));
  attrs = slice_attrs(L{0}, L{0}, L{1});
  attrs["end"] = std::vector<double>{1.5};
  EXPECT_TRUE(
      fails_with(bind(attrs), {"parameter 'end' must be int list", "got float list [1.5]"}));
}

TEST(SliceSchema, RejectsOutOfRangeAxesAndWrongListSizes) {
  EXPECT_TRUE(fails_with(bind(slice_attrs(L{8}, L{0}, L{1})),
                         {"parameter 'axes' must be in [-8, 7]", "got [8]"}));
  EXPECT_TRUE(fails_with(bind(slice_attrs(L{-9}, L{0}, L{1})), {"parameter 'axes'", "got [-9]"}));
  EXPECT_TRUE(fails_with(bind(slice_attrs(L{}, L{}, L{})),
                         {"parameter 'axes' must have 1 to 8 elements", "got []"}));
  EXPECT_TRUE(fails_with(bind(slice_attrs(L{0}, L(9, 0), L{1})),
                         {"parameter 'begin' must have 1 to 8 elements"}));
  AttrMap attrs = slice_attrs(L{0}, L{0}, L{1});
  attrs["steps"] = L{2};
  EXPECT_TRUE(
      fails_with(bind(attrs), {"parameter 'steps' is not a parameter of op 'Slice'", "got [2]"}));
}

TEST(SliceShape, KeepsUnlistedAxesAndCountsNegativesFromTheEnd) {
  // Keras Cropping2D(((1, 2), (0, 1))) on NHWC: rows [1, 5 - 2), columns [0, 6 - 1).
  EXPECT_EQ(infer_shape({1, 5, 6, 2}, slice_attrs(L{1, 2}, L{1, 0}, L{-2, -1})),
            (Shape{1, 2, 5, 2}));
  // axis -1 is 2; begin -5 is 2 of 7; end 7 is the whole axis.
  EXPECT_EQ(infer_shape({2, 3, 7}, slice_attrs(L{-1}, L{-5}, L{7})), (Shape{2, 3, 5}));
  // Axes in any order; begin -dim is 0.
  EXPECT_EQ(infer_shape({3, 4, 5}, slice_attrs(L{2, 0}, L{1, -3}, L{4, 2})), (Shape{2, 4, 3}));
}

TEST(SliceShape, AcceptsAnyDtype) {
  auto out = optest::infer("Slice", slice_attrs(L{0}, L{1}, L{3}), {}, {{Shape{4, 2}, DType::i64}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{2, 2}, DType::i64}));
}

TEST(SliceShape, RejectsListsOfDifferentLengths) {
  EXPECT_TRUE(fails_with(infer_slice({4, 4}, slice_attrs(L{0, 1}, L{0}, L{1, 1})),
                         {"parameters 'axes', 'begin' and 'end' must have the same length",
                          "got [0, 1], [0] and [1, 1]"}));
}

TEST(SliceShape, RejectsAxesOutsideTheRankOrRepeated) {
  EXPECT_TRUE(
      fails_with(infer_slice({2, 3, 4}, slice_attrs(L{3}, L{0}, L{1})),
                 {"parameter 'axes' must be in [-3, 2] for input shape [2, 3, 4]", "got [3]"}));
  EXPECT_TRUE(fails_with(infer_slice({2, 3, 4}, slice_attrs(L{-4}, L{0}, L{1})),
                         {"parameter 'axes'", "got [-4]"}));
  // -1 and 2 name the same axis of a rank-3 input.
  EXPECT_TRUE(fails_with(
      infer_slice({2, 3, 4}, slice_attrs(L{2, -1}, L{0, 1}, L{1, 2})),
      {"parameter 'axes' must name each axis at most once", "got [2, -1]", "axis 2 twice"}));
}

TEST(SliceShape, RejectsBoxesOutsideTheAxis) {
  const Shape x{2, 5};
  // Empty: begin == end.
  EXPECT_TRUE(fails_with(infer_slice(x, slice_attrs(L{1}, L{3}, L{3})),
                         {"slice of axis 1 must satisfy 0 <= begin < end <= dim 5",
                          "got begin 3, end 3", "input shape [2, 5]"}));
  // Reversed after normalization: 4 and -2 -> 3.
  EXPECT_TRUE(fails_with(infer_slice(x, slice_attrs(L{1}, L{4}, L{-2})),
                         {"got begin 4, end 3 (from begin 4, end -2"}));
  // No clamping: past the end, or before the start.
  EXPECT_TRUE(fails_with(infer_slice(x, slice_attrs(L{1}, L{0}, L{6})), {"got begin 0, end 6"}));
  EXPECT_TRUE(fails_with(infer_slice(x, slice_attrs(L{-1}, L{-6}, L{2})),
                         {"slice of axis 1", "got begin -1, end 2 (from begin -6, end 2"}));
  // end 0 is index 0, never "to the end".
  EXPECT_TRUE(fails_with(infer_slice(x, slice_attrs(L{0}, L{1}, L{0})),
                         {"slice of axis 0", "got begin 1, end 0"}));
  // An empty axis has no valid box.
  EXPECT_TRUE(fails_with(infer_slice({0, 5}, slice_attrs(L{0}, L{0}, L{0})), {"dim 0"}));
}

TEST(SliceKernel, HandCheckedCropsOfA3x4) {
  // x[r][c] = 4r + c.
  const Tensor x = tensor({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const Tensor cols = optest::run1("Slice", slice_attrs(L{1}, L{1}, L{-1}), {}, {x});
  EXPECT_TRUE(optest::all_close(cols, Shape{3, 2}, {1, 2, 5, 6, 9, 10}, 0, 0));
  const Tensor box = optest::run1("Slice", slice_attrs(L{0, 1}, L{-2, 0}, L{3, 1}), {}, {x});
  EXPECT_TRUE(optest::all_close(box, Shape{2, 1}, {4, 8}, 0, 0));
}

TEST(SliceKernel, HandCheckedI32) {
  const Tensor x = spatialtest::i32_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = optest::run("Slice", slice_attrs(L{0, 1}, L{1, 1}, L{2, 3}), {}, {x});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].dtype(), DType::i32);
  EXPECT_EQ(spatialtest::i32_values((*out)[0]), (std::vector<std::int32_t>{5, 6}));
}

const std::vector<std::string> kFixtureCases = {"crop2d_nhwc", "negative_axis_and_begin",
                                                "axes_unordered", "rank1"};

TEST(SliceKernel, NumpyCropping2D) { optest::expect_fixture("slice.json", "crop2d_nhwc", 0, 0); }
TEST(SliceKernel, NumpyNegativeAxisAndBegin) {
  optest::expect_fixture("slice.json", "negative_axis_and_begin", 0, 0);
}
TEST(SliceKernel, NumpyAxesUnordered) {
  optest::expect_fixture("slice.json", "axes_unordered", 0, 0);
}
TEST(SliceKernel, NumpyRank1) { optest::expect_fixture("slice.json", "rank1", 0, 0); }

TEST(SliceKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("slice.json", kFixtureCases, false);
}

}  // namespace ops_test_slice
}  // namespace ingot
