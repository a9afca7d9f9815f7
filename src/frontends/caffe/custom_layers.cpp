#include "frontends/caffe/custom_layers.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <map>

namespace ingot::caffe_import {
namespace {

namespace pbio = google::protobuf::io;
using Token = pbio::Tokenizer::TokenType;

class Collector : public pbio::ErrorCollector {
 public:
  void AddError(int line, pbio::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": " + message;
  }
  std::string first;
};

class Parser {
 public:
  Parser(pbio::Tokenizer& tok, const std::string& path) : tok_(tok), path_(path) {}

  // Fields until `close` ("" = end of input).
  Result<std::vector<TextField>> fields(const std::string& close) {
    std::vector<TextField> out;
    while (true) {
      const auto& t = tok_.current();
      if (t.type == Token::TYPE_END) {
        if (close.empty()) return out;
        return error("missing '" + close + "'");
      }
      if (t.type == Token::TYPE_SYMBOL && t.text == close) return out;
      if (t.type == Token::TYPE_SYMBOL && (t.text == ";" || t.text == ",")) {
        tok_.Next();
        continue;
      }
      if (t.type != Token::TYPE_IDENTIFIER) return error("a field name, got '" + t.text + "'");
      const std::string key = t.text;
      const int line = t.line + 1;
      tok_.Next();
      bool colon = false;
      if (symbol(":")) {
        colon = true;
        tok_.Next();
      }
      if (symbol("{") || symbol("<")) {
        const std::string end = symbol("{") ? "}" : ">";
        tok_.Next();
        TextField f{key, line, TextField::Kind::block, "", {}};
        INGOT_ASSIGN_OR_RETURN(f.children, fields(end));
        tok_.Next();  // the closing symbol
        out.push_back(std::move(f));
      } else if (colon && symbol("[")) {
        tok_.Next();
        while (!symbol("]")) {
          INGOT_ASSIGN_OR_RETURN(TextField v, scalar(key, line));
          out.push_back(std::move(v));
          if (symbol(",")) tok_.Next();
          if (tok_.current().type == Token::TYPE_END) return error("missing ']'");
        }
        tok_.Next();
      } else {
        INGOT_ASSIGN_OR_RETURN(TextField v, scalar(key, line));
        out.push_back(std::move(v));
      }
    }
  }

 private:
  bool symbol(const char* s) const { return tok_.current().type == Token::TYPE_SYMBOL && tok_.current().text == s; }

  Status error(const std::string& what) const {
    return bad_input("parse Caffe prototxt " + quote(path_) + ": line " + std::to_string(tok_.current().line + 1) +
                     ", column " + std::to_string(tok_.current().column + 1) + ": expected " + what);
  }

  Result<TextField> scalar(const std::string& key, int line) {
    TextField f{key, line, TextField::Kind::identifier, "", {}};
    std::string sign;
    if (symbol("-")) {
      sign = "-";
      tok_.Next();
    }
    const auto& t = tok_.current();
    switch (t.type) {
      case Token::TYPE_INTEGER: f.kind = TextField::Kind::integer; f.text = sign + t.text; break;
      case Token::TYPE_FLOAT: f.kind = TextField::Kind::number; f.text = sign + t.text; break;
      case Token::TYPE_IDENTIFIER:
        if (!sign.empty() && t.text != "inf" && t.text != "nan") return error("a number after '-'");
        f.kind = sign.empty() ? TextField::Kind::identifier : TextField::Kind::number;
        f.text = sign + t.text;
        break;
      case Token::TYPE_STRING:
        f.kind = TextField::Kind::string;
        while (tok_.current().type == Token::TYPE_STRING) {  // adjacent strings concatenate
          pbio::Tokenizer::ParseStringAppend(tok_.current().text, &f.text);
          tok_.Next();
        }
        return f;
      default:
        return error("a value for " + quote(key) + ", got '" + t.text + "'");
    }
    tok_.Next();
    return f;
  }

  pbio::Tokenizer& tok_;
  const std::string& path_;
};

Result<AttrValue> scalar_attr(const TextField& f, const std::string& where) {
  switch (f.kind) {
    case TextField::Kind::integer: {
      std::uint64_t v = 0;
      const bool negative = !f.text.empty() && f.text[0] == '-';
      if (!pbio::Tokenizer::ParseInteger(negative ? f.text.substr(1) : f.text, std::uint64_t{1} << 62, &v)) {
        return bad_input(where + ": integer " + f.text + " is out of range");
      }
      return AttrValue(negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v));
    }
    case TextField::Kind::number: return AttrValue(std::stod(f.text));
    case TextField::Kind::string: return AttrValue(f.text);
    case TextField::Kind::identifier:
      if (f.text == "true" || f.text == "True") return AttrValue(true);
      if (f.text == "false" || f.text == "False") return AttrValue(false);
      return AttrValue(f.text);
    case TextField::Kind::block: break;
  }
  return bad_input(where + ": a block has no scalar value");
}

void collect_leaves(const TextField& block, const std::string& prefix, std::vector<std::pair<std::string, const TextField*>>& out) {
  for (const TextField& c : block.children) {
    if (c.kind == TextField::Kind::block) {
      collect_leaves(c, prefix + c.key + ".", out);
    } else {
      out.emplace_back(prefix + c.key, &c);
    }
  }
}

// One attribute from a key's values: a scalar, or a list when the key repeats.
Result<AttrValue> attr_of(const std::vector<const TextField*>& values, const std::string& where) {
  if (values.size() == 1) return scalar_attr(*values[0], where);
  std::vector<AttrValue> items;
  for (const TextField* v : values) {
    INGOT_ASSIGN_OR_RETURN(AttrValue a, scalar_attr(*v, where));
    items.push_back(std::move(a));
  }
  auto all = [&](auto pred) { return std::all_of(items.begin(), items.end(), pred); };
  if (all([](const AttrValue& a) { return std::holds_alternative<std::int64_t>(a); })) {
    std::vector<std::int64_t> v;
    for (const auto& a : items) v.push_back(std::get<std::int64_t>(a));
    return AttrValue(v);
  }
  if (all([](const AttrValue& a) { return std::holds_alternative<std::int64_t>(a) || std::holds_alternative<double>(a); })) {
    std::vector<double> v;
    for (const auto& a : items) v.push_back(std::holds_alternative<double>(a) ? std::get<double>(a) : static_cast<double>(std::get<std::int64_t>(a)));
    return AttrValue(v);
  }
  if (all([](const AttrValue& a) { return std::holds_alternative<std::string>(a); })) {
    std::vector<std::string> v;
    for (const auto& a : items) v.push_back(std::get<std::string>(a));
    return AttrValue(v);
  }
  return bad_input(where + ": its values mix kinds (numbers, strings, booleans)");
}

}  // namespace

Result<std::vector<TextField>> parse_text_fields(const std::string& text, const std::string& path) {
  pbio::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  Collector collector;
  pbio::Tokenizer tok(&input, &collector);
  tok.set_comment_style(pbio::Tokenizer::SH_COMMENT_STYLE);
  tok.Next();
  Parser parser(tok, path);
  auto fields = parser.fields("");
  if (!collector.first.empty()) return bad_input("parse Caffe prototxt " + quote(path) + ": " + collector.first);
  return fields;
}

Result<AttrMap> unknown_block_attrs(const TextField& layer, const std::string& layer_name) {
  std::vector<std::pair<std::string, const TextField*>> leaves;
  const auto* known = caffe::LayerParameter::descriptor();
  const auto* known_v1 = caffe::V1LayerParameter::descriptor();
  for (const TextField& c : layer.children) {
    if (c.kind != TextField::Kind::block || known->FindFieldByName(c.key) || known_v1->FindFieldByName(c.key)) continue;
    collect_leaves(c, "", leaves);
  }
  std::map<std::string, std::vector<const TextField*>> by_key;
  std::vector<std::string> order;
  for (const auto& [key, f] : leaves) {
    if (!by_key.count(key)) order.push_back(key);
    by_key[key].push_back(f);
  }
  AttrMap attrs;
  for (const auto& key : order) {
    const std::string where = "import layer " + quote(layer_name) + ", field " + quote(key) + " (line " +
                              std::to_string(by_key[key][0]->line) + ")";
    INGOT_ASSIGN_OR_RETURN(attrs[key], attr_of(by_key[key], where));
  }
  return attrs;
}

Result<std::vector<std::string>> import_registered_op(LayerContext& ctx, AttrMap attrs, bool opaque) {
  INGOT_TRY(ctx.expect_tops(1));
  if (opaque) {
    for (std::size_t i = 0; i < ctx.blobs.size(); ++i) {
      INGOT_ASSIGN_OR_RETURN(attrs["blob" + std::to_string(i)], ctx.constant("blob" + std::to_string(i), ctx.blobs[i]));
    }
  } else {
    const OpDef* def = ctx.graph.registry().find(ctx.layer.type());
    std::vector<const ParamSpec*> tensors;
    for (const ParamSpec& p : def->schema.params) {
      if (p.type == AttrType::tensor) tensors.push_back(&p);
    }
    if (ctx.blobs.size() > tensors.size()) {
      return ctx.error("op " + quote(def->schema.name) + " takes " + std::to_string(tensors.size()) +
                       " tensor parameters, got " + std::to_string(ctx.blobs.size()) + " blobs from the caffemodel");
    }
    for (std::size_t i = 0; i < ctx.blobs.size(); ++i) {
      INGOT_ASSIGN_OR_RETURN(attrs[tensors[i]->name], ctx.constant(tensors[i]->name, ctx.blobs[i]));
    }
  }
  if (opaque) {  // a registered op's values are in the report already, with their origin
    for (const auto& [key, value] : attrs) {
      if (std::holds_alternative<TensorRef>(value)) continue;
      ctx.report.params.push_back({key, value, import::Origin::model_file});
    }
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), ctx.layer.type(), ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

}  // namespace ingot::caffe_import
