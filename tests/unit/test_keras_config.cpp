// The Keras importer's Config bookkeeping (which keys an import function read, which defaults
// it used) and the review of a standard layer's saved keys against it.
#include <gtest/gtest.h>

#include "frontends/keras/layer_context.h"

namespace ingot::keras {
namespace unit_test_keras_config {

using Values = StandardKeys::Values;

TEST(KerasConfig, RecordsKeysReadAndDefaultsUsedForAbsentKeys) {
  const json j = {{"filters", 8}, {"padding", "same"}, {"output_padding", nullptr}, {"rate", 0.5}};
  const Config c(j);
  EXPECT_EQ(*c.integer("filters"), 8);
  EXPECT_EQ(*c.string("padding", "valid", {"valid", "same"}), "same");
  EXPECT_EQ(*c.ints("dilation_rate", 2, 1), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(*c.boolean("use_bias", true), true);
  EXPECT_EQ(*c.integer("groups", 1), 1);
  EXPECT_FALSE(c.has("output_padding"));  // null: consulted, the file's own choice, not a default
  EXPECT_EQ(c.get("missing"), nullptr);
  c.defaulted("strides", std::vector<std::int64_t>{2, 2});
  c.defaulted("filters", 3);  // saved: never a default
  EXPECT_EQ(c.use().read, (std::vector<std::string>{"filters", "padding", "dilation_rate", "use_bias", "groups",
                                                     "output_padding", "missing", "strides"}));
  const std::vector<std::pair<std::string, json>> want = {
      {"dilation_rate", json({1, 1})}, {"use_bias", true}, {"groups", 1}, {"strides", json({2, 2})}};
  EXPECT_EQ(c.use().defaulted, want);
}

TEST(KerasConfig, FailedReadsStillCountAsRead) {
  const json j = {{"units", "ten"}};
  const Config c(j);
  auto units = c.integer("units");
  ASSERT_FALSE(units.ok());
  EXPECT_EQ(units.status().message(), "key 'units' must be an integer, got \"ten\"");
  EXPECT_EQ(c.use().read, std::vector<std::string>{"units"});
}

TEST(KerasConfig, KeysWithoutEffectOnInference) {
  for (const char* key : {"name", "trainable", "dtype", "batch_input_shape", "kernel_initializer", "depthwise_regularizer",
                          "activity_regularizer", "bias_constraint"}) {
    EXPECT_TRUE(has_no_effect("Conv2D", key)) << key;
  }
  EXPECT_TRUE(has_no_effect("Dropout", "rate"));
  EXPECT_TRUE(has_no_effect("SpatialDropout2D", "noise_shape"));
  EXPECT_TRUE(has_no_effect("BatchNormalization", "momentum"));
  EXPECT_TRUE(has_no_effect("GaussianNoise", "stddev"));
  // Only where they cannot matter: a 'rate' or 'momentum' elsewhere is somebody's real parameter.
  for (const char* key : {"groups", "dilation_rate", "rate", "momentum", "interpolation", "initializer", "_initializer"}) {
    EXPECT_FALSE(has_no_effect("Conv2D", key)) << key;
  }
}

TEST(KerasConfig, ReviewSortsSavedKeysIntoFoundWithoutEffectAndUnread) {
  Layer layer;
  layer.class_name = "Conv2D";
  layer.name = "c1";
  layer.config = {{"name", "c1"}, {"filters", 4}, {"kernel_initializer", {{"class_name", "Zeros"}}}, {"future", {1, 2}}};
  const Config c(layer.config);
  ASSERT_TRUE(c.integer("filters").ok());
  ASSERT_TRUE(c.integer("groups", 1).ok());
  LayerReport r;
  review_keys(layer, c.use(), r);
  EXPECT_TRUE(r.keys.reviewed);
  EXPECT_EQ(r.keys.found, (Values{{"filters", 4}}));
  EXPECT_EQ(r.keys.defaulted, (Values{{"groups", 1}}));
  EXPECT_EQ(r.keys.no_effect, (std::vector<std::string>{"kernel_initializer", "name"}));
  EXPECT_EQ(r.keys.unread, (Values{{"future", json({1, 2})}}));
  ASSERT_EQ(r.diagnostics.size(), 2u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::warning);
  EXPECT_EQ(r.diagnostics[0].key, "future");
  EXPECT_EQ(r.diagnostics[0].message, "key 'future' = [1,2] is not read by ingot; results may differ if it matters");
  EXPECT_EQ(r.diagnostics[1].severity, Severity::note);
  EXPECT_EQ(r.diagnostics[1].message, "not saved, defaults used: groups = 1");
}

}  // namespace unit_test_keras_config
}  // namespace ingot::keras
