// Correctness: the backends must agree with each other layer by layer and end to end. The glue
// ops here (pooling, residual add) are plain reference loops; they are shared by all backends
// and never timed.
#include <algorithm>
#include <cmath>

#include "harness.hpp"

namespace ks {
namespace {

using Tensor = std::vector<float>;

double relative_diff(std::span<const float> ref, std::span<const float> other) {
  auto [lo, hi] = std::minmax_element(ref.begin(), ref.end());
  double range = double(*hi) - double(*lo);
  double worst = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    worst = std::max(worst, std::abs(double(ref[i]) - double(other[i])));
  }
  // A constant output (all clamped) has no range: fall back to an absolute difference.
  return worst / (range > 0.0 ? range : 1.0);
}

void note(Disagreement& d, double diff, const std::string& where, size_t backend) {
  if (diff >= d.worst) d = {diff, where, backend};
}

// ZeroPadding2D(1) then MaxPooling2D(3, 2, 'valid'), as the ResNet generator builds it.
Tensor max_pool(const Tensor& x, const Node& in, const Node& out) {
  Tensor y(size_t(out.h) * out.w * out.c);
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      for (int c = 0; c < out.c; ++c) {
        float m = -INFINITY;
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
            bool inside = iy >= 0 && iy < in.h && ix >= 0 && ix < in.w;
            m = std::max(m, inside ? x[(size_t(iy) * in.w + ix) * in.c + c] : 0.0f);
          }
        }
        y[(size_t(oy) * out.w + ox) * out.c + c] = m;
      }
    }
  }
  return y;
}

Tensor global_avg_pool(const Tensor& x, const Node& in) {
  std::vector<double> sum(size_t(in.c), 0.0);
  for (size_t p = 0; p < size_t(in.h) * in.w; ++p) {
    for (int c = 0; c < in.c; ++c) sum[c] += x[p * in.c + c];
  }
  Tensor y(size_t(in.c));
  for (int c = 0; c < in.c; ++c) y[c] = float(sum[c] / (double(in.h) * in.w));
  return y;
}

Tensor add_relu(const Tensor& a, const Tensor& b) {
  Tensor y(a.size());
  for (size_t i = 0; i < a.size(); ++i) y[i] = std::max(a[i] + b[i], 0.0f);
  return y;
}

// With 1/sqrt(fan_in) weights each layer shrinks its input by about 3x, so after 30-50
// layers the outputs would carry only the biases. Rescaling every layer input to max |x| = 1
// (harness only, the same for every backend) keeps the network input's signal end to end.
void load_normalized(const Tensor& x, float* dst) {
  float peak = 0.0f;
  for (float v : x) peak = std::max(peak, std::abs(v));
  const float scale = peak > 0.0f ? 1.0f / peak : 1.0f;
  for (size_t i = 0; i < x.size(); ++i) dst[i] = x[i] * scale;
}

}  // namespace

Disagreement compare_layer_outputs(const Network& net, std::span<const IoBuffers> buffers) {
  Disagreement d;
  for (size_t l = 0; l < net.layers.size(); ++l) {
    for (size_t b = 1; b < buffers.size(); ++b) {
      note(d, relative_diff(buffers[0].output(l), buffers[b].output(l)), net.layers[l].name, b);
    }
  }
  return d;
}

std::vector<Tensor> run_chain(const Network& net, const NetworkData& data, Backend& backend,
                              const IoBuffers& buffers) {
  std::vector<Tensor> t(net.nodes.size());
  t[0] = data.net_input;
  for (size_t i = 1; i < net.nodes.size(); ++i) {
    const Node& n = net.nodes[i];
    const Tensor& a = t[n.inputs[0]];
    switch (n.op) {
      case NodeOp::kLayer: {
        load_normalized(a, buffers.io()[n.layer].input);
        backend.run_layer(n.layer);
        auto out = buffers.output(n.layer);
        t[i].assign(out.begin(), out.end());
        break;
      }
      case NodeOp::kMaxPool3x3s2Pad1:
        t[i] = max_pool(a, net.nodes[n.inputs[0]], n);
        break;
      case NodeOp::kGlobalAvgPool:
        t[i] = global_avg_pool(a, net.nodes[n.inputs[0]]);
        break;
      case NodeOp::kAddRelu:
        t[i] = add_relu(a, t[n.inputs[1]]);
        break;
      case NodeOp::kInput:
        break;
    }
  }
  std::vector<Tensor> outputs;
  for (int o : net.outputs) outputs.push_back(std::move(t[o]));
  return outputs;
}

Disagreement compare_chain_outputs(const Network& net,
                                   std::span<const std::vector<Tensor>> outputs) {
  Disagreement d;
  for (size_t o = 0; o < net.outputs.size(); ++o) {
    const std::string& name = net.layers[net.nodes[net.outputs[o]].layer].name;
    for (size_t b = 1; b < outputs.size(); ++b) {
      note(d, relative_diff(outputs[0][o], outputs[b][o]), name, b);
    }
  }
  return d;
}

size_t count_subnormals(std::span<const float> values) {
  return size_t(std::count_if(values.begin(), values.end(),
                              [](float v) { return std::fpclassify(v) == FP_SUBNORMAL; }));
}

size_t count_subnormals(const Network& net, const NetworkData& data, const IoBuffers& buffers) {
  size_t n = count_subnormals(data.net_input);
  for (size_t l = 0; l < net.layers.size(); ++l) {
    n += count_subnormals(data.weights[l].weights) + count_subnormals(data.weights[l].bias) +
         count_subnormals(data.layer_inputs[l]) + count_subnormals(buffers.output(l));
  }
  return n;
}

}  // namespace ks
