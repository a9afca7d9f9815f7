// The weights of a Keras file (/model_weights), found per layer the way Keras' loader does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "frontends/keras/hdf5.h"

namespace ingot::keras {

// One stored weight: its short name ("kernel" from "conv1/kernel:0") and its values.
struct Weight {
  std::string name;
  Tensor value;
};

class WeightStore {
 public:
  // `root` is the file's root group; its model_weights group is required.
  static Result<WeightStore> open(const h5::Group& root);

  // The weights of layer `layer`, in the order Keras wrote them. `top` is the name of the
  // outermost model-level layer containing it (== `layer` when it is not nested): weights of
  // nested models are stored in the group of that outermost layer, named "<layer>/<var>:0".
  Result<std::vector<Weight>> weights(const std::string& top, const std::string& layer) const;
  // Whether the file lists a weights group for this top-level layer.
  bool has_group(const std::string& top) const { return names_.count(top) > 0; }

 private:
  explicit WeightStore(h5::Group group) : group_(std::move(group)) {}
  h5::Group group_;
  std::map<std::string, std::vector<std::string>> names_;  // top-level layer -> weight_names
};

}  // namespace ingot::keras
