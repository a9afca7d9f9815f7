#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_input {

using optest::fails_with;
using L = std::vector<std::int64_t>;

Result<std::vector<TensorInfo>> infer_input(const AttrMap& attrs) {
  return optest::infer("Input", attrs, {}, {});
}

TEST(InputSchema, TakesNoInputsAndHasNoKernel) {
  const OpDef& def = optest::op("Input");
  EXPECT_EQ(def.schema.min_inputs, 0);
  EXPECT_EQ(def.schema.max_inputs, 0);
  EXPECT_EQ(def.schema.num_outputs, 1);
  EXPECT_FALSE(def.kernel);  // the runtime binds fed tensors itself
  EXPECT_EQ(*def.schema.find_param("dtype")->default_value, AttrValue(std::string("f32")));
}

TEST(InputSchema, AcceptsShapesUpToRank8AndEveryDtype) {
  EXPECT_TRUE(optest::bind_status("Input", {{"shape", L{}}}).ok());
  EXPECT_TRUE(optest::bind_status("Input", {{"shape", L{1, 1, 1, 1, 1, 1, 1, 1}}}).ok());
  for (const char* dtype : {"f32", "f16", "i32", "i64", "u8", "bool"}) {
    const Status st =
        optest::bind_status("Input", {{"shape", L{1, 3}}, {"dtype", std::string(dtype)}});
    EXPECT_TRUE(st.ok()) << dtype << ": " << st.message();
  }
}

TEST(InputSchema, RejectsMissingShape) {
  EXPECT_TRUE(fails_with(optest::bind_status("Input", {{"dtype", std::string("f32")}}),
                         {"parameter 'shape' is required", "got nothing"}));
}

TEST(InputSchema, RejectsWrongTypes) {
  EXPECT_TRUE(fails_with(optest::bind_status("Input", {{"shape", std::string("1x3")}}),
                         {"parameter 'shape' must be int list", "got string \"1x3\""}));
  EXPECT_TRUE(fails_with(optest::bind_status("Input", {{"shape", std::vector<double>{1, 3}}}),
                         {"parameter 'shape' must be int list", "got float list [1, 3]"}));
}

TEST(InputSchema, RejectsNegativeDimsAndRankAbove8) {
  EXPECT_TRUE(fails_with(optest::bind_status("Input", {{"shape", L{-1, 3}}}),
                         {"parameter 'shape' must be >= 0", "got [-1, 3]"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Input", {{"shape", L{1, 1, 1, 1, 1, 1, 1, 1, 1}}}),
      {"parameter 'shape' must have 0 to 8 elements", "got [1, 1, 1, 1, 1, 1, 1, 1, 1]"}));
}

TEST(InputSchema, RejectsUnknownDtypeAndUnknownParameter) {
  EXPECT_TRUE(fails_with(
      optest::bind_status("Input", {{"shape", L{1}}, {"dtype", std::string("float32")}}),
      {"parameter 'dtype' must be one of \"f32\", \"f16\", \"i32\", \"i64\", \"u8\", \"bool\"",
       "got \"float32\""}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Input", {{"shape", L{1}}, {"name", std::string("x")}}),
      {"parameter 'name' is not a parameter of op 'Input' (its parameters: shape, dtype, open_dims)",
       "got \"x\""}));
}

TEST(InputShape, ProducesTheDeclaredShapeAndDtype) {
  auto f32 = infer_input({{"shape", L{1, 224, 224, 3}}});
  ASSERT_TRUE(f32.ok()) << f32.status().message();
  ASSERT_EQ(f32->size(), 1u);
  EXPECT_EQ((*f32)[0], (TensorInfo{Shape{1, 224, 224, 3}, DType::f32}));

  auto u8 = infer_input({{"shape", L{2, 0}}, {"dtype", std::string("u8")}});
  ASSERT_TRUE(u8.ok()) << u8.status().message();
  EXPECT_EQ((*u8)[0], (TensorInfo{Shape{2, 0}, DType::u8}));

  auto scalar = infer_input({{"shape", L{}}, {"dtype", std::string("bool")}});
  ASSERT_TRUE(scalar.ok()) << scalar.status().message();
  EXPECT_EQ((*scalar)[0], (TensorInfo{Shape{}, DType::boolean}));
}

TEST(InputShape, RejectsMoreThan2To40Elements) {
  EXPECT_TRUE(infer_input({{"shape", L{1 << 20, 1 << 20}}}).ok());  // exactly 2^40
  EXPECT_TRUE(fails_with(
      infer_input({{"shape", L{1 << 20, 1 << 20, 2}}}),
      {"parameter 'shape'", "element count must be at most 2^40", "got [1048576, 1048576, 2]"}));
}

}  // namespace ops_test_input
}  // namespace ingot
