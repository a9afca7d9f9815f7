// The CPU dispatch level: which instruction sets the optimized kernels may use.
//
// XNNPACK and oneDNN each pick their micro-kernels from the CPU at run time, so one binary runs
// on any x86-64. INGOT_CPU_LEVEL caps that choice, process-wide, so the non-AVX-512 (and
// non-AVX2) paths can be run and tested on a machine that has AVX-512:
//   native (default) | avx512 | avx2 | avx | sse4.1 | sse2
// oneDNN's lowest level is SSE4.1: at sse2 the convolutions and dense layers run on XNNPACK.
#pragma once

#include <string>

#include "ingot/status.h"

namespace ingot::kernels {

enum class CpuLevel { native, avx512, avx2, avx, sse41, sse2 };

// The level INGOT_CPU_LEVEL asks for; a usage error naming the variable when it is not a level.
Result<CpuLevel> requested_cpu_level();

// Caps XNNPACK's and oneDNN's choice at the requested level. Idempotent; runs before either
// library creates its first kernel. An invalid INGOT_CPU_LEVEL leaves them at native (plan
// reports the error first, see requested_cpu_level()).
void apply_cpu_level();

// Whether the level (and the CPU) leaves oneDNN anything to run: SSE4.1 at least.
bool onednn_allowed();

// "avx2 (INGOT_CPU_LEVEL; this CPU: avx512)": for `ingot bench` and `inspect --plan`.
std::string describe_cpu_level();

}  // namespace ingot::kernels
