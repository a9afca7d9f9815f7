// IEEE 754 binary16 <-> binary32 conversion, exact in both directions where possible:
// float -> half rounds to nearest, ties to even; overflow gives infinity; subnormal halves are
// produced and read; NaN stays NaN (sign and top payload bits kept; quiet when those bits are zero).
#pragma once

#include <cstdint>
#include <span>

namespace ingot {

std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);

void floats_to_halves(std::span<const float> in, std::span<std::uint16_t> out);
void halves_to_floats(std::span<const std::uint16_t> in, std::span<float> out);

}  // namespace ingot
