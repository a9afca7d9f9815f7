#include "kernels/cpu_level.h"

#include <cpuinfo.h>

#include <cstdlib>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

namespace ingot::kernels {
namespace {

// Each level's name and the oneDNN ISA it caps at (oneDNN has nothing below SSE4.1; at sse2
// it is not used at all, see onednn_allowed()).
struct LevelInfo {
  CpuLevel level;
  const char* name;
  dnnl::cpu_isa onednn_isa;
};
constexpr LevelInfo kLevels[] = {{CpuLevel::native, "native", dnnl::cpu_isa::all},
                                 {CpuLevel::avx512, "avx512", dnnl::cpu_isa::avx512_core},
                                 {CpuLevel::avx2, "avx2", dnnl::cpu_isa::avx2},
                                 {CpuLevel::avx, "avx", dnnl::cpu_isa::avx},
                                 {CpuLevel::sse41, "sse4.1", dnnl::cpu_isa::sse41},
                                 {CpuLevel::sse2, "sse2", dnnl::cpu_isa::sse41}};

const char* name_of(CpuLevel level) {
  for (const auto& l : kLevels)
    if (l.level == level) return l.name;
  return "?";
}

// What this CPU has, as a level (before any masking).
CpuLevel detected_level() {
  static const CpuLevel level = [] {
    if (!cpuinfo_initialize()) return CpuLevel::sse2;
    const cpuinfo_x86_isa& isa = cpuinfo_isa;
    if (isa.avx512f && isa.avx512bw && isa.avx512dq && isa.avx512vl) return CpuLevel::avx512;
    if (isa.avx2 && isa.fma3) return CpuLevel::avx2;
    if (isa.avx) return CpuLevel::avx;
    if (isa.sse4_1) return CpuLevel::sse41;
    return CpuLevel::sse2;
  }();
  return level;
}

// XNNPACK reads cpuinfo's feature table when it initialises: clearing the features above the
// level makes it pick the kernels of a CPU without them.
void mask_cpuinfo(CpuLevel level) {
  cpuinfo_x86_isa& isa = cpuinfo_isa;
  if (level == CpuLevel::native || level == CpuLevel::avx512) return;
  isa.avx512f = isa.avx512pf = isa.avx512er = isa.avx512cd = isa.avx512dq = isa.avx512bw = isa.avx512vl = false;
  isa.avx512ifma = isa.avx512vbmi = isa.avx512vbmi2 = isa.avx512bitalg = isa.avx512vpopcntdq = false;
  isa.avx512vnni = isa.avx512bf16 = isa.avx512vp2intersect = isa.avx512_4vnniw = isa.avx512_4fmaps = false;
  if (level == CpuLevel::avx2) return;
  isa.avx2 = isa.fma3 = isa.fma4 = isa.xop = isa.f16c = false;
  if (level == CpuLevel::avx) return;
  isa.avx = false;
  if (level == CpuLevel::sse41) return;
  isa.sse3 = isa.ssse3 = isa.sse4_1 = isa.sse4_2 = false;
}

void cap_onednn(CpuLevel level) {
  for (const auto& l : kLevels)
    if (l.level == level) dnnl::set_max_cpu_isa(l.onednn_isa);
}

}  // namespace

Result<CpuLevel> requested_cpu_level() {
  const char* env = std::getenv("INGOT_CPU_LEVEL");
  if (env == nullptr || *env == '\0') return CpuLevel::native;
  for (const auto& l : kLevels)
    if (std::string(env) == l.name) return l.level;
  return usage_error("environment variable INGOT_CPU_LEVEL must be one of native, avx512, avx2, avx, sse4.1, sse2; got \"" +
                     std::string(env) + "\"");
}

void apply_cpu_level() {
  static std::once_flag once;
  std::call_once(once, [] {
    detected_level();  // initialises cpuinfo, before any masking
    const auto level = requested_cpu_level();
    if (!level.ok() || *level == CpuLevel::native) return;
    mask_cpuinfo(*level);
    cap_onednn(*level);
  });
}

bool onednn_allowed() {
  const auto level = requested_cpu_level();
  return detected_level() != CpuLevel::sse2 && !(level.ok() && *level == CpuLevel::sse2);
}

std::string describe_cpu_level() {
  const auto level = requested_cpu_level();
  const std::string cpu = name_of(detected_level());
  if (!level.ok() || *level == CpuLevel::native) return cpu + " (native)";
  return std::string(name_of(*level)) + " (INGOT_CPU_LEVEL; this CPU: " + cpu + ")";
}

}  // namespace ingot::kernels
