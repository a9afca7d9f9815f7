// Writes a .caffemodel from a seeded weight recipe (tests/fixtures/caffe/<case>/weights.json,
// made by scripts/gen_caffe_refs.py): the weightless SSD prototxts get the same weights here as
// OpenCV got there, without Python and without committing large files.
//
// A uniform blob's value i (row-major) is splitmix64's output for seed + (i + 1) * golden ratio,
// its top 24 bits as u in [0, 1), and float32(lo + (hi - lo) * u) computed in double.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "caffe/caffe.pb.h"

namespace ingot::testing {

inline float seeded_uniform(std::uint64_t seed, std::uint64_t i, double lo, double hi) {
  std::uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 40) / 16777216.0;
  const double span = hi - lo;  // two steps: no fused multiply-add, as numpy computes it
  const double scaled = span * u;
  return static_cast<float>(lo + scaled);
}

inline void write_seeded_caffemodel(const std::string& recipe_path, const std::string& out_path) {
  std::ifstream in(recipe_path);
  const nlohmann::json recipe = nlohmann::json::parse(in);
  caffe::NetParameter net;
  for (const auto& layer : recipe.at("layers")) {
    caffe::LayerParameter* l = net.add_layer();
    l->set_name(layer.at("name").get<std::string>());
    l->set_type(layer.at("type").get<std::string>());
    for (const auto& b : layer.at("blobs")) {
      caffe::BlobProto* blob = l->add_blobs();
      std::uint64_t count = 1;
      for (const auto& d : b.at("shape")) {
        blob->mutable_shape()->add_dim(d.get<std::int64_t>());
        count *= d.get<std::uint64_t>();
      }
      const std::string kind = b.at("kind").get<std::string>();
      if (kind != "constant" && kind != "uniform") throw std::runtime_error("unknown blob kind " + kind + " in " + recipe_path);
      blob->mutable_data()->Resize(static_cast<int>(count), 0.0f);
      float* data = blob->mutable_data()->mutable_data();
      if (kind == "constant") {
        const float value = b.at("value").get<float>();
        for (std::uint64_t i = 0; i < count; ++i) data[i] = value;
      } else {
        const auto seed = b.at("seed").get<std::uint64_t>();
        const double lo = b.at("lo").get<double>(), hi = b.at("hi").get<double>();
        for (std::uint64_t i = 0; i < count; ++i) data[i] = seeded_uniform(seed, i, lo, hi);
      }
    }
  }
  std::ofstream out(out_path, std::ios::binary);
  if (!net.SerializeToOstream(&out)) throw std::runtime_error("cannot write " + out_path);
}

}  // namespace ingot::testing
