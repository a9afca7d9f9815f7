// The teachable-machine test photo (tests/fixtures/teachable/photo_224.npy: the photo after
// PIL's ImageOps.fit(224x224, ANTIALIAS), as the model's own predictor does it, made by
// scripts/gen_teachable_input.py), scaled as that predictor scales it: x / 127.0 - 1.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "runtime/npy.h"

namespace ingot::testing {

inline Tensor teachable_photo_input() {
  auto photo = npy::read(std::string(INGOT_FIXTURES_DIR) + "/teachable/photo_224.npy");
  EXPECT_TRUE(photo.ok()) << photo.status().message();
  if (!photo.ok()) return Tensor();
  Tensor x = Tensor::allocate(DType::f32, photo->shape()).value();
  for (std::size_t i = 0; i < x.data<float>().size(); ++i) {
    x.mutable_data<float>()[i] = static_cast<float>(photo->data<std::uint8_t>()[i]) / 127.0f - 1.0f;
  }
  return x;
}

// labels.txt of the model: PLASTIC, PAPER, METAL, CARDBOARD, GLASS; the photo shows glass.
inline constexpr int kTeachableGlass = 4;

}  // namespace ingot::testing
