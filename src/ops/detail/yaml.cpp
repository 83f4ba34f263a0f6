// The YAML node loader (libyaml's parser events) and the block-style emitter.
// libyaml stays in this file.
#include "ops/detail/yaml.hpp"

#include <yaml.h>

#include <cstdlib>
#include <unordered_map>

namespace ops::detail {

YamlNode YamlNode::null(Mark mark) {
  return YamlNode(Data{Type::kNull, {}, {}, mark, false, {}, {}});
}
YamlNode YamlNode::scalar(std::string text, std::string tag, Mark mark) {
  return YamlNode(Data{Type::kScalar, std::move(text), std::move(tag), mark, false, {}, {}});
}
YamlNode YamlNode::sequence(std::vector<YamlNode> items, bool flow, Mark mark) {
  return YamlNode(Data{Type::kSequence, {}, {}, mark, flow, std::move(items), {}});
}
YamlNode YamlNode::map(std::vector<Entry> entries, bool flow, Mark mark) {
  return YamlNode(Data{Type::kMap, {}, {}, mark, flow, {}, std::move(entries)});
}

YamlNode YamlNode::operator[](const std::string& key) const {
  for (const Entry& entry : entries()) {
    if (entry.first.is_scalar() && entry.first.scalar() == key) return entry.second;
  }
  return YamlNode();
}

const std::string& YamlNode::empty_string() {
  static const std::string empty;
  return empty;
}
const std::vector<YamlNode>& YamlNode::no_items() {
  static const std::vector<YamlNode> none;
  return none;
}
const std::vector<YamlNode::Entry>& YamlNode::no_entries() {
  static const std::vector<Entry> none;
  return none;
}

// ---- loading ----

namespace {

YamlNode::Mark mark_of(const yaml_mark_t& mark) {
  return {static_cast<int>(mark.line), static_cast<int>(mark.column)};
}

std::string text_of(const yaml_char_t* text) {
  return text ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace

YamlNode load_yaml(std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) throw YamlSyntaxError("cannot start the YAML parser", 0, 0);
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  // libyaml asserts a non-null input, which an empty string_view may not have.
  static const unsigned char kEmpty[] = "";
  yaml_parser_set_input_string(
      &parser, text.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(text.data()),
      text.size());
  std::unordered_map<std::string, YamlNode> anchors;
  auto next = [&parser](yaml_event_t& event) {
    if (!yaml_parser_parse(&parser, &event)) {
      std::string problem = parser.problem ? parser.problem : "unknown error";
      if (parser.context) problem = std::string(parser.context) + ": " + problem;
      throw YamlSyntaxError(problem, static_cast<int>(parser.problem_mark.line),
                            static_cast<int>(parser.problem_mark.column));
    }
  };
  struct EventGuard {
    yaml_event_t event{};
    ~EventGuard() { yaml_event_delete(&event); }
  };
  auto remember = [&anchors](const std::string& anchor, const YamlNode& node) {
    if (!anchor.empty()) anchors[anchor] = node;
  };
  // One node from its first event; collections recurse (YAML nesting in
  // charm metadata and Pebble layers is shallow).
  auto parse_node = [&](auto& self, yaml_event_t& event) -> YamlNode {
    const YamlNode::Mark mark = mark_of(event.start_mark);
    switch (event.type) {
      case YAML_ALIAS_EVENT: {
        auto found = anchors.find(text_of(event.data.alias.anchor));
        if (found == anchors.end()) throw YamlSyntaxError("unknown anchor", mark.line, mark.column);
        return found->second;
      }
      case YAML_SCALAR_EVENT: {
        const auto& s = event.data.scalar;
        std::string value(reinterpret_cast<const char*>(s.value), s.length);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
        YamlNode node;
        if (s.tag) {
          node = YamlNode::scalar(std::move(value), text_of(s.tag), mark);
        } else if (plain && (value.empty() || value == "~" || value == "null" || value == "Null" ||
                             value == "NULL")) {
          node = YamlNode::null(mark);
        } else {
          node = YamlNode::scalar(std::move(value), plain ? "?" : "!", mark);
        }
        remember(text_of(s.anchor), node);
        return node;
      }
      case YAML_SEQUENCE_START_EVENT: {
        const std::string anchor = text_of(event.data.sequence_start.anchor);
        const bool flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        std::vector<YamlNode> items;
        for (;;) {
          EventGuard item;
          next(item.event);
          if (item.event.type == YAML_SEQUENCE_END_EVENT) break;
          items.push_back(self(self, item.event));
        }
        YamlNode node = YamlNode::sequence(std::move(items), flow, mark);
        remember(anchor, node);
        return node;
      }
      case YAML_MAPPING_START_EVENT: {
        const std::string anchor = text_of(event.data.mapping_start.anchor);
        const bool flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        std::vector<YamlNode::Entry> entries;
        for (;;) {
          EventGuard key;
          next(key.event);
          if (key.event.type == YAML_MAPPING_END_EVENT) break;
          YamlNode key_node = self(self, key.event);
          EventGuard value;
          next(value.event);
          entries.emplace_back(std::move(key_node), self(self, value.event));
        }
        YamlNode node = YamlNode::map(std::move(entries), flow, mark);
        remember(anchor, node);
        return node;
      }
      default:
        throw YamlSyntaxError("unexpected YAML event", mark.line, mark.column);
    }
  };
  for (;;) {
    EventGuard event;
    next(event.event);
    switch (event.event.type) {
      case YAML_STREAM_END_EVENT:
        return YamlNode::null({});  // an empty text: a null document
      case YAML_DOCUMENT_START_EVENT: {
        EventGuard root;
        next(root.event);
        return parse_node(parse_node, root.event);
      }
      default:
        break;  // the stream's start
    }
  }
}

// ---- emitting ----
//
// What follows reproduces yaml-cpp 0.7's YAML::Emitter (src/emitter.cpp,
// emitterstate.cpp, emitterutils.cpp) for the calls the ops library made of
// it: block maps and sequences of scalars, default settings, no comments,
// anchors or tags. Its choices are kept byte for byte, quirks included (an
// empty collection under a key goes on the next line, "key:\n  []"), so that
// the layers and plans ops writes did not change when yaml-cpp left.

namespace {

bool is_null_text(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// The length of yaml-cpp's BlankOrBreak at s[i] (a space, tab, \n or \r\n);
// 0 when there is none.
std::size_t blank_or_break(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') return 1;
  return s.compare(i, 2, "\r\n") == 0 ? 2 : 0;
}

// yaml-cpp's Exp::NotPrintable at s[i]: C0 controls but \t \n \r, DEL, and
// the UTF-8 encoded C1 controls but NEL (U+0085).
bool not_printable(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c <= 0x08 || c == 0x0B || c == 0x0C || (c >= 0x0E && c <= 0x1F) || c == 0x7F) return true;
  if (c != 0xC2 || i + 1 >= s.size()) return false;
  const auto next = static_cast<unsigned char>(s[i + 1]);
  return (next >= 0x80 && next <= 0x84) || (next >= 0x86 && next <= 0x9F);
}

// yaml-cpp's IsValidPlainScalar in block context: may `s` be written
// unquoted?
bool plain_allowed(std::string_view s) {
  if (is_null_text(s)) return false;
  // The start: no blank or break, no indicator, no "- ", "? " or ": ".
  const char first = s[0];
  if (blank_or_break(s, 0) != 0) return false;
  if (std::string_view(",[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) return false;
  if ((first == '-' || first == '?' || first == ':') &&
      (s.size() == 1 || blank_or_break(s, 1) != 0)) {
    return false;
  }
  if (s.back() == ' ') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':' && (i + 1 == s.size() || blank_or_break(s, i + 1) != 0)) return false;
    const std::size_t blank = blank_or_break(s, i);
    if (blank != 0 && i + blank < s.size() && s[i + blank] == '#') return false;
    if (not_printable(s, i) || s.compare(i, 3, "\xEF\xBB\xBF") == 0) return false;
    if (s[i] == '\n' || s[i] == '\t' || s.compare(i, 2, "\r\n") == 0) return false;
  }
  return true;
}

constexpr int kReplacementCharacter = 0xFFFD;

// yaml-cpp's GetNextCodePointAndAdvance: the code point at `at` (U+FFFD for
// a malformed sequence, which consumes its lead byte only), advancing `at`.
int next_code_point(std::string_view s, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(s[at]);
  int bytes = 0;
  switch (lead >> 4) {
    case 12:
    case 13:
      bytes = 2;
      break;
    case 14:
      bytes = 3;
      break;
    case 15:
      bytes = 4;
      break;
    default:
      bytes = lead < 0x80 ? 1 : -1;
  }
  ++at;
  if (bytes == 1) return lead;
  if (bytes < 1) return kReplacementCharacter;
  int code = lead & ~(0xFF << (7 - bytes));
  for (--bytes; bytes > 0; ++at, --bytes) {
    if (at == s.size() || (static_cast<unsigned char>(s[at]) & 0xC0) != 0x80) {
      return kReplacementCharacter;
    }
    code = (code << 6) | (static_cast<unsigned char>(s[at]) & 0x3F);
  }
  if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) || (code & 0xFFFE) == 0xFFFE ||
      (code >= 0xFDD0 && code <= 0xFDEF)) {
    return kReplacementCharacter;
  }
  return code;
}

void append_utf8(std::string& out, int code) {
  if (code <= 0x7F) {
    out += static_cast<char>(code);
  } else if (code <= 0x7FF) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code <= 0xFFFF) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// yaml-cpp's WriteDoubleQuotedString: C escapes for the usual controls,
// \xNN for the other C0 and C1 controls and the no-break space, \ufeff for
// the byte order mark; everything else as UTF-8 (malformed bytes as U+FFFD).
std::string double_quoted(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t at = 0; at < s.size();) {
    const int code = next_code_point(s, at);
    switch (code) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (code < 0x20 || (code >= 0x80 && code <= 0xA0)) {
          out += "\\x";
          out += kHex[(code >> 4) & 0xF];
          out += kHex[code & 0xF];
        } else if (code == 0xFEFF) {
          out += "\\ufeff";
        } else {
          append_utf8(out, code);
        }
    }
  }
  out += '"';
  return out;
}

// A string value YAML would read back as something else: a number (what
// strtod takes whole), a bool or null. Written double-quoted.
bool looks_typed(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "true" || s == "false" || s == "yes" ||
      s == "no" || s == "on" || s == "off") {
    return true;
  }
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// yaml-cpp's Emitter state machine, for block collections (an empty one is
// written in flow style, "[]" or "{}") and scalars.
class BlockEmitter {
 public:
  void emit(const nlohmann::json& j) {
    if (j.is_object()) {
      begin_group(true);
      for (const auto& [key, value] : j.items()) {
        scalar(key, false);
        emit(value);
      }
      end_group();
    } else if (j.is_array()) {
      begin_group(false);
      for (const auto& item : j) emit(item);
      end_group();
    } else if (j.is_string()) {
      scalar(j.get_ref<const std::string&>(), true);
    } else if (j.is_null()) {
      raw_scalar("~");
    } else if (j.is_boolean()) {
      raw_scalar(j.get<bool>() ? "true" : "false");
    } else {
      scalar(j.dump(), false);  // a number, in JSON's spelling
    }
  }

  const std::string& text() const { return out_; }

 private:
  enum class Child { kScalar, kSequence, kMap };
  struct Group {
    bool map;
    std::size_t children = 0;
    bool long_key = false;  // "? key" then ": value"
  };
  static constexpr std::size_t kIndent = 2;

  void write(std::string_view text) {
    for (char c : text) {
      out_ += c;
      column_ = c == '\n' ? 0 : column_ + 1;
    }
  }
  void indent_to(std::size_t column) {
    while (column_ < column) write(" ");
  }
  void space_or_indent_to(bool require_space, std::size_t column) {
    if (column_ > 0 && require_space) write(" ");
    indent_to(column);
  }

  // Emitter::PrepareNode: what goes before a node in its parent.
  void prepare(Child child) {
    if (groups_.empty()) return;  // the document's root starts the text
    Group& group = groups_.back();
    const std::size_t next_indent = indent_ + kIndent;
    const bool collection = child != Child::kScalar;
    if (!group.map) {  // BlockSeqPrepareNode
      if (group.children > 0) write("\n");
      indent_to(indent_);
      write("-");
      if (child == Child::kScalar) space_or_indent_to(false, next_indent);
      if (child == Child::kSequence) write("\n");
    } else if (group.children % 2 == 0) {  // a key
      if (long_key_next_) group.long_key = true;
      if (group.children > 0) write("\n");
      if (group.long_key) {
        indent_to(indent_);
        write("?");
        space_or_indent_to(true, indent_ + 1);
      } else {
        indent_to(indent_);
      }
    } else if (group.long_key) {  // the value of a long key
      write("\n");
      indent_to(indent_);
      write(":");
      space_or_indent_to(true, indent_ + 1);
    } else {  // the value of a simple key
      write(":");
      if (collection) {
        write("\n");
      } else {
        space_or_indent_to(true, next_indent);
      }
    }
  }

  // EmitterState::StartedNode.
  void started_node() {
    long_key_next_ = false;
    if (groups_.empty()) return;
    Group& group = groups_.back();
    ++group.children;
    if (group.children % 2 == 0) group.long_key = false;
  }

  void scalar(const std::string& text, bool is_value) {
    const bool quoted = (is_value && looks_typed(text)) || !plain_allowed(text);
    // A string over 1024 bytes as a key makes yaml-cpp write a long key.
    long_key_next_ = text.size() > 1024;
    prepare(Child::kScalar);
    write(quoted ? double_quoted(text) : text);
    started_node();
  }
  void raw_scalar(std::string_view text) {
    prepare(Child::kScalar);
    write(text);
    started_node();
  }

  void begin_group(bool map) {
    prepare(map ? Child::kMap : Child::kSequence);
    started_node();
    if (!groups_.empty()) indent_ += kIndent;
    groups_.push_back(Group{map});
  }
  void end_group() {
    const Group group = groups_.back();
    if (group.children == 0) {
      indent_to(indent_);
      write(group.map ? "{}" : "[]");
    }
    groups_.pop_back();
    if (!groups_.empty()) indent_ -= kIndent;
  }

  std::string out_;
  std::size_t column_ = 0;
  std::size_t indent_ = 0;
  bool long_key_next_ = false;
  std::vector<Group> groups_;
};

}  // namespace

std::string dump_yaml(const nlohmann::json& value) {
  if (value.empty()) return "{}\n";
  BlockEmitter emitter;
  emitter.emit(value);
  return emitter.text() + "\n";
}

}  // namespace ops::detail
