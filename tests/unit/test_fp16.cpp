#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "core/fp16.h"

namespace ingot {
namespace unit_test_fp16 {

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// Decodes a half by its definition, independently of half_to_float's bit manipulation.
double half_by_definition(std::uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

TEST(Fp16, EveryHalfDecodesToItsValueAndRoundTrips) {
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    const float f = half_to_float(h);
    const double expected = half_by_definition(h);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << i;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << i;
    } else {
      ASSERT_EQ(static_cast<double>(f), expected) << std::hex << i;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << i;  // -0 stays -0
    }
    // Bit-exact identity for all 65536 values, NaN payloads included.
    ASSERT_EQ(float_to_half(f), h) << std::hex << i;
  }
}

TEST(Fp16, MatchesNumpyOnTiesNeighboursRandomAndEdgeValues) {
  // Pairs written by scripts/gen_fp16_fixture.py from numpy's float32 -> float16 cast.
  std::ifstream in(INGOT_FIXTURES_DIR "/fp16/float_to_half.bin", std::ios::binary);
  ASSERT_TRUE(in) << "missing fixture";
  std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(buf.size() % 6, 0u);
  ASSERT_GT(buf.size() / 6, 20000u);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < buf.size(); i += 6) {
    std::uint32_t f;
    std::uint16_t h;
    std::memcpy(&f, buf.data() + i, 4);
    std::memcpy(&h, buf.data() + i + 4, 2);
    const std::uint16_t got = float_to_half(std::bit_cast<float>(f));
    if (got != h && ++mismatches < 10) {
      ADD_FAILURE() << "float bits 0x" << std::hex << f << ": numpy 0x" << h << ", got 0x" << got;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

struct Edge {
  float in;
  std::uint16_t out;
  const char* why;
};

TEST(Fp16, IeeeEdgeCases) {
  const Edge cases[] = {
      {0.0f, 0x0000, "zero"},
      {-0.0f, 0x8000, "negative zero keeps its sign"},
      {1.0f, 0x3C00, "one"},
      {-2.0f, 0xC000, "minus two"},
      {65504.0f, 0x7BFF, "largest half"},
      {65519.0f, 0x7BFF, "below the overflow threshold rounds down"},
      {65520.0f, 0x7C00, "65520 is the tie above 65504: rounds to even, which is infinity"},
      {1e10f, 0x7C00, "overflow to infinity"},
      {-1e10f, 0xFC00, "negative overflow"},
      {INFINITY, 0x7C00, "infinity"},
      {-INFINITY, 0xFC00, "negative infinity"},
      {std::ldexp(1.0f, -14), 0x0400, "smallest normal half"},
      {std::ldexp(1.0f, -24), 0x0001, "smallest subnormal half"},
      {std::ldexp(1.0f, -25), 0x0000, "half the smallest subnormal: tie, rounds to even zero"},
      {std::ldexp(1.5f, -25), 0x0001, "above the tie rounds up"},
      {std::ldexp(3.0f, -25), 0x0002, "1.5 subnormal ulps: tie, rounds to even 2"},
      {std::ldexp(5.0f, -25), 0x0002, "2.5 subnormal ulps: tie, rounds to even 2"},
      {std::ldexp(1023.0f, -24), 0x03FF, "largest subnormal"},
      {std::ldexp(2047.0f, -25), 0x0400, "rounds up from subnormal into the smallest normal"},
      {1.0f + std::ldexp(1.0f, -11), 0x3C00, "tie between 1 and 1+2^-10 rounds to even (1)"},
      {1.0f + std::ldexp(3.0f, -11), 0x3C02, "tie rounds to even (mantissa 2)"},
      {1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20), 0x3C01, "just above the tie rounds up"},
      {std::ldexp(1.0f, -126), 0x0000, "smallest normal float underflows to zero"},
      {std::numeric_limits<float>::denorm_min(), 0x0000, "float subnormal underflows to zero"},
      {-std::numeric_limits<float>::denorm_min(), 0x8000, "negative underflow keeps the sign"},
      {0.1f, 0x2E66, "0.1"},
      {3.14159265f, 0x4248, "pi"},
  };
  for (const Edge& e : cases) {
    EXPECT_EQ(float_to_half(e.in), e.out) << e.why << " (float bits 0x" << std::hex << bits(e.in) << ")";
  }
}

TEST(Fp16, NanStaysNanWithSign) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(float_to_half(qnan) & 0x7C00, 0x7C00);
  EXPECT_NE(float_to_half(qnan) & 0x03FF, 0);
  EXPECT_EQ(float_to_half(-qnan) & 0x8000, 0x8000);
  // A NaN whose payload lives only in the low 13 bits must not become infinity.
  const float low_payload = std::bit_cast<float>(0x7F800001u);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(low_payload))));
}

TEST(Fp16, SpanConversions) {
  const std::vector<float> in = {0.5f, -1.25f, 65504.0f};
  std::vector<std::uint16_t> h(3);
  floats_to_halves(in, h);
  std::vector<float> back(3);
  halves_to_floats(h, back);
  EXPECT_EQ(back, in);  // all three are exactly representable in half
}

// The span conversion takes F16C where the CPU has it: bit for bit the scalar rounding, on a
// sweep of float bit patterns (every 997th of all 2^32, so normals, subnormals, both
// overflow sides, infinities and NaNs of every payload class, in blocks of 8 and a tail).
TEST(Fp16, SpanConversionIsTheScalarOneBitForBit) {
  std::vector<float> in;
  for (std::uint64_t b = 0; b <= 0xFFFFFFFFull; b += 997) in.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  in.push_back(65520.0f);        // rounds to infinity
  in.push_back(65519.99f);       // the largest that rounds to 65504
  in.push_back(std::ldexp(1.0f, -25));  // ties to even at the bottom of the subnormals
  std::vector<std::uint16_t> bulk(in.size());
  floats_to_halves(in, bulk);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < in.size(); ++i) differ += bulk[i] != float_to_half(in[i]) ? 1 : 0;
  EXPECT_EQ(differ, 0u) << "of " << in.size();
}

}  // namespace unit_test_fp16
}  // namespace ingot
