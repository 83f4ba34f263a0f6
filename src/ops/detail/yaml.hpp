// The ops library's YAML, on libyaml: a node tree loaded from libyaml's
// parser events (charm metadata, Pebble layers and plans) and the emitter
// that writes Pebble layers and plans. One module for both, so that ops
// itself links no C++ YAML library: yaml-cpp's static initialisers and
// relocations cost every dispatch that links it about 20,000 instructions,
// whether it read YAML or not. (A charm library may still bring yaml-cpp:
// redis-k8s's juju_topology does.)
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
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

// The loader's limits, which make a hostile document an error rather than a
// crash or a memory blow-up. Nesting: lists and mappings 1000 deep, libyaml's
// own default since it gained a limit (yaml_set_max_nest_level, after 0.2.5;
// yaml-cpp 0.7's DepthGuard stops at 2000, Go's yaml.v3 at 10000, PyYAML only
// at Python's recursion limit). Counted with aliases expanded, so that no walk
// of the tree recurses deeper. Charm metadata and Pebble layers nest a few
// levels.
inline constexpr int kYamlMaxDepth = 1000;
// Aliases: the nodes they stand for, counted as a walk of the tree (a
// conversion to JSON) meets them, at most 100,000 per document. A "billion
// laughs" document (a: &a [x, x, ...], b: &b [*a, *a, ...], ...) is a few
// hundred bytes that expand to millions of nodes; Go's yaml.v3 refuses one
// too ("document contains excessive aliasing"). A document without aliases
// is never refused for its size.
inline constexpr std::size_t kYamlMaxAliasNodes = 100'000;

// The first document of `text` (a null node when there is none), as
// yaml-cpp's YAML::Load read it; throws YamlSyntaxError, also for a document
// over the limits above.
YamlNode load_yaml(std::string_view text);

// Whether a plain scalar's text is YAML's null: ~, null, Null, NULL or
// nothing (the words of YAML 1.1 and 1.2's core schema alike).
bool is_yaml_null_word(std::string_view text);

// A plain (unquoted) scalar's typed value, when a YAML reader would read it
// as something other than a string: nullopt for a string. The types are the
// union of YAML 1.1 (PyYAML's resolver, which Python ops reads charm
// metadata with) and YAML 1.2's core schema (Go's yaml.v3, which Pebble
// reads layers with), where they agree on the value:
//   null: ~ null Null NULL and the empty text;
//   bool: true/false, yes/no, on/off, each lower, Capitalised or UPPER
//     (yaml.v3 reads the 1.1 words as bools into a bool field);
//   int: 42, +42, -42, 1_000, 0x1F, 0o17, 017 (octal, 1.1), 0b101,
//     1:30 (base 60, 1.1); JSON's integer (a float when over 64 bits);
//   float: 1.5, .5, 1., 1.5e+3, 1e5 (1.2), 1_000.5, 1:30.5 (1.1),
//     .inf -.inf +.inf .nan in the three spellings;
//   timestamp: 2024-01-31, 2024-01-31 12:00:00Z (1.1; PyYAML reads a date):
//     its text, a JSON string, since JSON has no dates.
std::optional<nlohmann::json> yaml_plain_value(std::string_view text);

// A mapping key as text, as yaml-cpp's as<std::string>() read it: a scalar's
// text (quoted or not), "null" for a null key; a list or mapping as a key is
// refused with a YamlSyntaxError at the key.
std::string yaml_key_text(const YamlNode& key);

// `value` as a block-style YAML document, byte for byte what yaml-cpp 0.7's
// YAML::Emitter wrote for it with its default settings (what Pebble layers
// and plans were written with before, and what go-yaml reads back): maps as
// "key: value" lines, sequences as "- item" lines indented two spaces under
// their key, "{}" and "[]" for empty collections, ~ for null, and each
// string plain unless YAML would read it differently (then double-quoted,
// with escapes). A string value that a YAML 1.1 or 1.2 reader would read as
// something else (what yaml_plain_value types: "1.5", "True", "yes", "",
// "~", ".inf", "0o17", "2024-01-31") is double-quoted too, so that it reads
// back as the string. Keys follow the plain-scalar rules alone, as yaml-cpp
// wrote them (Go reads a key "1" into a string map as "1"). An empty value
// (null, {} or []) is "{}\n".
std::string dump_yaml(const nlohmann::json& value);

}  // namespace ops::detail
