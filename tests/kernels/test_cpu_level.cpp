// The dispatch-level cap (INGOT_CPU_LEVEL): CTest runs this binary once per level this machine
// can run (tests/CMakeLists.txt), and here each run checks that the cap reached both
// libraries: cpuinfo's feature table, which XNNPACK dispatches on, shows nothing above the
// level, oneDNN's effective ISA is at most the level, and the kernels' names say so.
#include <cpuinfo.h>

#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>

#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_cpu_level {

using kernels::CpuLevel;

CpuLevel level() {
  auto l = kernels::requested_cpu_level();
  EXPECT_TRUE(l.ok()) << l.status().message();
  return l.ok() ? *l : CpuLevel::native;
}

TEST(CpuLevel, CapsXnnpackFeatureTable) {
  kernels::apply_cpu_level();
  const CpuLevel l = level();
  if (l == CpuLevel::native || l == CpuLevel::avx512) {
    // No cap below AVX-512: the table must still say what the CPU has.
    EXPECT_EQ(cpuinfo_has_x86_avx512f(), __builtin_cpu_supports("avx512f") != 0);
    EXPECT_EQ(cpuinfo_has_x86_avx2(), __builtin_cpu_supports("avx2") != 0);
    return;
  }
  EXPECT_FALSE(cpuinfo_has_x86_avx512f());
  if (l == CpuLevel::avx2) return;
  EXPECT_FALSE(cpuinfo_has_x86_avx2());
  EXPECT_FALSE(cpuinfo_has_x86_fma3());
  if (l == CpuLevel::avx) return;
  EXPECT_FALSE(cpuinfo_has_x86_avx());
  if (l == CpuLevel::sse41) return;
  EXPECT_FALSE(cpuinfo_has_x86_sse4_1());
  EXPECT_FALSE(cpuinfo_has_x86_ssse3());
}

TEST(CpuLevel, CapsOnednnIsa) {
  kernels::apply_cpu_level();
  std::mt19937 rng(3);
  OneOp c;  // a 3x3 convolution: oneDNN's JIT kernels name their ISA
  c.op = "Conv2D";
  c.constants.push_back({"w", random_tensor(Shape{32, 16, 3, 3}, rng)});
  c.attrs = {{"weights", TensorRef{"w"}}, {"strides", std::vector<std::int64_t>{1, 1}},
             {"dilations", std::vector<std::int64_t>{1, 1}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}},
             {"groups", std::int64_t{1}}, {"layout", std::string("NHWC")}};
  c.inputs.push_back(random_tensor(Shape{1, 9, 9, 16}, rng));
  auto r = compare_paths(c, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(within_summation_bound(*r, 16 * 9));
  const CpuLevel l = level();
  if (l == CpuLevel::sse2) {
    EXPECT_EQ(r->kernel.rfind("xnnpack conv2d", 0), 0u) << "oneDNN needs SSE4.1: " << r->kernel;
    return;
  }
  EXPECT_EQ(r->kernel.rfind("onednn conv2d", 0), 0u) << r->kernel;
  const auto isa = dnnl::get_effective_cpu_isa();
  if (l == CpuLevel::avx512) {
    EXPECT_LE(static_cast<int>(isa), static_cast<int>(dnnl::cpu_isa::avx512_core));
  }
  if (l == CpuLevel::avx2 || l == CpuLevel::avx || l == CpuLevel::sse41) {
    EXPECT_EQ(r->kernel.find("avx512"), std::string::npos) << r->kernel;
    EXPECT_LE(static_cast<int>(isa), static_cast<int>(dnnl::cpu_isa::avx2));
  }
  if (l == CpuLevel::avx || l == CpuLevel::sse41) {
    EXPECT_EQ(r->kernel.find("avx2"), std::string::npos) << r->kernel;
    EXPECT_LE(static_cast<int>(isa), static_cast<int>(dnnl::cpu_isa::avx));
  }
  if (l == CpuLevel::sse41) {
    EXPECT_EQ(isa, dnnl::cpu_isa::sse41);
  }
}

TEST(CpuLevel, UnknownLevelIsAUsageErrorNamingTheVariable) {
  const char* before = std::getenv("INGOT_CPU_LEVEL");
  const std::string saved = before ? before : "";
  ::setenv("INGOT_CPU_LEVEL", "avx9000", 1);
  auto l = kernels::requested_cpu_level();
  OneOp c;
  c.op = "ReLU";
  const float zeros[2] = {0, 0};
  c.inputs.push_back(Tensor::from_floats(Shape{1, 2}, zeros));
  auto g = c.graph(false);
  ASSERT_TRUE(g.ok());
  auto session = runtime::Session::plan(*g, default_registry(), {});
  if (before) ::setenv("INGOT_CPU_LEVEL", saved.c_str(), 1); else ::unsetenv("INGOT_CPU_LEVEL");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("INGOT_CPU_LEVEL"), std::string::npos);
  EXPECT_NE(l.status().message().find("avx9000"), std::string::npos);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("INGOT_CPU_LEVEL"), std::string::npos);
}

}  // namespace kernels_test_cpu_level
}  // namespace ingot::testing_kernels
