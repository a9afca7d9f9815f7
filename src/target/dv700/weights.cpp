#include "target/dv700/weights.h"

#include <array>
#include <atomic>
#include <cmath>
#include <optional>
#include <thread>

#include "core/codebook.h"
#include "core/fp16.h"

namespace ingot::dv700 {
namespace {

constexpr int kTileRows = 12, kTileCols = 6;

// A convolution's weights as the device stores them: batch norm folded in, the kernel padded
// to an odd square (non-dilated only), indexed [m][c][y][x]. The model's own weights are used
// in place when neither changes them.
struct Kernel {
  std::int64_t m = 0, c = 0, ky = 0, kx = 0;
  std::span<const float> w;
  std::vector<float> bias;
};

// Buffers a packing thread reuses from run to run: fresh multi-megabyte allocations for every
// run cost more in page faults than the packing itself.
struct Scratch {
  std::vector<float> weights;
  std::vector<std::uint16_t> halves;
};

// The vendor's arithmetic, which byte equality needs: the factor g / sqrt(var + eps) in
// double; the weights multiplied in float32 by the factor rounded to float32; the bias in
// double, rounded to float32 (and later to fp16). eps is the model's own (Keras: 0.001).
void fold_norm(const Node& conv, Kernel& k, std::span<float> w) {
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
    for (std::size_t j = 0; j < per; ++j) w[o * per + j] *= norm32;
    k.bias[o] = static_cast<float>((static_cast<double>(k.bias[o]) - mean) * norm + beta);
  }
}

Kernel device_kernel(const Node& conv, Scratch& scratch) {
  Kernel k;
  k.m = conv.out_dim.back();
  k.c = conv.in_dim[2] / conv.groups;
  const bool dilated = conv.dilation_x != 1 || conv.dilation_y != 1;
  const std::int64_t p = dilated ? 0 : (std::max(conv.kx, conv.ky) | 1);
  k.kx = dilated ? conv.kx : p;
  k.ky = dilated ? conv.ky : p;
  k.bias = conv.bias;
  const auto src = conv.weights.data<float>();
  if (k.kx == conv.kx && k.ky == conv.ky && !conv.norm) {
    k.w = src;
    return k;
  }
  const std::int64_t pad_top = k.ky - conv.ky;  // added rows go above, added columns to the right
  auto& owned = scratch.weights;
  if (k.kx == conv.kx && k.ky == conv.ky) {
    owned.assign(src.begin(), src.end());
  } else {
    owned.assign(static_cast<std::size_t>(k.m * k.c * k.ky * k.kx), 0.0f);
    for (std::int64_t o = 0; o < k.m; ++o) {
      for (std::int64_t i = 0; i < k.c; ++i) {
        for (std::int64_t y = 0; y < conv.ky; ++y) {
          for (std::int64_t x = 0; x < conv.kx; ++x) {
            owned[static_cast<std::size_t>(((o * k.c + i) * k.ky + y + pad_top) * k.kx + x)] =
                src[static_cast<std::size_t>(((o * k.c + i) * conv.ky + y) * conv.kx + x)];
          }
        }
      }
    }
  }
  fold_norm(conv, k, owned);
  k.w = owned;
  return k;
}

// Writes weights either as fp16 or as codebook indices; the tiles are the same. The output
// size is known up front, so bytes go straight into place.
class Stream {
 public:
  // `out` must be zeroed.
  Stream(const Kernel& k, bool codebook8, std::span<std::uint8_t> out,
         std::vector<std::uint16_t>& halves)
      : k_(k), codebook8_(codebook8), halves_(halves), bytes_(out) {}

  Status start() {
    if (!codebook8_) {
      halves_.resize(k_.w.size());
      floats_to_halves(k_.w, halves_);
      return {};
    }
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
    if (pos_ + 2 > bytes_.size()) {
      overflow_ = true;
      return;
    }
    bytes_[pos_++] = static_cast<std::uint8_t>(h & 0xff);
    bytes_[pos_++] = static_cast<std::uint8_t>(h >> 8);
  }

  // 8 values of a per-channel vector for output channels [m0, m0 + 8), zero padded (or all
  // zero when `zero`).
  void channel_block(const std::vector<float>& v, std::int64_t m0, bool zero = false) {
    for (std::int64_t o = m0; o < m0 + 8; ++o) {
      half(!zero && o < k_.m ? float_to_half(v[static_cast<std::size_t>(o)]) : 0);
    }
  }

  // One 12x6 tile of the stream, written in place: positions never set stay 0 (the output
  // starts zeroed), which reads as weight 0 in both formats (codebook entry 0 is 0).
  class Tile {
   public:
    Tile(const Stream& s, std::uint8_t* dst) : s_(s), dst_(dst) {}
    void set(int row, int col, std::int64_t element) { set(row * kTileCols + col, element); }
    void set(int slot_index, std::int64_t element) {
      const auto slot = static_cast<std::size_t>(slot_index);
      const auto e = static_cast<std::size_t>(element);
      if (s_.codebook8_) {
        dst_[slot] = s_.indices_[e];
      } else {
        const std::uint16_t h = s_.halves_[e];
        dst_[2 * slot] = static_cast<std::uint8_t>(h & 0xff);
        dst_[2 * slot + 1] = static_cast<std::uint8_t>(h >> 8);
      }
    }

   private:
    const Stream& s_;
    std::uint8_t* dst_;
  };

  Tile new_tile() {
    const std::size_t need = codebook8_ ? kTileRows * kTileCols : 2 * kTileRows * kTileCols;
    if (pos_ + need > bytes_.size()) {  // a layout bug: written to scratch, reported by complete()
      overflow_ = true;
      scratch_.assign(need, 0);
      return Tile(*this, scratch_.data());
    }
    std::uint8_t* dst = bytes_.data() + pos_;
    pos_ += need;
    return Tile(*this, dst);
  }

  std::int64_t index(std::int64_t o, std::int64_t i, std::int64_t y, std::int64_t x) const {
    return ((o * k_.c + i) * k_.ky + y) * k_.kx + x;
  }

  void align() { pos_ = (pos_ + 15) / 16 * 16; }

  // Whether the layout wrote exactly the expected size.
  bool complete() const { return !overflow_ && pos_ == bytes_.size(); }
  std::size_t size() const { return pos_; }

 private:
  const Kernel& k_;
  bool codebook8_;
  std::vector<std::uint16_t>& halves_;
  std::vector<std::uint8_t> indices_;
  std::span<std::uint8_t> bytes_;
  std::vector<std::uint8_t> scratch_;
  std::size_t pos_ = 0;
  bool overflow_ = false;
};

// Position of input channel i of a 64-channel group of 1x1 kernels in the tile.
std::pair<int, int> one_by_one_slot(std::int64_t i) {
  const std::int64_t t = i % 8, group = i % 64 / 8;
  return {static_cast<int>(11 - t / 2 * 3 - group / 3), static_cast<int>(t % 2 * 3 + group % 3)};
}

void pack_plain(const Kernel& k, const Node& conv, Stream& s) {
  const std::int64_t p = k.kx;
  std::array<int, 64>
      slots{};  // tile slot (row * 6 + column) of input channel i % 64 of a 1x1 tile
  for (int i = 0; i < 64; ++i) {
    const auto [r, col] = one_by_one_slot(i);
    slots[static_cast<std::size_t>(i)] = r * kTileCols + col;
  }
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
            auto t = s.new_tile();
            for (int y = 0; y < 7; ++y) {
              for (int x = 0; x < 6; ++x) t.set(5 + y, x, s.index(o, i, y, x));
            }
            t.set(2, 5, s.index(o, i, 0, 6));
            for (int y = 0; y < 3; ++y) {
              t.set(y, 3, s.index(o, i, y + 1, 6));
              t.set(y, 0, s.index(o, i, y + 4, 6));
            }
          }
        } else if (p == 5) {
          for (std::int64_t i = c0; i < c1; i += 2) {
            auto t = s.new_tile();
            for (std::int64_t j = i; j < std::min(i + 2, c1); ++j) {
              const int row0 = j == i ? 7 : 1;
              for (int y = 0; y < 5; ++y) {
                for (int x = 0; x < 5; ++x) t.set(row0 + y, x, s.index(o, j, y, x));
              }
            }
          }
        } else if (p == 3) {
          auto t = s.new_tile();
          for (std::int64_t i = c0; i < c1; ++i) {
            const std::int64_t slot = i % 8;
            for (int y = 0; y < 3; ++y) {
              for (int x = 0; x < 3; ++x)
                t.set(9 - slot / 2 * 3 + y, slot % 2 * 3 + x, s.index(o, i, y, x));
            }
          }
        } else {  // 1x1: the bulk of most networks' weights, so slots come from a table
          auto t = s.new_tile();
          const std::int64_t base = s.index(o, 0, 0, 0);
          for (std::int64_t i = c0; i < c1; ++i)
            t.set(slots[static_cast<std::size_t>(i % 64)], base + i);
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
            auto t = s.new_tile();
            for (std::int64_t i = c0; i < c1; ++i) {
              const auto [r, col] = one_by_one_slot(i);
              t.set(r, col, s.index(o, i, y, x));
            }
          }
        }
      }
      s.align();
    }
  }
  s.align();
}

}  // namespace

namespace {

Status pack_run(const Node& conv, bool codebook8, std::span<std::uint8_t> out, Scratch& scratch) {
  const auto expected = static_cast<std::size_t>(conv_weight_size(conv, codebook8));
  if (out.size() != expected)
    return internal_error("layer " + quote(conv.name) + ": weight buffer of the wrong size");
  const Kernel k = device_kernel(conv, scratch);
  Stream s(k, codebook8, out, scratch.halves);
  INGOT_TRY_CTX(s.start(), "codebook of layer " + quote(conv.name));
  if (conv.dilation_x != 1 || conv.dilation_y != 1) {
    pack_dilated(k, conv, s);
  } else {
    if (k.kx > 7)
      return unsupported("layer " + quote(conv.name) +
                         ": kernels larger than 7x7 do not fit the DV700's tiles");
    pack_plain(k, conv, s);
  }
  if (!s.complete()) {
    return internal_error("layer " + quote(conv.name) + ": packed " + std::to_string(s.size()) +
                          " weight bytes, expected " + std::to_string(expected));
  }
  return {};
}

}  // namespace

Status pack_run_weights(const Node& conv, bool codebook8, std::span<std::uint8_t> out) {
  Scratch scratch;
  return pack_run(conv, codebook8, out, scratch);
}

Result<std::vector<std::uint8_t>> pack_run_weights(const Node& conv, bool codebook8) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(conv_weight_size(conv, codebook8)));
  INGOT_TRY(pack_run_weights(conv, codebook8, out));
  return out;
}

Status pack_weights(const Network& net, bool codebook8, int threads, const WeightSink& sink) {
  std::vector<const Node*> convs;
  std::vector<std::size_t> offsets;
  std::size_t total = 0;
  for (const Layer& layer : net.layers) {
    for (const Run& run : layer.runs) {
      if (run.conv < 0) continue;
      convs.push_back(&net.nodes[static_cast<std::size_t>(run.conv)]);
      offsets.push_back(total);
      total += static_cast<std::size_t>(conv_weight_size(*convs.back(), codebook8));
    }
  }
  if (total != static_cast<std::size_t>(net.weight_size)) {
    return internal_error("the runs' weights take " + std::to_string(total) +
                          " bytes, the layers address " + std::to_string(net.weight_size));
  }
  std::vector<Status> status(convs.size());
  // Runs pack independently (the codebook fit of each is the slow part): share them out.
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    Scratch scratch;
    std::vector<std::uint8_t> bytes;
    for (std::size_t r; (r = next.fetch_add(1)) < convs.size();) {
      const std::size_t end = r + 1 < offsets.size() ? offsets[r + 1] : total;
      bytes.assign(end - offsets[r], 0);
      status[r] = pack_run(*convs[r], codebook8, bytes, scratch);
      if (status[r].ok()) status[r] = sink(offsets[r], bytes);
    }
  };
  const unsigned n = threads > 0 ? static_cast<unsigned>(threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<std::size_t>(n, convs.size()); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const Status& st : status) INGOT_TRY(st);
  return {};
}

Result<std::vector<std::uint8_t>> pack_weights(const Network& net, bool codebook8, int threads) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(net.weight_size));
  INGOT_TRY(pack_weights(
      net, codebook8, threads, [&](std::size_t offset, std::span<const std::uint8_t> bytes) {
        std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
        return Status{};
      }));
  return out;
}

}  // namespace ingot::dv700
