#include "target/dv700/weights.h"

#include <array>
#include <cmath>

#include "core/codebook.h"
#include "core/fp16.h"

namespace ingot::dv700 {
namespace {

constexpr int kTileRows = 12, kTileCols = 6;

// A convolution's weights as the device stores them: batch norm folded in, the kernel padded
// to an odd square (non-dilated only), indexed [m][c][y][x].
struct Kernel {
  std::int64_t m = 0, c = 0, ky = 0, kx = 0;
  std::vector<float> w;
  std::vector<float> bias;
  float at(std::int64_t o, std::int64_t i, std::int64_t y, std::int64_t x) const {
    return w[static_cast<std::size_t>(((o * c + i) * ky + y) * kx + x)];
  }
};

// The vendor's arithmetic, which byte equality needs: the factor g / sqrt(var + eps) in
// double; the weights multiplied in float32 by the factor rounded to float32; the bias in
// double, rounded to float32 (and later to fp16). eps is the model's own (Keras: 0.001).
void fold_norm(const Node& conv, Kernel& k) {
  if (!conv.norm) return;
  const Normalization& n = *conv.norm;
  const std::size_t per = static_cast<std::size_t>(k.c * k.ky * k.kx);
  for (std::size_t o = 0; o < static_cast<std::size_t>(k.m); ++o) {
    const double mean = n.mean.empty() ? 0.0 : n.mean[o];
    const double var = n.variance.empty() ? 1.0 : n.variance[o];
    const double eps = n.variance.empty() ? 0.0 : n.epsilon;
    const double gamma = n.gamma.empty() ? 1.0 : n.gamma[o];
    const double beta = n.beta.empty() ? 0.0 : n.beta[o];
    const double norm = gamma / std::sqrt(var + eps);
    const float norm32 = static_cast<float>(norm);
    for (std::size_t j = 0; j < per; ++j) k.w[o * per + j] *= norm32;
    k.bias[o] = static_cast<float>((static_cast<double>(k.bias[o]) - mean) * norm + beta);
  }
}

Kernel device_kernel(const Node& conv) {
  Kernel k;
  k.m = conv.out_dim.back();
  k.c = conv.in_dim[2] / conv.groups;
  const bool dilated = conv.dilation_x != 1 || conv.dilation_y != 1;
  const std::int64_t p = dilated ? 0 : (std::max(conv.kx, conv.ky) | 1);
  k.kx = dilated ? conv.kx : p;
  k.ky = dilated ? conv.ky : p;
  const std::int64_t pad_top = k.ky - conv.ky;  // added rows go above, added columns to the right
  k.w.assign(static_cast<std::size_t>(k.m * k.c * k.ky * k.kx), 0.0f);
  for (std::int64_t o = 0; o < k.m; ++o) {
    for (std::int64_t i = 0; i < k.c; ++i) {
      for (std::int64_t y = 0; y < conv.ky; ++y) {
        for (std::int64_t x = 0; x < conv.kx; ++x) {
          k.w[static_cast<std::size_t>(((o * k.c + i) * k.ky + y + pad_top) * k.kx + x)] =
              conv.weights[static_cast<std::size_t>(((o * k.c + i) * conv.ky + y) * conv.kx + x)];
        }
      }
    }
  }
  k.bias = conv.bias;
  fold_norm(conv, k);
  return k;
}

// Writes weights either as fp16 or as codebook indices; the tiles are the same.
class Stream {
 public:
  Stream(const Kernel& k, bool codebook8) : k_(k), codebook8_(codebook8) {}

  Status start() {
    if (!codebook8_) return {};
    std::array<std::uint16_t, kCodebookEntries> entries{};
    indices_.resize(k_.w.size());
    INGOT_TRY(quantize_codebook8(k_.w, entries, indices_).status());
    // The device reads index 0 (every unused tile position) as the value 0: move the exact
    // zero entry there.
    std::size_t zero = 0;
    while (zero < entries.size() && entries[zero] != 0 && entries[zero] != 0x8000) ++zero;
    std::array<std::uint8_t, kCodebookEntries> remap{};
    for (std::size_t e = 0; e < entries.size(); ++e) {
      remap[e] = static_cast<std::uint8_t>(e == zero ? 0 : (e < zero ? e + 1 : e));
    }
    std::array<std::uint16_t, kCodebookEntries> table{};
    for (std::size_t e = 0; e < entries.size(); ++e) table[remap[e]] = entries[e];
    table[0] = 0;
    for (auto& i : indices_) i = remap[i];
    for (std::uint16_t e : table) half(e);
    return {};
  }

  void half(std::uint16_t h) {
    bytes_.push_back(static_cast<std::uint8_t>(h & 0xff));
    bytes_.push_back(static_cast<std::uint8_t>(h >> 8));
  }

  // 8 values of a per-channel vector for output channels [m0, m0 + 8), zero padded (or all
  // zero when `zero`).
  void channel_block(const std::vector<float>& v, std::int64_t m0, bool zero = false) {
    for (std::int64_t o = m0; o < m0 + 8; ++o) {
      half(!zero && o < k_.m ? float_to_half(v[static_cast<std::size_t>(o)]) : 0);
    }
  }

  using Tile = std::array<std::array<std::int64_t, kTileCols>, kTileRows>;  // element index, -1: empty
  static Tile empty_tile() {
    Tile t;
    for (auto& row : t) row.fill(-1);
    return t;
  }

  std::int64_t index(std::int64_t o, std::int64_t i, std::int64_t y, std::int64_t x) const {
    return ((o * k_.c + i) * k_.ky + y) * k_.kx + x;
  }

  void tile(const Tile& t) {
    for (const auto& row : t) {
      for (std::int64_t e : row) {
        if (codebook8_) {
          bytes_.push_back(e < 0 ? 0 : indices_[static_cast<std::size_t>(e)]);
        } else {
          half(e < 0 ? 0 : float_to_half(k_.w[static_cast<std::size_t>(e)]));
        }
      }
    }
  }

  void align() {
    while (bytes_.size() % 16 != 0) bytes_.push_back(0);
  }

  std::vector<std::uint8_t> take() { return std::move(bytes_); }
  std::size_t size() const { return bytes_.size(); }

 private:
  const Kernel& k_;
  bool codebook8_;
  std::vector<std::uint8_t> indices_;
  std::vector<std::uint8_t> bytes_;
};

// Position of input channel i of a 64-channel group of 1x1 kernels in the tile.
std::pair<int, int> one_by_one_slot(std::int64_t i) {
  const std::int64_t t = i % 8, group = i % 64 / 8;
  return {static_cast<int>(11 - t / 2 * 3 - group / 3), static_cast<int>(t % 2 * 3 + group % 3)};
}

void pack_plain(const Kernel& k, const Node& conv, Stream& s) {
  const std::int64_t p = k.kx;
  for (std::int64_t m0 = 0; m0 < k.m; m0 += 8) {
    const std::int64_t m1 = std::min(m0 + 8, k.m);
    s.channel_block(k.bias, m0);
    if (!conv.prelu.empty()) s.channel_block(conv.prelu, m0);
    const std::int64_t group = p == 1 ? 64 : 8;
    for (std::int64_t c0 = 0; c0 < k.c; c0 += group) {
      const std::int64_t c1 = std::min(c0 + group, k.c);
      for (std::int64_t o = m0; o < m1; ++o) {
        if (p == 7) {
          for (std::int64_t i = c0; i < c1; ++i) {
            auto t = Stream::empty_tile();
            for (int y = 0; y < 7; ++y) {
              for (int x = 0; x < 6; ++x) t[5 + y][x] = s.index(o, i, y, x);
            }
            t[2][5] = s.index(o, i, 0, 6);
            for (int y = 0; y < 3; ++y) {
              t[y][3] = s.index(o, i, y + 1, 6);
              t[y][0] = s.index(o, i, y + 4, 6);
            }
            s.tile(t);
          }
        } else if (p == 5) {
          for (std::int64_t i = c0; i < c1; i += 2) {
            auto t = Stream::empty_tile();
            for (std::int64_t j = i; j < std::min(i + 2, c1); ++j) {
              const int row0 = j == i ? 7 : 1;
              for (int y = 0; y < 5; ++y) {
                for (int x = 0; x < 5; ++x) t[row0 + y][x] = s.index(o, j, y, x);
              }
            }
            s.tile(t);
          }
        } else if (p == 3) {
          auto t = Stream::empty_tile();
          for (std::int64_t i = c0; i < c1; ++i) {
            const std::int64_t slot = i % 8;
            for (int y = 0; y < 3; ++y) {
              for (int x = 0; x < 3; ++x) t[9 - slot / 2 * 3 + y][slot % 2 * 3 + x] = s.index(o, i, y, x);
            }
          }
          s.tile(t);
        } else {  // 1x1
          auto t = Stream::empty_tile();
          for (std::int64_t i = c0; i < c1; ++i) {
            const auto [r, col] = one_by_one_slot(i);
            t[r][col] = s.index(o, i, 0, 0);
          }
          s.tile(t);
        }
      }
    }
  }
  s.align();
}

// A dilated convolution: one 1x1 stream per kernel tap; only the last carries the bias.
void pack_dilated(const Kernel& k, const Node& conv, Stream& s) {
  for (std::int64_t y = 0; y < k.ky; ++y) {
    for (std::int64_t x = 0; x < k.kx; ++x) {
      const bool last = y == k.ky - 1 && x == k.kx - 1;
      for (std::int64_t m0 = 0; m0 < k.m; m0 += 8) {
        const std::int64_t m1 = std::min(m0 + 8, k.m);
        s.channel_block(k.bias, m0, !last);
        if (!conv.prelu.empty()) s.channel_block(conv.prelu, m0, !last);
        for (std::int64_t c0 = 0; c0 < k.c; c0 += 64) {
          const std::int64_t c1 = std::min(c0 + 64, k.c);
          for (std::int64_t o = m0; o < m1; ++o) {
            auto t = Stream::empty_tile();
            for (std::int64_t i = c0; i < c1; ++i) {
              const auto [r, col] = one_by_one_slot(i);
              t[r][col] = s.index(o, i, y, x);
            }
            s.tile(t);
          }
        }
      }
      s.align();
    }
  }
  s.align();
}

}  // namespace

Result<std::vector<std::uint8_t>> pack_run_weights(const Node& conv, bool codebook8) {
  const Kernel k = device_kernel(conv);
  Stream s(k, codebook8);
  INGOT_TRY_CTX(s.start(), "codebook of layer " + quote(conv.name));
  if (conv.dilation_x != 1 || conv.dilation_y != 1) {
    pack_dilated(k, conv, s);
  } else {
    if (k.kx > 7) return unsupported("layer " + quote(conv.name) + ": kernels larger than 7x7 do not fit the DV700's tiles");
    pack_plain(k, conv, s);
  }
  const auto expected = static_cast<std::size_t>(conv_weight_size(conv, codebook8));
  if (s.size() != expected) {
    return internal_error("layer " + quote(conv.name) + ": packed " + std::to_string(s.size()) + " weight bytes, expected " +
                          std::to_string(expected));
  }
  return s.take();
}

Result<std::vector<std::uint8_t>> pack_weights(const Network& net, bool codebook8) {
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(net.weight_size));
  for (const Layer& layer : net.layers) {
    for (const Run& run : layer.runs) {
      if (run.conv < 0) continue;
      INGOT_ASSIGN_OR_RETURN(const auto bytes, pack_run_weights(net.nodes[static_cast<std::size_t>(run.conv)], codebook8));
      out.insert(out.end(), bytes.begin(), bytes.end());
    }
  }
  return out;
}

}  // namespace ingot::dv700
