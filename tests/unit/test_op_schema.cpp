// The op interface of include/ingot/op.h: ParamList, schema checks, the registry, user ops.
#include <gtest/gtest.h>

#include "ingot/op.h"
#include "ops/registry.h"

namespace ingot {
namespace unit_test_op_schema {

struct DemoParams {
  std::int64_t count = 0;
  double scale = 0;
  bool flag = false;
  std::string mode;
  std::vector<std::int64_t> sizes;
  std::vector<float> ratios;
  std::vector<std::string> tags;
  std::optional<double> cap;
  std::optional<Tensor> table;
};

ParamList<DemoParams> demo_params() {
  return ParamList<DemoParams>()
      .required("count", &DemoParams::count, "how many").range(1, 10)
      .optional("scale", &DemoParams::scale, 1.5, "multiplier").min(0)
      .optional("flag", &DemoParams::flag, true, "a switch")
      .optional("mode", &DemoParams::mode, "fast", "speed").choices({"fast", "exact"})
      .optional("sizes", &DemoParams::sizes, {2, 2}, "window").min(1).size(2)
      .optional("ratios", &DemoParams::ratios, {1.0f}, "aspect ratios").range(0.1, 10).size(1, 6)
      .optional("tags", &DemoParams::tags, {}, "labels").choices({"a", "b"})
      .optional("cap", &DemoParams::cap, "upper bound, unset for none")
      .optional("table", &DemoParams::table, "lookup table");
}

Result<DemoParams> bind(const AttrMap& attrs, const TensorLookup& lookup = {}) {
  return demo_params().bind(attrs, lookup, "Demo");
}

TEST(ParamList, DefaultsFillUnsetOptionalsStayUnset) {
  auto p = bind({{"count", std::int64_t{3}}});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->count, 3);
  EXPECT_EQ(p->scale, 1.5);
  EXPECT_TRUE(p->flag);
  EXPECT_EQ(p->mode, "fast");
  EXPECT_EQ(p->sizes, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(p->ratios, std::vector<float>{1.0f});
  EXPECT_TRUE(p->tags.empty());
  EXPECT_FALSE(p->cap.has_value());
  EXPECT_FALSE(p->table.has_value());
}

TEST(ParamList, ReadsEveryTypeAndResolvesTensors) {
  Tensor t = Tensor::from_floats(Shape{2}, std::vector<float>{1, 2});
  auto lookup = [&t](std::string_view name) -> const Tensor* { return name == "tbl" ? &t : nullptr; };
  auto p = bind({{"count", std::int64_t{10}}, {"scale", 0.0}, {"flag", false}, {"mode", std::string("exact")},
                 {"sizes", std::vector<std::int64_t>{1, 7}}, {"ratios", std::vector<double>{0.5, 2.0}},
                 {"tags", std::vector<std::string>{"b", "a"}}, {"cap", 6.0}, {"table", TensorRef{"tbl"}}},
                lookup);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->mode, "exact");
  EXPECT_EQ(p->ratios, (std::vector<float>{0.5f, 2.0f}));
  EXPECT_EQ(p->cap, 6.0);
  ASSERT_TRUE(p->table.has_value());
  EXPECT_TRUE(p->table->bit_equal(t));
}

struct Reject {
  AttrMap attrs;
  const char* message;
};

TEST(ParamList, EveryRuleRejectsWithNameAndValue) {
  const Reject cases[] = {
      {{}, "parameter 'count' is required, got nothing"},
      {{{"count", 2.0}}, "parameter 'count' must be int, got float 2"},
      {{{"count", std::int64_t{0}}}, "parameter 'count' must be in [1, 10], got 0"},
      {{{"count", std::int64_t{11}}}, "parameter 'count' must be in [1, 10], got 11"},
      {{{"count", std::int64_t{1}}, {"scale", -0.5}}, "parameter 'scale' must be >= 0, got -0.5"},
      {{{"count", std::int64_t{1}}, {"scale", std::nan("")}}, "parameter 'scale' must be >= 0, got nan"},
      {{{"count", std::int64_t{1}}, {"flag", std::int64_t{1}}}, "parameter 'flag' must be bool, got int 1"},
      {{{"count", std::int64_t{1}}, {"mode", std::string("slow")}},
       "parameter 'mode' must be one of \"fast\", \"exact\", got \"slow\""},
      {{{"count", std::int64_t{1}}, {"sizes", std::vector<std::int64_t>{1, 2, 3}}},
       "parameter 'sizes' must have 2 elements, got [1, 2, 3]"},
      {{{"count", std::int64_t{1}}, {"sizes", std::vector<std::int64_t>{1, 0}}}, "parameter 'sizes' must be >= 1, got [1, 0]"},
      {{{"count", std::int64_t{1}}, {"ratios", std::vector<double>{}}},
       "parameter 'ratios' must have 1 to 6 elements, got []"},
      {{{"count", std::int64_t{1}}, {"ratios", std::vector<double>{20}}}, "parameter 'ratios' must be in [0.1, 10], got [20]"},
      {{{"count", std::int64_t{1}}, {"tags", std::vector<std::string>{"a", "z"}}},
       "parameter 'tags' elements must be one of \"a\", \"b\", got [\"a\", \"z\"]"},
      {{{"count", std::int64_t{1}}, {"speed", std::int64_t{1}}}, "parameter 'speed' is not a parameter of op 'Demo'"},
      {{{"count", std::int64_t{1}}, {"table", TensorRef{"nope"}}}, "tensor 'nope' must name a constant, got none of that name"},
  };
  for (const Reject& c : cases) {
    auto p = bind(c.attrs);
    ASSERT_FALSE(p.ok()) << c.message;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos)
        << "want: " << c.message << "\ngot:  " << p.status().message();
  }
}

TEST(ParamList, DescribesConstraintsForDocs) {
  const auto list = demo_params();
  const auto& specs = list.specs();
  EXPECT_EQ(describe_constraints(specs[0]), "int in [1, 10]");
  EXPECT_EQ(describe_constraints(specs[4]), "int list, each >= 1, 2 elements");
  EXPECT_EQ(describe_constraints(specs[3]), "string, one of \"fast\", \"exact\"");
  EXPECT_TRUE(specs[0].required);
  EXPECT_FALSE(specs[7].required);
  EXPECT_FALSE(specs[7].default_value.has_value());
}

OpDef scale_op(std::string name = "UserScale") {
  struct ScaleParams {
    double factor = 1;
  };
  const auto params = ParamList<ScaleParams>().optional("factor", &ScaleParams::factor, 2.0, "multiplier").range(-100, 100);
  return make_op<ScaleParams>(
      {.name = std::move(name), .doc = "x * factor"}, params,
      [](const ScaleParams&, std::span<const TensorInfo> in) -> Result<std::vector<TensorInfo>> {
        return std::vector<TensorInfo>{in[0]};
      },
      [](const ScaleParams& p, const KernelArgs& a) {
        auto x = a.inputs[0]->data<float>();
        auto y = a.outputs[0]->mutable_data<float>();
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * static_cast<float>(p.factor);
      });
}

TEST(OpRegistry, UserOpsUseTheSameInterfaceAsBuiltins) {
  OpRegistry registry = builtin_registry();
  ASSERT_NE(registry.find("Input"), nullptr);
  ASSERT_NE(registry.find("ReLU"), nullptr);
  ASSERT_TRUE(registry.add(scale_op()).ok());
  const OpDef* op = registry.find("UserScale");
  ASSERT_NE(op, nullptr);
  auto params = op->bind({{"factor", 3.0}}, {});
  ASSERT_TRUE(params.ok());
  Tensor x = Tensor::from_floats(Shape{3}, std::vector<float>{1, -2, 0.5f});
  Tensor y = Tensor::allocate(DType::f32, Shape{3}).value();
  const Tensor* in[] = {&x};
  Tensor* out[] = {&y};
  op->kernel(params->get(), {in, out});
  EXPECT_EQ(y.data<float>()[0], 3.0f);
  EXPECT_EQ(y.data<float>()[1], -6.0f);
  EXPECT_EQ(y.data<float>()[2], 1.5f);
}

TEST(OpRegistry, RejectsDuplicatesAndContradictorySchemas) {
  OpRegistry registry = builtin_registry();
  Status dup = registry.add(scale_op("ReLU"));
  EXPECT_EQ(dup.kind(), ErrorKind::usage);
  EXPECT_NE(dup.message().find("already registered"), std::string::npos);

  OpDef bad_default = scale_op("BadDefault");
  bad_default.schema.params[0].default_value = 500.0;
  EXPECT_NE(registry.add(bad_default).message().find("default of 'factor': parameter 'factor' must be in [-100, 100], got 500"),
            std::string::npos);

  OpDef bad_version = scale_op("BadVersion");
  bad_version.schema.min_version = 3;
  EXPECT_FALSE(registry.add(bad_version).ok());

  OpDef no_infer = scale_op("NoInfer");
  no_infer.infer = nullptr;
  EXPECT_FALSE(registry.add(no_infer).ok());
}

TEST(OpRegistry, ListsOpsSortedAndBuiltinsAreAllThere) {
  OpRegistry registry = builtin_registry();
  std::vector<std::string> names;
  for (const OpDef* op : registry.all()) names.push_back(op->schema.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"Add", "Conv2D", "Dense", "Input", "MaxPool2D", "ReLU"}) {
    EXPECT_NE(registry.find(name), nullptr) << name;
  }
}

}  // namespace unit_test_op_schema
}  // namespace ingot
