// The YAML node loader (libyaml's parser events) and the block-style emitter.
// libyaml stays in this file.
#include "ops/detail/yaml.hpp"

#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
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
  // A node with what the limits need: the nodes a walk of it meets (aliases
  // expanded) and the levels of lists and mappings it holds.
  struct Parsed {
    YamlNode node;
    std::size_t weight = 1;
    int height = 0;
  };
  std::unordered_map<std::string, Parsed> anchors;
  std::size_t alias_nodes = 0;
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
  auto remember = [&anchors](const std::string& anchor, const Parsed& parsed) {
    if (!anchor.empty()) anchors[anchor] = parsed;
  };
  auto too_deep = [](YamlNode::Mark mark) {
    return YamlSyntaxError(
        "lists and mappings nested deeper than " + std::to_string(kYamlMaxDepth) + " levels",
        mark.line, mark.column);
  };
  // One node from its first event, inside `depth` lists and mappings;
  // collections recurse, no deeper than kYamlMaxDepth.
  auto parse_node = [&](auto& self, yaml_event_t& event, int depth) -> Parsed {
    const YamlNode::Mark mark = mark_of(event.start_mark);
    switch (event.type) {
      case YAML_ALIAS_EVENT: {
        auto found = anchors.find(text_of(event.data.alias.anchor));
        if (found == anchors.end()) throw YamlSyntaxError("unknown anchor", mark.line, mark.column);
        const Parsed& target = found->second;
        if (depth + target.height > kYamlMaxDepth) throw too_deep(mark);
        alias_nodes += target.weight;
        if (alias_nodes > kYamlMaxAliasNodes) {
          throw YamlSyntaxError("excessive aliasing: aliases expand to more than " +
                                    std::to_string(kYamlMaxAliasNodes) + " nodes",
                                mark.line, mark.column);
        }
        return target;
      }
      case YAML_SCALAR_EVENT: {
        const auto& s = event.data.scalar;
        std::string value(reinterpret_cast<const char*>(s.value), s.length);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
        Parsed parsed;
        if (s.tag) {
          parsed.node = YamlNode::scalar(std::move(value), text_of(s.tag), mark);
        } else if (plain && is_yaml_null_word(value)) {
          parsed.node = YamlNode::null(mark);
        } else {
          parsed.node = YamlNode::scalar(std::move(value), plain ? "?" : "!", mark);
        }
        remember(text_of(s.anchor), parsed);
        return parsed;
      }
      case YAML_SEQUENCE_START_EVENT: {
        if (depth >= kYamlMaxDepth) throw too_deep(mark);
        const std::string anchor = text_of(event.data.sequence_start.anchor);
        const bool flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        std::vector<YamlNode> items;
        Parsed parsed;
        for (;;) {
          EventGuard item;
          next(item.event);
          if (item.event.type == YAML_SEQUENCE_END_EVENT) break;
          Parsed child = self(self, item.event, depth + 1);
          parsed.weight += child.weight;
          parsed.height = std::max(parsed.height, child.height);
          items.push_back(std::move(child.node));
        }
        ++parsed.height;
        parsed.node = YamlNode::sequence(std::move(items), flow, mark);
        remember(anchor, parsed);
        return parsed;
      }
      case YAML_MAPPING_START_EVENT: {
        if (depth >= kYamlMaxDepth) throw too_deep(mark);
        const std::string anchor = text_of(event.data.mapping_start.anchor);
        const bool flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        std::vector<YamlNode::Entry> entries;
        Parsed parsed;
        for (;;) {
          EventGuard key;
          next(key.event);
          if (key.event.type == YAML_MAPPING_END_EVENT) break;
          Parsed key_parsed = self(self, key.event, depth + 1);
          EventGuard value;
          next(value.event);
          Parsed value_parsed = self(self, value.event, depth + 1);
          parsed.weight += key_parsed.weight + value_parsed.weight;
          parsed.height = std::max({parsed.height, key_parsed.height, value_parsed.height});
          entries.emplace_back(std::move(key_parsed.node), std::move(value_parsed.node));
        }
        ++parsed.height;
        parsed.node = YamlNode::map(std::move(entries), flow, mark);
        remember(anchor, parsed);
        return parsed;
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
        return parse_node(parse_node, root.event, 0).node;
      }
      default:
        break;  // the stream's start
    }
  }
}

bool is_yaml_null_word(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string yaml_key_text(const YamlNode& key) {
  if (key.is_null()) return "null";
  if (!key.is_scalar()) {
    throw YamlSyntaxError(
        std::string("a mapping key must be a string, not a ") + (key.is_map() ? "mapping" : "list"),
        key.line(), key.column());
  }
  return key.scalar();
}

// ---- typing plain scalars ----

namespace {

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// The value of `digits` (underscores skipped) in `base`, which the caller
// has checked are all digits of that base: an integer, or a float when it
// does not fit in 64 bits (PyYAML reads a big integer; Go's yaml.v3 a float).
nlohmann::json integer_value(std::string_view digits, int base, bool negative) {
  unsigned long long magnitude = 0;
  double approx = 0;  // when it overflows (base 10: strtod below, which rounds once)
  bool overflow = false;
  for (char c : digits) {
    if (c == '_') continue;
    const int digit = is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    approx = approx * base + digit;
    if (magnitude > (std::numeric_limits<unsigned long long>::max() - digit) / base) {
      overflow = true;
    }
    magnitude = magnitude * base + digit;
  }
  constexpr auto kMax = static_cast<unsigned long long>(std::numeric_limits<long long>::max());
  if (!overflow && magnitude <= kMax) {
    const auto value = static_cast<long long>(magnitude);
    return negative ? -value : value;
  }
  if (!overflow && negative && magnitude == kMax + 1) return std::numeric_limits<long long>::min();
  if (base == 10) {
    std::string text;
    for (char c : digits) {
      if (c != '_') text += c;
    }
    approx = std::strtod(text.c_str(), nullptr);
  }
  return negative ? -approx : approx;
}

// Whether every character of `s` is a digit of `base` or '_', with at least
// one digit.
bool digits_of_base(std::string_view s, int base) {
  bool any = false;
  for (char c : s) {
    if (c == '_') continue;
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                               : (c >= '0' && c < '0' + base);
    if (!ok) return false;
    any = true;
  }
  return any;
}

// YAML 1.1's base 60 ("1:30" is 90, "1:30.5" 90.5): a first part of
// digits and underscores, then ":" parts of one or two digits below 60, the
// last of which may have a fraction.
std::optional<nlohmann::json> sexagesimal_value(std::string_view body, bool negative) {
  const std::size_t colon = body.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_ascii_digit(body[0]))
    return std::nullopt;
  std::string_view first = body.substr(0, colon);
  if (!digits_of_base(first, 10)) return std::nullopt;
  double value = integer_value(first, 10, false).get<double>();
  bool fraction = false;
  std::size_t at = colon;
  while (at < body.size()) {
    ++at;  // the ':'
    std::size_t end = at;
    while (end < body.size() && is_ascii_digit(body[end])) ++end;
    const std::size_t width = end - at;
    if (width == 0 || width > 2 || (width == 2 && body[at] > '5')) return std::nullopt;
    value = value * 60 + std::stoi(std::string(body.substr(at, width)));
    at = end;
    if (at < body.size() && body[at] == '.') {
      std::string frac = "0.";
      for (std::size_t i = at + 1; i < body.size(); ++i) {
        if (body[i] == '_') continue;
        if (!is_ascii_digit(body[i])) return std::nullopt;
        frac += body[i];
      }
      value += std::strtod(frac.c_str(), nullptr);
      fraction = true;
      break;
    }
    if (at < body.size() && body[at] != ':') return std::nullopt;
  }
  if (!fraction && body[0] == '0') return std::nullopt;  // an integer's first part is 1-9...
  if (!fraction && value <= static_cast<double>(std::numeric_limits<long long>::max())) {
    const auto whole = static_cast<long long>(value);
    return negative ? -whole : whole;
  }
  return negative ? -value : value;
}

// A float in either schema's spelling: PyYAML's has a '.' (digits and
// underscores around it, an exponent only with a sign: 1.5, 1., .5, 1_000.5,
// 1.5e+3, but not -.5); yaml.v3's has no underscores, a '.' or an exponent
// optional (1e5, -.5, 08).
std::optional<nlohmann::json> float_value(std::string_view text) {
  std::size_t at = 0;
  const bool signed_text = !text.empty() && (text[0] == '-' || text[0] == '+');
  if (signed_text) ++at;
  const std::size_t int_start = at;
  while (at < text.size() && (is_ascii_digit(text[at]) || text[at] == '_')) ++at;
  const std::string_view int_part = text.substr(int_start, at - int_start);
  bool dot = false;
  std::string_view frac_part;
  if (at < text.size() && text[at] == '.') {
    dot = true;
    const std::size_t frac_start = ++at;
    while (at < text.size() && (is_ascii_digit(text[at]) || text[at] == '_')) ++at;
    frac_part = text.substr(frac_start, at - frac_start);
  }
  bool exponent = false;
  bool exponent_sign = false;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    exponent = true;
    ++at;
    if (at < text.size() && (text[at] == '-' || text[at] == '+')) {
      exponent_sign = true;
      ++at;
    }
    const std::size_t exp_start = at;
    while (at < text.size() && is_ascii_digit(text[at])) ++at;
    if (at == exp_start) return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const bool underscores = text.find('_') != std::string_view::npos;
  const bool int_digit_first = !int_part.empty() && is_ascii_digit(int_part[0]);
  const bool frac_digit_first = !frac_part.empty() && is_ascii_digit(frac_part[0]);
  const bool pyyaml = dot &&
                      (int_digit_first || (int_part.empty() && frac_digit_first && !signed_text)) &&
                      (!exponent || exponent_sign);
  const bool go = !underscores && (!int_part.empty() || (dot && !frac_part.empty()));
  if (!pyyaml && !go) return std::nullopt;
  std::string digits;
  for (char c : text) {
    if (c != '_') digits += c;
  }
  return std::strtod(digits.c_str(), nullptr);  // inf when out of range, as both read it
}

// A YAML 1.1 timestamp (PyYAML reads a datetime; yaml.v3 tags it one too):
// 2024-01-31, or with a time: 2024-1-31T12:00:00.5Z, 2024-01-31 12:00:00 +01:00.
bool is_timestamp(std::string_view t) {
  std::size_t at = 0;
  auto digits = [&](std::size_t min, std::size_t max) {
    std::size_t n = 0;
    while (at < t.size() && n < max && is_ascii_digit(t[at])) {
      ++at;
      ++n;
    }
    return n >= min;
  };
  auto literal = [&](char c) {
    if (at < t.size() && t[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  if (!digits(4, 4) || !literal('-') || !digits(1, 2) || !literal('-') || !digits(1, 2)) {
    return false;
  }
  if (at == t.size()) return true;
  if (!literal('T') && !literal('t')) {
    if (t[at] != ' ' && t[at] != '\t') return false;
    while (at < t.size() && (t[at] == ' ' || t[at] == '\t')) ++at;
  }
  if (!digits(1, 2) || !literal(':') || !digits(2, 2) || !literal(':') || !digits(2, 2)) {
    return false;
  }
  if (literal('.')) digits(0, std::string_view::npos);
  while (at < t.size() && (t[at] == ' ' || t[at] == '\t')) ++at;
  if (at == t.size()) return true;
  if (literal('Z')) return at == t.size();
  if (!literal('+') && !literal('-')) return false;
  if (!digits(1, 2)) return false;
  if (literal(':') && !digits(2, 2)) return false;
  return at == t.size();
}

}  // namespace

std::optional<nlohmann::json> yaml_plain_value(std::string_view text) {
  if (is_yaml_null_word(text)) return nlohmann::json(nullptr);
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                               "YES",  "on",   "On",   "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No",
                                                "NO",    "off",   "Off",   "OFF"};
  for (std::string_view word : kTrue) {
    if (text == word) return nlohmann::json(true);
  }
  for (std::string_view word : kFalse) {
    if (text == word) return nlohmann::json(false);
  }
  // Everything else typed starts with a sign, a digit or a '.'.
  const char first = text[0];
  if (first != '-' && first != '+' && first != '.' && !is_ascii_digit(first)) return std::nullopt;
  const bool negative = first == '-';
  const std::string_view body = first == '-' || first == '+' ? text.substr(1) : text;
  for (std::string_view inf : {".inf", ".Inf", ".INF"}) {
    if (body == inf) {
      const double value = std::numeric_limits<double>::infinity();
      return nlohmann::json(negative ? -value : value);
    }
  }
  if (body == text && (text == ".nan" || text == ".NaN" || text == ".NAN")) {
    return nlohmann::json(std::numeric_limits<double>::quiet_NaN());
  }
  if (body.empty() || !is_ascii_digit(body[0])) return float_value(text);
  // Integers: 0b, 0o and 0x prefixes (either case, as Go reads them), a
  // leading 0 for octal (YAML 1.1, and yaml.v3 keeps it), else decimal.
  if (body.size() > 2 && body[0] == '0') {
    const char prefix = static_cast<char>(body[1] | 0x20);
    const int base = prefix == 'b' ? 2 : prefix == 'o' ? 8 : prefix == 'x' ? 16 : 0;
    if (base != 0) {
      if (!digits_of_base(body.substr(2), base)) return std::nullopt;
      return integer_value(body.substr(2), base, negative);
    }
  }
  if (body[0] == '0' && body.find_first_not_of("01234567_") == std::string_view::npos) {
    return integer_value(body, 8, negative);  // 0, 017, 0_17
  }
  if (body[0] != '0' && digits_of_base(body, 10)) return integer_value(body, 10, negative);
  if (body.find(':') != std::string_view::npos) {
    if (auto value = sexagesimal_value(body, negative)) return value;
  }
  if (auto value = float_value(text)) return value;
  if (is_timestamp(text)) return nlohmann::json(std::string(text));
  return std::nullopt;
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
  if (is_yaml_null_word(s)) return false;
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
    const bool quoted = (is_value && yaml_plain_value(text).has_value()) || !plain_allowed(text);
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
