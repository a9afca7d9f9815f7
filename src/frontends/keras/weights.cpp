#include "frontends/keras/weights.h"

namespace ingot::keras {
namespace {

// layer_names, or its chunks layer_names0, layer_names1, ... (attributes over 64 KiB are split
// that way by Keras).
Result<std::vector<std::string>> layer_names(const h5::Group& g) {
  if (g.has_attr("layer_names")) return g.string_list_attr("layer_names");
  std::vector<std::string> names;
  for (int chunk = 0; g.has_attr("layer_names" + std::to_string(chunk)); ++chunk) {
    INGOT_ASSIGN_OR_RETURN(auto part, g.string_list_attr("layer_names" + std::to_string(chunk)));
    names.insert(names.end(), part.begin(), part.end());
  }
  if (names.empty() && !g.has_attr("layer_names0")) {
    return bad_input("read " + g.where() + ": attribute 'layer_names' is required, got nothing");
  }
  return names;
}

Result<std::vector<std::string>> weight_names(const h5::Group& g) {
  if (g.has_attr("weight_names")) return g.string_list_attr("weight_names");
  std::vector<std::string> names;
  for (int chunk = 0; g.has_attr("weight_names" + std::to_string(chunk)); ++chunk) {
    INGOT_ASSIGN_OR_RETURN(auto part, g.string_list_attr("weight_names" + std::to_string(chunk)));
    names.insert(names.end(), part.begin(), part.end());
  }
  return names;
}

// "block1/conv1/kernel:0" -> "kernel"
std::string short_name(const std::string& weight_name) {
  const std::size_t slash = weight_name.rfind('/');
  std::string s = slash == std::string::npos ? weight_name : weight_name.substr(slash + 1);
  const std::size_t colon = s.rfind(':');
  return colon == std::string::npos ? s : s.substr(0, colon);
}

}  // namespace

Result<WeightStore> WeightStore::open(const h5::Group& root) {
  INGOT_ASSIGN_OR_RETURN(h5::Group group, root.group("model_weights"));
  WeightStore store(std::move(group));
  INGOT_ASSIGN_OR_RETURN(auto layers, layer_names(store.group_));
  for (const auto& layer : layers) {
    if (!store.group_.has_child(layer)) {
      return bad_input("read " + store.group_.where(layer) + ": group for layer listed in 'layer_names' is required, got nothing");
    }
    INGOT_ASSIGN_OR_RETURN(h5::Group lg, store.group_.group(layer));
    INGOT_ASSIGN_OR_RETURN(store.names_[layer], weight_names(lg));
  }
  return store;
}

Result<std::vector<Weight>> WeightStore::weights(const std::string& top, const std::string& layer) const {
  auto it = names_.find(top);
  if (it == names_.end()) return std::vector<Weight>{};  // layers without weights may have no group
  INGOT_ASSIGN_OR_RETURN(h5::Group g, group_.group(top));
  std::vector<Weight> out;
  const std::string prefix = layer + "/";
  for (const auto& name : it->second) {
    // For a top-level layer every listed weight is its own, whatever scope prefix it carries
    // (`conv2d_1_1/kernel:0` in group `conv2d_1`); inside a nested model, the prefix tells.
    if (top != layer && name.compare(0, prefix.size(), prefix) != 0) continue;
    INGOT_ASSIGN_OR_RETURN(Tensor t, g.read_f32(name));
    out.push_back({short_name(name), std::move(t)});
  }
  return out;
}

}  // namespace ingot::keras
