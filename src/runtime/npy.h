// NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian, C order), the way users hand
// inputs to `ingot run` and get outputs back.
#pragma once

#include <span>
#include <string>

#include "ingot/tensor.h"

namespace ingot::npy {

// Reads a .npy file. Accepted element types: <f4 <f2 <i4 <i8 |u1 |b1 (kept as is) and <f8
// (converted to f32, the dtype every kernel uses). Fortran order, big-endian data, object
// arrays and malformed headers are rejected with a message naming the file and the field.
Result<Tensor> read(const std::string& path);
Result<Tensor> parse(std::span<const std::byte> bytes, const std::string& source);

// Writes `tensor` as a version 1.0 .npy file, atomically.
Status write(const std::string& path, const Tensor& tensor);
std::string serialize(const Tensor& tensor);

}  // namespace ingot::npy
