// The SSD fork's layers: Normalize, PriorBox, DetectionOutput. Each maps to an op whose
// parameters carry the prototxt field names (CaffeNormalize, CaffePriorBox, DetectionOutput).
#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

std::vector<double> floats(const google::protobuf::RepeatedField<float>& v) { return {v.begin(), v.end()}; }

const char* code_type_name(caffe::PriorBoxParameter::CodeType t) {
  switch (t) {
    case caffe::PriorBoxParameter::CORNER: return "CORNER";
    case caffe::PriorBoxParameter::CENTER_SIZE: return "CENTER_SIZE";
    case caffe::PriorBoxParameter::CORNER_SIZE: return "CORNER_SIZE";
  }
  return "CORNER";
}

}  // namespace

Result<std::vector<std::string>> import_normalize(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::NormalizeParameter& p = ctx.layer.norm_param();
  if (ctx.rank() < 2) return ctx.error("it needs a bottom with a channel axis, got " + ctx.shape().to_string());
  const std::int64_t c = ctx.shape()[1];
  INGOT_TRY(ctx.expect_blob_count(1));
  INGOT_ASSIGN_OR_RETURN(Tensor scale, ctx.blob(0, Shape{p.channel_shared() ? 1 : c},
                                                p.channel_shared() ? "scale [1] (channel_shared)" : "scale [C]"));
  INGOT_ASSIGN_OR_RETURN(TensorRef sref, ctx.constant("scale", scale));
  AttrMap attrs{{"scale", sref},
                {"across_spatial", p.across_spatial()},
                {"channel_shared", p.channel_shared()},
                {"eps", static_cast<double>(p.eps())}};
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "CaffeNormalize", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

// Reads only shapes: the converter folds it into a constant and keeps the parameters.
Result<std::vector<std::string>> import_prior_box(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 2));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::PriorBoxParameter& p = ctx.layer.prior_box_param();
  AttrMap attrs{{"min_size", floats(p.min_size())}, {"flip", p.flip()}, {"clip", p.clip()}, {"offset", static_cast<double>(p.offset())}};
  if (p.max_size_size() > 0) attrs["max_size"] = floats(p.max_size());
  if (p.aspect_ratio_size() > 0) attrs["aspect_ratio"] = floats(p.aspect_ratio());
  if (p.variance_size() > 0) attrs["variance"] = floats(p.variance());
  if (p.has_img_size()) attrs["img_size"] = static_cast<std::int64_t>(p.img_size());
  if (p.has_img_h()) attrs["img_h"] = static_cast<std::int64_t>(p.img_h());
  if (p.has_img_w()) attrs["img_w"] = static_cast<std::int64_t>(p.img_w());
  if (p.has_step()) attrs["step"] = static_cast<double>(p.step());
  if (p.has_step_h()) attrs["step_h"] = static_cast<double>(p.step_h());
  if (p.has_step_w()) attrs["step_w"] = static_cast<double>(p.step_w());
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "CaffePriorBox", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

Result<std::vector<std::string>> import_detection_output(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(3, 3));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::DetectionOutputParameter& p = ctx.layer.detection_output_param();
  if (!p.has_num_classes()) return ctx.error("field 'num_classes' is required");
  AttrMap attrs{{"num_classes", static_cast<std::int64_t>(p.num_classes())},
                {"share_location", p.share_location()},
                {"background_label_id", static_cast<std::int64_t>(p.background_label_id())},
                {"code_type", std::string(code_type_name(p.code_type()))},
                {"variance_encoded_in_target", p.variance_encoded_in_target()},
                {"keep_top_k", static_cast<std::int64_t>(p.keep_top_k())}};
  if (p.has_nms_param()) {
    attrs["nms_threshold"] = static_cast<double>(p.nms_param().nms_threshold());
    if (p.nms_param().has_top_k()) attrs["top_k"] = static_cast<std::int64_t>(p.nms_param().top_k());
    attrs["eta"] = static_cast<double>(p.nms_param().eta());
  }
  if (p.has_confidence_threshold()) attrs["confidence_threshold"] = static_cast<double>(p.confidence_threshold());
  if (p.has_save_output_param()) ctx.note("'save_output_param' writes result files in Caffe; ingot ignores it", "save_output_param");
  if (p.visualize()) ctx.note("'visualize' draws results in Caffe; it does not change the output and ingot ignores it", "visualize");
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "DetectionOutput", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

}  // namespace ingot::caffe_import
