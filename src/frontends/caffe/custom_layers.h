// Layer types caffe.proto does not know: a user's op (registered in code or by --plugin) of the
// same name, or an opaque op with --keep-unknown. Their parameters sit in blocks our schema
// does not have (`my_param { scale: 2 }`), which the protobuf parser skips; they are read here
// from the prototxt text itself, so they reach the op as typed attributes.
#pragma once

#include <string>
#include <vector>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {

// One field of protobuf text format, kept generic: a scalar (its token kind and text, strings
// unescaped) or a block of fields.
struct TextField {
  enum class Kind { integer, number, string, identifier, block };
  std::string key;
  int line = 0;  // 1-based
  Kind kind = Kind::block;
  std::string text;
  std::vector<TextField> children;
};

// The top-level fields of a protobuf text file, in order. `path` is for messages.
Result<std::vector<TextField>> parse_text_fields(const std::string& text, const std::string& path);

// The fields of `layer`'s blocks that LayerParameter does not declare, as attributes: the block
// name is dropped ("my_param { scale: 2 }" gives scale = 2), nested blocks join keys with '.',
// repeated keys become lists, true/false become bools and other identifiers strings.
Result<AttrMap> unknown_block_attrs(const TextField& layer, const std::string& layer_name);

// Imports a layer through the registered op of its type: the unknown-block attributes, then
// blob i into the op's i-th tensor parameter (opaque ops: "blob0", "blob1", ...).
Result<std::vector<std::string>> import_registered_op(LayerContext& ctx, AttrMap attrs, bool opaque);

}  // namespace ingot::caffe_import
