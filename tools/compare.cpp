// ingot compare REFERENCE.ingot TEST.ingot --input x.npy [--input ...] [--json] [--html OUT.html]
// Runs both models on the same inputs and compares every value they share (named after the
// source layers): max abs / max rel error, cosine, SNR, and where the error jumps; top-1 / top-5
// agreement of classifier outputs; matched, missed and extra boxes of detector outputs.
// --input takes a .npy (one sample), "a.npy,b.npy" (one sample of a two-input model) or a
// folder (every .npy in it, in name order, one sample each: single-input models).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "format/format.h"
#include "runtime/compare.h"
#include "runtime/npy.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct CompareFlags {
  std::string reference, test;
  std::vector<std::string> inputs;
  bool json = false;
  std::string html;
  double score_threshold = 0.5;
  RuntimeFlags runtime;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) out.push_back(part);
  return out;
}

Result<std::vector<std::vector<Tensor>>> read_samples(const std::vector<std::string>& args) {
  std::vector<std::vector<Tensor>> samples;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& f : fs::directory_iterator(arg, ec)) {
        if (f.path().extension() == ".npy") files.push_back(f.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) return usage_error("--input folder " + quote(arg) + " holds no .npy file");
      for (const auto& f : files) {
        INGOT_ASSIGN_OR_RETURN(Tensor t, npy::read(f.string()));
        samples.push_back({std::move(t)});
      }
      continue;
    }
    std::vector<Tensor> sample;
    for (const std::string& path : split_commas(arg)) {
      INGOT_ASSIGN_OR_RETURN(Tensor t, npy::read(path));
      sample.push_back(std::move(t));
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::string number(double v, int precision = 4) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

ordered_json json_number(double v) {
  if (std::isfinite(v)) return v;
  return number(v);
}

ordered_json report_json(const CompareFlags& f, const runtime::CompareReport& r) {
  ordered_json j = {{"reference", f.reference}, {"test", f.test}, {"samples", r.samples}};
  j["values"] = ordered_json::array();
  for (const auto& v : r.values) {
    j["values"].push_back({{"name", v.name}, {"op", v.op}, {"elements", v.elements}, {"max_abs", json_number(v.max_abs)},
                           {"max_rel", json_number(v.max_rel)}, {"cosine", json_number(v.cosine)},
                           {"snr_db", json_number(v.snr_db)}, {"drop_db", json_number(v.drop_db)},
                           {"added_noise_db", json_number(v.added_noise_db)}});
  }
  j["jump"] = r.jump ? ordered_json(r.values[*r.jump].name) : ordered_json(nullptr);
  j["only_in_reference"] = r.only_in_reference;
  j["classifiers"] = ordered_json::array();
  for (const auto& c : r.classifiers) {
    j["classifiers"].push_back({{"output", c.output}, {"rows", c.rows}, {"top1", c.top1}, {"top5", c.top5}});
  }
  j["framework"] = ordered_json::array();
  for (const auto& f : r.framework) {
    j["framework"].push_back({{"model", f.model}, {"output", f.error.name}, {"max_abs", json_number(f.error.max_abs)},
                              {"max_rel", json_number(f.error.max_rel)}, {"cosine", json_number(f.error.cosine)},
                              {"snr_db", json_number(f.error.snr_db)}});
  }
  j["detections"] = ordered_json::array();
  for (const auto& d : r.detections) {
    j["detections"].push_back({{"output", d.output}, {"score_threshold", d.score_threshold},
                               {"reference_boxes", d.reference_boxes}, {"matched", d.matched}, {"missed", d.missed},
                               {"extra", d.extra}, {"max_score_delta", d.max_score_delta},
                               {"mean_score_delta", d.mean_score_delta}});
  }
  return j;
}

void print_text(const CompareFlags& f, const runtime::CompareReport& r) {
  std::cout << "compare " << f.test << " against " << f.reference << " on " << r.samples << " sample"
            << (r.samples == 1 ? "" : "s") << ": " << r.values.size() << " shared values";
  if (!r.only_in_reference.empty()) std::cout << " (" << r.only_in_reference.size() << " only in the reference, e.g. folded)";
  std::cout << "\n  " << std::left << std::setw(34) << "value" << std::setw(18) << "op" << std::setw(12) << "max abs"
            << std::setw(12) << "max rel" << std::setw(12) << "cosine" << std::setw(10) << "SNR dB" << std::setw(10) << "drop dB" << "noise added dB\n";
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const auto& v = r.values[i];
    std::cout << (r.jump == i ? "> " : "  ") << std::setw(34) << v.name << std::setw(18) << v.op << std::setw(12)
              << number(v.max_abs, 3) << std::setw(12) << number(v.max_rel, 3) << std::setw(12) << number(v.cosine, 7)
              << std::setw(10) << number(v.snr_db, 4) << std::setw(10) << number(v.drop_db, 3)
              << (std::isfinite(v.added_noise_db) ? number(v.added_noise_db, 3) : std::string("-")) << "\n";
  }
  std::cout << std::right;
  if (r.jump) {
    const auto& v = r.values[*r.jump];
    std::cout << "error jumps most at " << quote(v.name) << " (" << v.op << "): it adds noise at "
              << number(v.added_noise_db, 3) << " dB of its signal (SNR " << number(v.snr_db) << " dB, " << number(v.drop_db, 3)
              << " dB below its inputs)\n";
  } else {
    std::cout << "no value loses accuracy against its inputs\n";
  }
  for (const auto& fw : r.framework) {
    std::cout << "against the source framework's stored output " << quote(fw.error.name) << ": " << fw.model
              << " model max abs " << number(fw.error.max_abs, 3) << ", cosine " << number(fw.error.cosine, 7) << ", SNR "
              << number(fw.error.snr_db) << " dB\n";
  }
  for (const auto& c : r.classifiers) {
    std::cout << "classifier " << quote(c.output) << ": top-1 agreement " << number(100 * c.top1) << " %, top-5 "
              << number(100 * c.top5) << " % (" << c.rows << " rows)\n";
  }
  for (const auto& d : r.detections) {
    std::cout << "detector " << quote(d.output) << ": " << d.reference_boxes << " reference boxes (score >= "
              << d.score_threshold << "): " << d.matched << " matched (IoU >= 0.5), " << d.missed << " missed, " << d.extra
              << " extra; score delta max " << number(d.max_score_delta, 3) << ", mean " << number(d.mean_score_delta, 3)
              << "\n";
  }
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A static page: the SNR of every value as an SVG line (the jump marked), then the table.
std::string html_page(const CompareFlags& f, const runtime::CompareReport& r) {
  const double width = 960, height = 320, left = 50, bottom = 30;
  const double n = std::max<double>(1, static_cast<double>(r.values.size()) - 1);
  const auto x = [&](std::size_t i) { return left + (width - left - 10) * static_cast<double>(i) / n; };
  const auto y = [&](double snr) {
    const double clamped = std::clamp(std::isfinite(snr) ? snr : -runtime::kExactSnrDb, -20.0, runtime::kExactSnrDb);
    return 10 + (height - bottom - 10) * (runtime::kExactSnrDb - clamped) / (runtime::kExactSnrDb + 20);
  };
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ingot compare</title>\n<style>"
       "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
       "td:first-child,th:first-child,td:nth-child(2){text-align:left}tr.jump{background:#fdd}</style></head><body>\n";
  h << "<h1>" << escape(f.test) << " against " << escape(f.reference) << "</h1>\n<p>" << r.samples << " sample(s), "
    << r.values.size() << " shared values.";
  if (r.jump) {
    h << " Error jumps most at <b>" << escape(r.values[*r.jump].name) << "</b> (" << escape(r.values[*r.jump].op)
      << "): it adds noise at " << number(r.values[*r.jump].added_noise_db, 3) << " dB of its signal (SNR "
      << number(r.values[*r.jump].snr_db) << " dB, " << number(r.values[*r.jump].drop_db, 3) << " dB below its inputs).";
  }
  h << "</p>\n<svg width=\"" << width << "\" height=\"" << height << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  for (double g = 0; g <= runtime::kExactSnrDb; g += 20) {
    h << "<line x1=\"" << left << "\" x2=\"" << width - 10 << "\" y1=\"" << y(g) << "\" y2=\"" << y(g)
      << "\" stroke=\"#ddd\"/><text x=\"5\" y=\"" << y(g) + 4 << "\" font-size=\"11\">" << g << " dB</text>\n";
  }
  h << "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"";
  for (std::size_t i = 0; i < r.values.size(); ++i) h << x(i) << "," << y(r.values[i].snr_db) << " ";
  h << "\"/>\n";
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    h << "<circle cx=\"" << x(i) << "\" cy=\"" << y(r.values[i].snr_db) << "\" r=\"" << (r.jump == i ? 6 : 2)
      << "\" fill=\"" << (r.jump == i ? "#c00" : "#36c") << "\"><title>" << escape(r.values[i].name) << ": "
      << number(r.values[i].snr_db) << " dB</title></circle>\n";
  }
  h << "<text x=\"" << left << "\" y=\"" << height - 8 << "\" font-size=\"11\">values in compute order (SNR, dB)</text>\n</svg>\n";
  for (const auto& fw : r.framework) {
    h << "<p>against the source framework's stored output <b>" << escape(fw.error.name) << "</b>: " << fw.model
      << " model max abs " << number(fw.error.max_abs, 3) << ", SNR " << number(fw.error.snr_db) << " dB</p>\n";
  }
  for (const auto& c : r.classifiers) {
    h << "<p>classifier <b>" << escape(c.output) << "</b>: top-1 agreement " << number(100 * c.top1) << " %, top-5 "
      << number(100 * c.top5) << " % (" << c.rows << " rows)</p>\n";
  }
  for (const auto& d : r.detections) {
    h << "<p>detector <b>" << escape(d.output) << "</b>: " << d.reference_boxes << " reference boxes, " << d.matched
      << " matched, " << d.missed << " missed, " << d.extra << " extra; score delta max " << number(d.max_score_delta, 3)
      << ", mean " << number(d.mean_score_delta, 3) << "</p>\n";
  }
  h << "<table>\n<tr><th>value</th><th>op</th><th>max abs</th><th>max rel</th><th>cosine</th><th>SNR dB</th><th>drop dB</th><th>noise added dB</th></tr>\n";
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    const auto& v = r.values[i];
    h << "<tr" << (r.jump == i ? " class=\"jump\"" : "") << "><td>" << escape(v.name) << "</td><td>" << escape(v.op)
      << "</td><td>" << number(v.max_abs, 3) << "</td><td>" << number(v.max_rel, 3) << "</td><td>" << number(v.cosine, 7)
      << "</td><td>" << number(v.snr_db) << "</td><td>" << number(v.drop_db, 3) << "</td><td>"
      << (std::isfinite(v.added_noise_db) ? number(v.added_noise_db, 3) : std::string("-")) << "</td></tr>\n";
  }
  h << "</table>\n</body></html>\n";
  return h.str();
}

Status run_compare(const CompareFlags& f) {
  INGOT_ASSIGN_OR_RETURN(const ir::Graph reference, format::read_model(f.reference, default_registry()));
  INGOT_ASSIGN_OR_RETURN(const ir::Graph test, format::read_model(f.test, default_registry()));
  INGOT_ASSIGN_OR_RETURN(const auto samples, read_samples(f.inputs));
  runtime::CompareOptions options;
  options.plan = plan_options(f.runtime);
  options.score_threshold = f.score_threshold;
  INGOT_ASSIGN_OR_RETURN_CTX(const runtime::CompareReport r,
                             runtime::compare_models(reference, test, samples, default_registry(), options),
                             "compare " + quote(f.test) + " with " + quote(f.reference));
  if (f.json) {
    std::cout << report_json(f, r).dump(2) << "\n";
  } else {
    print_text(f, r);
  }
  if (!f.html.empty()) {
    const std::string page = html_page(f, r);
    INGOT_TRY(write_file_atomic(f.html, std::as_bytes(std::span(page.data(), page.size()))));
    if (!f.json) std::cout << "wrote " << f.html << "\n";
  }
  return {};
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("compare", "Per-layer accuracy of a model against a reference model on the same inputs "
                                            "(e.g. a compiled model against its f32 source)");
  auto f = std::make_shared<CompareFlags>();
  cmd->add_option("reference", f->reference, "the reference .ingot model (e.g. f32)")->required();
  cmd->add_option("test", f->test, "the .ingot model to judge (e.g. compiled for a target)")->required();
  cmd->add_option("-i,--input", f->inputs, "a sample: x.npy, a.npy,b.npy for a two-input model, or a folder of .npy")
      ->required();
  cmd->add_flag("--json", f->json, "print JSON");
  cmd->add_option("--html", f->html, "also write a static HTML page with a per-layer error plot");
  cmd->add_option("--score-threshold", f->score_threshold, "detections below this score are not counted (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  add_runtime_flags(*cmd, f->runtime);
  cmd->final_callback([&exit_code, f] { exit_code = report(run_compare(*f)); });
}

}  // namespace ingot::cli
