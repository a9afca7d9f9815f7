// --emit dv-sdk for `ingot compile` and `ingot convert`: checks the model against the dv700
// target's limits (exit 7, nothing written), lays it out as DMP's converter does
// (src/target/dv700) and writes <name>_gen.h, <name>_gen.cpp and <name>_weights.bin.
#include <filesystem>
#include <iostream>

#include "ir/passes.h"
#include "target/compile.h"
#include "target/dv700/emit.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

// --name, else the model file's stem as a C identifier.
std::string network_name(const DvSdkFlags& f) {
  if (!f.name.empty()) return f.name;
  std::string out;
  for (char c : std::filesystem::path(f.model).stem().string())
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Net" + out;
  return out;
}

}  // namespace

Status write_dv_sdk(const DvSdkFlags& f, const target::Analysis& a, const target::Target& t) {
  if (t.name != "dv700")
    return usage_error("--emit dv-sdk writes DV700 networks: use --target dv700 (not " +
                       quote(t.name) + ")");
  if (!f.host.empty())
    return usage_error(
        "--host does not apply to --emit dv-sdk: the dv-sdk decides which layers the host runs");
  const bool codebook8 = f.weights == "codebook8";
  if (!f.weights.empty() && f.weights != "f16" && !codebook8)
    return usage_error("--emit dv-sdk writes f16 or codebook8 weights");
  const std::string context = "write the dv-sdk network of " + quote(f.model);
  INGOT_TRY(target::violations_status(a.violations, t));
  const std::string name = network_name(f);
  INGOT_ASSIGN_OR_RETURN_CTX(
      const dv700::Network net,
      dv700::build_network(a.graph, default_registry(),
                           {.codebook8 = codebook8, .vendor_compat = f.vendor_compat}),
      context);
  INGOT_ASSIGN_OR_RETURN_CTX(const dv700::SdkFiles files,
                             dv700::emit_sdk(net, name, codebook8, default_registry()), context);
  if (f.report) std::cout << dv700::describe_network(net, name, codebook8);
  for (const auto& note : net.notes) std::cout << "note: " << note << "\n";
  INGOT_TRY_CTX(dv700::write_sdk(f.output, name, files, net, codebook8, f.threads), context);
  std::cout << "wrote " << f.output << "/" << name << "_gen.h, " << name << "_gen.cpp, " << name
            << "_weights.bin: " << net.layers.size() << " layers, weights "
            << format_bytes(static_cast<std::size_t>(net.weight_size)) << " ("
            << (codebook8 ? "codebook8" : "f16") << "), I/O buffer "
            << format_bytes(static_cast<std::size_t>(net.buffer_size)) << "\n";
  return {};
}

}  // namespace ingot::cli
