#include "core/fp16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <bit>
#include <cassert>

namespace ingot {

std::uint16_t float_to_half(float value) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((f >> 16) & 0x8000u);
  const std::uint32_t abs = f & 0x7FFFFFFFu;

  if (abs >= 0x7F800000u) {  // inf or NaN
    if (abs == 0x7F800000u) return sign | 0x7C00u;
    // Keep the top 10 payload bits, so half -> float -> half is the identity for every NaN;
    // when they are all zero, set the quiet bit so the NaN does not turn into infinity.
    std::uint16_t payload = static_cast<std::uint16_t>((abs >> 13) & 0x03FFu);
    if (payload == 0) payload = 0x0200u;
    return sign | 0x7C00u | payload;
  }
  // 65520 = largest half (65504) + half an ulp: from here on, round-to-nearest gives inf.
  if (abs >= 0x477FF000u) return sign | 0x7C00u;

  if (abs < 0x38800000u) {  // below 2^-14: the result is a half subnormal or zero
    // Align the 24-bit significand (implicit 1 included) to the half subnormal grid, 2^-24.
    const std::uint32_t exponent = abs >> 23;
    if (exponent < 102) return sign;  // below 2^-25: rounds to zero, even at the tie
    const std::uint32_t significand = (abs & 0x007FFFFFu) | 0x00800000u;
    const std::uint32_t shift = 126 - exponent;  // 14..24
    std::uint32_t half = significand >> shift;
    const std::uint32_t rest = significand & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return sign | static_cast<std::uint16_t>(half);
  }

  // Normal range: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits.
  std::uint32_t half = ((abs - 0x38000000u) >> 13);
  const std::uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry may reach inf: right
  return sign | static_cast<std::uint16_t>(half);
}

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  std::uint32_t mantissa = bits & 0x03FFu;

  std::uint32_t f;
  if (exponent == 0x1Fu) {
    f = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    f = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    f = sign;
  } else {  // subnormal: normalize
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x0400u) == 0);
    f = sign | static_cast<std::uint32_t>(112 - e) << 23 | ((mantissa & 0x03FFu) << 13);
  }
  return std::bit_cast<float>(f);
}

#if defined(__x86_64__)
// F16C converts 8 floats at once with the same rounding (to nearest, ties to even), overflow,
// infinities and subnormals; only NaN payloads may differ, so blocks with a NaN go the scalar
// way.
__attribute__((target("avx,f16c"))) static std::size_t floats_to_halves_f16c(const float* in, std::uint16_t* out,
                                                                            std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(in + i);
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) {
      for (std::size_t k = i; k < i + 8; ++k) out[k] = float_to_half(in[k]);
      continue;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  return i;
}
#endif

void floats_to_halves(std::span<const float> in, std::span<std::uint16_t> out) {
  assert(in.size() == out.size());
  std::size_t i = 0;
#if defined(__x86_64__)
  static const bool f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  if (f16c) i = floats_to_halves_f16c(in.data(), out.data(), in.size());
#endif
  for (; i < in.size(); ++i) out[i] = float_to_half(in[i]);
}

void halves_to_floats(std::span<const std::uint16_t> in, std::span<float> out) {
  assert(in.size() == out.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = half_to_float(in[i]);
}

}  // namespace ingot
