// The .ingot offline model file: write a Graph, read it back (mmap, fully validated).
// The byte layout is specified in docs/format.md and summarized in reader.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::format {

// Version 2 adds the CMPL section (the compilation record). Version 3 adds open dimensions:
// Input nodes naming the dims the source left open (`open_dims`) and Reshape entries 0 (copy
// the input's dim). A file is written at the lowest version that holds its graph (1 without
// either, byte for byte as before), so older builds read every file they can understand and
// refuse the others by their version.
inline constexpr std::uint32_t kFormatVersion = 3;
inline constexpr std::uint32_t kFirstCompiledVersion = 2;
inline constexpr std::uint32_t kFirstOpenDimsVersion = 3;
inline constexpr std::size_t kDataAlignment = 64;

// The version a file holding `graph` is written at: the lowest that holds it.
std::uint32_t version_for(const ir::Graph& graph);

// The file's bytes for `graph`. Deterministic: the same graph gives the same bytes. The graph is
// not verified here; callers verify first (write_model does).
Result<std::vector<std::byte>> serialize(const ir::Graph& graph);

// Verifies `graph` against `registry`, serializes it and writes it atomically (temporary file,
// then rename): on failure no file is left at `path`.
Status write_model(const std::string& path, const ir::Graph& graph, const OpRegistry& registry);

// Parses and validates a whole file held in memory. Constants are read-only views into `bytes`
// kept alive by `keepalive` when `bytes` starts at a kDataAlignment boundary (always so for a
// mapping); otherwise they are copied into aligned tensors, as kernels need aligned data. Every
// node's op must be in `registry` at a readable version, with attributes valid against its
// schema; the graph must pass ir::verify. `source` names the file in error messages, which read
// "read file '<source>': ..." and give the byte offset of the bad field. Error kinds: bad_input
// for malformed bytes, unsupported for what a newer build wrote (format version, op version,
// unknown op, reserved storage type), verification for ir::verify failures.
Result<ir::Graph> parse_model(std::span<const std::byte> bytes, std::shared_ptr<const void> keepalive,
                              const OpRegistry& registry, const std::string& source);

// mmaps `path` and parses it; constants view the mapping, which lives as long as they do.
Result<ir::Graph> read_model(const std::string& path, const OpRegistry& registry);

}  // namespace ingot::format
