// Layer lists transcribed from ../shared/bench/gen_models.py (the same generator the peer
// baselines use), so that these timings compare with RESULTS.md layer for layer.
#include "network.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace ks {
namespace {

// Keras "same": the odd pixel of padding goes to the bottom/right.
Padding same_padding(int in_h, int in_w, int k, int s) {
  auto split = [&](int in) {
    int out = (in + s - 1) / s;
    int total = std::max((out - 1) * s + k - in, 0);
    return std::pair{total / 2, total - total / 2};
  };
  auto [top, bottom] = split(in_h);
  auto [left, right] = split(in_w);
  return {top, left, bottom, right};
}

Padding symmetric(int p) { return {p, p, p, p}; }

class Builder {
 public:
  Builder(std::string name, int h, int w, int c, uint64_t expected_macs) {
    net_.name = std::move(name);
    net_.expected_macs = expected_macs;
    net_.nodes.push_back({NodeOp::kInput, -1, {-1, -1}, h, w, c});
  }

  static constexpr int kInput = 0;

  int conv(int x, const char* name, int filters, int k, int s, Padding pad, Activation act) {
    return layer(x, name, LayerKind::kConv, filters, k, s, pad, act);
  }
  int conv_same(int x, const char* name, int filters, int k, int s, Activation act) {
    const Node& n = net_.nodes[x];
    return conv(x, name, filters, k, s, same_padding(n.h, n.w, k, s), act);
  }
  int depthwise(int x, const char* name, int s, Padding pad, Activation act) {
    return layer(x, name, LayerKind::kDepthwise, net_.nodes[x].c, 3, s, pad, act);
  }
  int dense(int x, const char* name, int units) {
    return layer(x, name, LayerKind::kDense, units, 1, 1, {}, Activation::kNone);
  }
  int max_pool(int x) {
    const Node& n = net_.nodes[x];
    return glue(NodeOp::kMaxPool3x3s2Pad1, x, -1, (n.h - 1) / 2 + 1, (n.w - 1) / 2 + 1, n.c);
  }
  int global_avg_pool(int x) { return glue(NodeOp::kGlobalAvgPool, x, -1, 1, 1, net_.nodes[x].c); }
  int add_relu(int a, int b) {
    const Node& n = net_.nodes[a];
    return glue(NodeOp::kAddRelu, a, b, n.h, n.w, n.c);
  }
  Network finish(std::vector<int> outputs) {
    net_.outputs = std::move(outputs);
    return std::move(net_);
  }

 private:
  int layer(int x, const char* name, LayerKind kind, int out_c, int k, int s, Padding pad,
            Activation act) {
    const Node& in = net_.nodes[x];
    Layer l{name, kind, in.h, in.w, in.c, out_c, k, s, pad, act};
    net_.layers.push_back(l);
    Node n{NodeOp::kLayer, int(net_.layers.size()) - 1, {x, -1}, l.out_h(), l.out_w(), out_c};
    net_.nodes.push_back(n);
    return int(net_.nodes.size()) - 1;
  }
  int glue(NodeOp op, int a, int b, int h, int w, int c) {
    net_.nodes.push_back({op, -1, {a, b}, h, w, c});
    return int(net_.nodes.size()) - 1;
  }

  Network net_;
};

// (filters, stride) of the 13 depthwise/pointwise pairs, shared by MobileNet and SSD.
constexpr std::pair<int, int> kMobileNetBlocks[] = {
    {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
    {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

// Stride-2 depthwise layers take `stride2_pad` (Keras pads bottom/right, the SSD variant pads
// all sides); stride-1 ones are "same". Returns the output of every block.
std::vector<int> mobilenet_body(Builder& b, int x, Padding stride2_pad) {
  std::vector<int> feats;
  int i = 1;
  for (auto [filters, stride] : kMobileNetBlocks) {
    std::string dw = "conv_dw_" + std::to_string(i), pw = "conv_pw_" + std::to_string(i);
    Padding pad = stride == 1 ? symmetric(1) : stride2_pad;
    x = b.depthwise(x, dw.c_str(), stride, pad, Activation::kRelu6);
    x = b.conv(x, pw.c_str(), filters, 1, 1, {}, Activation::kRelu6);
    feats.push_back(x);
    ++i;
  }
  return feats;
}

Network mobilenet_v1() {
  Builder b("mobilenet_v1", 224, 224, 3, 568'740'352);
  const Padding bottom_right{0, 0, 1, 1};
  int x = b.conv(Builder::kInput, "conv1", 32, 3, 2, bottom_right, Activation::kRelu6);
  x = mobilenet_body(b, x, bottom_right).back();
  x = b.global_avg_pool(x);
  // The classifier is a 1x1 conv on the pooled 1x1x1024 map, as in keras.applications.
  x = b.conv(x, "conv_preds", 1000, 1, 1, {}, Activation::kNone);
  return b.finish({x});
}

Network resnet18() {
  Builder b("resnet18", 224, 224, 3, 1'814'073'344);
  int x = b.conv(Builder::kInput, "conv1", 64, 7, 2, symmetric(3), Activation::kRelu);
  x = b.max_pool(x);
  const int filters[] = {64, 128, 256, 512};
  for (int stage = 2; stage <= 5; ++stage) {
    for (char blk : {'a', 'b'}) {
      std::string pre = "res" + std::to_string(stage) + blk;
      int f = filters[stage - 2];
      bool down = blk == 'a' && stage > 2;
      int y = down
                  ? b.conv(x, (pre + "_branch2a").c_str(), f, 3, 2, symmetric(1), Activation::kRelu)
                  : b.conv_same(x, (pre + "_branch2a").c_str(), f, 3, 1, Activation::kRelu);
      y = b.conv_same(y, (pre + "_branch2b").c_str(), f, 3, 1, Activation::kNone);
      int shortcut =
          down ? b.conv(x, (pre + "_branch1").c_str(), f, 1, 2, {}, Activation::kNone) : x;
      x = b.add_relu(y, shortcut);
    }
  }
  x = b.global_avg_pool(x);
  x = b.dense(x, "fc1000", 1000);
  return b.finish({x});
}

Network ssd_mbv1_300() {
  Builder b("ssd_mbv1_300", 300, 300, 3, 1'401'765'568);
  int x = b.conv(Builder::kInput, "conv1", 32, 3, 2, symmetric(1), Activation::kRelu6);
  std::vector<int> feats = mobilenet_body(b, x, symmetric(1));
  std::vector<std::pair<int, int>> sources = {{feats[10], 3}, {feats[12], 6}};
  x = feats[12];
  int j = 14;
  for (auto [c1, c2] : {std::pair{256, 512}, {128, 256}, {128, 256}, {64, 128}}) {
    std::string pre = "conv" + std::to_string(j++);
    x = b.conv(x, (pre + "_1").c_str(), c1, 1, 1, {}, Activation::kRelu);
    x = b.conv(x, (pre + "_2").c_str(), c2, 3, 2, symmetric(1), Activation::kRelu);
    sources.push_back({x, 6});
  }
  constexpr int kClasses = 21;
  std::vector<int> outputs;
  int k = 0;
  for (auto [src, priors] : sources) {
    std::string pre = "head" + std::to_string(k++);
    outputs.push_back(
        b.conv_same(src, (pre + "_loc").c_str(), priors * 4, 3, 1, Activation::kNone));
    outputs.push_back(
        b.conv_same(src, (pre + "_conf").c_str(), priors * kClasses, 3, 1, Activation::kNone));
  }
  return b.finish(std::move(outputs));
}

struct NetworkEntry {
  const char* name;
  Network (*make)();
};
constexpr NetworkEntry kNetworks[] = {
    {"mobilenet_v1", mobilenet_v1}, {"resnet18", resnet18}, {"ssd_mbv1_300", ssd_mbv1_300}};

}  // namespace

uint64_t Network::macs() const {
  return std::accumulate(layers.begin(), layers.end(), uint64_t{0},
                         [](uint64_t s, const Layer& l) { return s + l.macs(); });
}

const std::vector<std::string>& network_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : kNetworks) v.push_back(e.name);
    return v;
  }();
  return names;
}

bool make_network(const std::string& name, Network& out) {
  for (const auto& e : kNetworks) {
    if (name == e.name) {
      out = e.make();
      return true;
    }
  }
  return false;
}

}  // namespace ks
