// The ops library's YAML, on libyaml: a node tree loaded from libyaml's
// parser events (charm metadata, Pebble layers and plans) and the emitter
// that writes Pebble layers and plans. One module for both, so that the
// dispatch executable links no C++ YAML library: yaml-cpp's static
// initialisers and relocations cost every dispatch about 20,000
// instructions, whether it read YAML or not.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ops::detail {

// A YAML node, as yaml-cpp's YAML::Load reported it (the behaviour the
// library's parsers were written against): the kind (a plain ~, null, Null,
// NULL or empty scalar without a tag is null), the scalar's text and tag
// ("?" plain, "!" quoted or block, else the explicit tag), whether a
// collection was written in flow style ([a, b], {a: b}), the 0-based line
// and column where the node starts, and map entries in document order (a key
// given twice keeps both entries; lookup finds the first).
class YamlNode {
 public:
  enum class Type { kUndefined, kNull, kScalar, kSequence, kMap };
  using Entry = std::pair<YamlNode, YamlNode>;
  // Where a node starts in the text, 0-based, as libyaml counts.
  struct Mark {
    int line = 0;
    int column = 0;
  };

  YamlNode() = default;  // undefined: a key the mapping does not have

  static YamlNode null(Mark mark);
  static YamlNode scalar(std::string text, std::string tag, Mark mark);
  static YamlNode sequence(std::vector<YamlNode> items, bool flow, Mark mark);
  static YamlNode map(std::vector<Entry> entries, bool flow, Mark mark);

  Type type() const { return data_ ? data_->type : Type::kUndefined; }
  bool is_defined() const { return data_ != nullptr; }
  bool is_null() const { return type() == Type::kNull; }
  bool is_scalar() const { return type() == Type::kScalar; }
  bool is_sequence() const { return type() == Type::kSequence; }
  bool is_map() const { return type() == Type::kMap; }
  // The text of a scalar, empty for anything else.
  const std::string& scalar() const { return data_ ? data_->text : empty_string(); }
  const std::string& tag() const { return data_ ? data_->tag : empty_string(); }
  // A quoted or block scalar (or a plain one tagged "!"): never null, bool or number.
  bool is_quoted() const { return tag() == "!"; }
  // A sequence or map written in flow style.
  bool is_flow() const { return data_ && data_->flow; }
  // The 0-based line and column where the node starts; -1 when undefined.
  int line() const { return data_ ? data_->mark.line : -1; }
  int column() const { return data_ ? data_->mark.column : -1; }
  // Items of a sequence, entries of a map (in document order); 0 otherwise.
  std::size_t size() const {
    if (!data_) return 0;
    return data_->type == Type::kMap ? data_->entries.size() : data_->items.size();
  }
  const std::vector<YamlNode>& items() const { return data_ ? data_->items : no_items(); }
  const std::vector<Entry>& entries() const { return data_ ? data_->entries : no_entries(); }
  YamlNode operator[](std::size_t i) const { return i < items().size() ? items()[i] : YamlNode(); }
  // The value of the first entry whose key is the scalar `key`; undefined if none.
  YamlNode operator[](const std::string& key) const;

 private:
  struct Data {
    Type type;
    std::string text;
    std::string tag;
    Mark mark;
    bool flow;
    std::vector<YamlNode> items;
    std::vector<Entry> entries;
  };
  explicit YamlNode(Data data) : data_(std::make_shared<const Data>(std::move(data))) {}
  static const std::string& empty_string();
  static const std::vector<YamlNode>& no_items();
  static const std::vector<Entry>& no_entries();

  // Shared: an alias is the node its anchor names.
  std::shared_ptr<const Data> data_;
};

// A YAML syntax error: libyaml's problem (with its context: "while parsing a
// block mapping: did not find expected key") and the 0-based line and column
// it points at.
class YamlSyntaxError : public std::runtime_error {
 public:
  YamlSyntaxError(const std::string& problem, int line, int column)
      : std::runtime_error(problem), line_(line), column_(column) {}
  int line() const noexcept { return line_; }
  int column() const noexcept { return column_; }

 private:
  int line_;
  int column_;
};

// The first document of `text` (a null node when there is none), as
// yaml-cpp's YAML::Load read it; throws YamlSyntaxError.
YamlNode load_yaml(std::string_view text);

// `value` as a block-style YAML document, byte for byte what yaml-cpp 0.7's
// YAML::Emitter wrote for it with its default settings (what Pebble layers
// and plans were written with before, and what go-yaml reads back): maps as
// "key: value" lines, sequences as "- item" lines indented two spaces under
// their key, "{}" and "[]" for empty collections, ~ for null, and each
// string plain unless YAML would read it differently (then double-quoted,
// with escapes). A string value that YAML would read as a number, bool or
// null ("1.5", "true", "yes", "", "~") is double-quoted too, so that it
// reads back as the string. An empty value (null, {} or []) is "{}\n".
std::string dump_yaml(const nlohmann::json& value);

}  // namespace ops::detail
