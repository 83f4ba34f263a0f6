// The library's YAML module (src/ops/detail/yaml.hpp), which Pebble layers
// and plans are read and written with: the emitter's exact text (what
// yaml-cpp 0.7's emitter wrote, which these expectations were taken from),
// and the nodes the loader builds.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "ops/detail/yaml.hpp"
#include "ops/pebble.hpp"

namespace {

using nlohmann::json;
using ops::detail::dump_yaml;
using ops::detail::is_yaml_null_word;
using ops::detail::load_yaml;
using ops::detail::yaml_key_text;
using ops::detail::yaml_plain_value;
using ops::detail::YamlNode;
using ops::detail::YamlSyntaxError;
using ops::pebble::Layer;

TEST(YamlDumpTest, QuotesOnlyWhatYamlWouldReadDifferently) {
  const json value = {
      {"plain", "redis-server --port 6379"},
      {"url", "http://x:80/y"},
      {"colon-space", "a: b"},
      {"colon-end", "a:"},
      {"hash-inside", "a#b"},
      {"hash-after-space", "a #b"},
      {"leading-dash", "-x"},
      {"dash-space", "- x"},
      {"lone-dash", "-"},
      {"question", "?x"},
      {"question-space", "? x"},
      {"star", "*x"},
      {"amp", "&x"},
      {"bang", "!x"},
      {"brackets", "[a]"},
      {"comma", "a,b"},
      {"percent", "%x"},
      {"single-quote", "'x"},
      {"inner-quotes", "it's \"ok\""},
      {"double-quote", "\"x"},
      {"backslash", "C:\\dir"},
      {"newline", "a\nb"},
      {"tab", "a\tb"},
      {"control",
       "a\x01"
       "b"},
      {"bom", "\xEF\xBB\xBFx"},
      {"leading-space", " a"},
      {"trailing-space", "a "},
      {"unicode", "\xC3\xA9\xF0\x9F\x98\x80"},
      {"docstart", "---"},
  };
  EXPECT_EQ(dump_yaml(value),
            "amp: \"&x\"\n"
            "backslash: C:\\dir\n"
            "bang: \"!x\"\n"
            "bom: \"\\ufeffx\"\n"
            "brackets: \"[a]\"\n"
            "colon-end: \"a:\"\n"
            "colon-space: \"a: b\"\n"
            "comma: a,b\n"
            "control: \"a\\x01b\"\n"
            "dash-space: \"- x\"\n"
            "docstart: ---\n"
            "double-quote: \"\\\"x\"\n"
            "hash-after-space: \"a #b\"\n"
            "hash-inside: a#b\n"
            "inner-quotes: it's \"ok\"\n"
            "leading-dash: -x\n"
            "leading-space: \" a\"\n"
            "lone-dash: \"-\"\n"
            "newline: \"a\\nb\"\n"
            "percent: \"%x\"\n"
            "plain: redis-server --port 6379\n"
            "question: ?x\n"
            "question-space: \"? x\"\n"
            "single-quote: \"'x\"\n"
            "star: \"*x\"\n"
            "tab: \"a\\tb\"\n"
            "trailing-space: \"a \"\n"
            "unicode: \xC3\xA9\xF0\x9F\x98\x80\n"
            "url: http://x:80/y\n");
}

// A string value a YAML 1.1 reader (PyYAML) or a YAML 1.2 one (Go's
// yaml.v3, Pebble's) would read as null, a bool, a number or a timestamp is
// quoted, so that it reads back as the string; keys are never forced.
TEST(YamlDumpTest, QuotesStringValuesThatLookTyped) {
  const json value = {{"empty", ""},      {"tilde", "~"},   {"null", "null"}, {"Null", "Null"},
                      {"true", "true"},   {"True", "True"}, {"yes", "yes"},   {"on", "on"},
                      {"number", "6379"}, {"float", "1.5"}, {"exp", "1e3"},   {"hex", "0x1F"},
                      {"inf", "inf"}};
  EXPECT_EQ(dump_yaml(value),
            "\"Null\": \"Null\"\n"
            "True: \"True\"\n"
            "empty: \"\"\n"
            "exp: \"1e3\"\n"
            "float: \"1.5\"\n"
            "hex: \"0x1F\"\n"
            "inf: inf\n"
            "\"null\": \"null\"\n"
            "number: \"6379\"\n"
            "on: \"on\"\n"
            "tilde: \"~\"\n"
            "true: \"true\"\n"
            "yes: \"yes\"\n");
}

// Every spelling either schema types, each written quoted; the near misses
// stay plain.
TEST(YamlDumpTest, QuotesEveryYaml11And12TypedSpelling) {
  const char* const typed[] = {"TRUE",
                               "False",
                               "FALSE",
                               "Yes",
                               "YES",
                               "no",
                               "No",
                               "NO",
                               "On",
                               "ON",
                               "off",
                               "Off",
                               "OFF",
                               "NULL",
                               ".inf",
                               ".Inf",
                               ".INF",
                               "-.inf",
                               "+.inf",
                               ".nan",
                               ".NaN",
                               ".NAN",
                               "0o17",
                               "0O17",
                               "017",
                               "0b101",
                               "0x_1F",
                               "+42",
                               "-42",
                               "1_000",
                               "1:30",
                               "1:30.5",
                               "1.",
                               ".5",
                               "-.5",
                               "1.5e+3",
                               "1e5",
                               "08",
                               "1_000.5",
                               "2024-01-31",
                               "2024-1-5",
                               "2024-01-31T12:00:00Z",
                               "2024-01-31 12:00:00.5 +01:00"};
  for (const char* word : typed) {
    EXPECT_EQ(dump_yaml({{"k", word}}), std::string("k: \"") + word + "\"\n") << word;
  }
  const char* const strings[] = {
      "inf", "nan", "infinity", "y",     "n",    "TrUe",    "1.2.3",  "0x", "0b2",  "0o8", "1_0e5",
      "_1",  "--",  "1:60",     "+.nan", "v1.2", "2024-01", "12:00x", "1e", "0x1G", "<<x", "1 2"};
  for (const char* word : strings) {
    EXPECT_EQ(dump_yaml({{"k", word}}), std::string("k: ") + word + "\n") << word;
  }
}

TEST(YamlDumpTest, KeysAreQuotedByThePlainScalarRulesAlone) {
  const json value = {{"keys",
                       {{"", 1},
                        {"a b", 2},
                        {"a: b", 3},
                        {"-", 4},
                        {"true", 5},
                        {"1", 6},
                        {"null", 7},
                        {"#x", 9},
                        {"a\nb", 11}}}};
  EXPECT_EQ(dump_yaml(value),
            "keys:\n"
            "  \"\": 1\n"
            "  \"#x\": 9\n"
            "  \"-\": 4\n"
            "  1: 6\n"
            "  \"a\\nb\": 11\n"
            "  a b: 2\n"
            "  \"a: b\": 3\n"
            "  \"null\": 7\n"
            "  true: 5\n");
}

// Sequences sit two spaces under their key; an empty collection goes on the
// line after its key or dash, except an empty map in a sequence.
TEST(YamlDumpTest, NestsBlockCollectionsAsYamlCppDid) {
  const json value = json::parse(R"({
    "nested": [{"a": 1, "b": [1, 2]}, [3, [4]], [], {}, null, true, false, 1.25, -7, "x"],
    "list": [], "map": {}, "deep": {"a": {"b": ["c", {"d": "e"}]}}})");
  EXPECT_EQ(dump_yaml(value),
            "deep:\n"
            "  a:\n"
            "    b:\n"
            "      - c\n"
            "      - d: e\n"
            "list:\n"
            "  []\n"
            "map:\n"
            "  {}\n"
            "nested:\n"
            "  - a: 1\n"
            "    b:\n"
            "      - 1\n"
            "      - 2\n"
            "  -\n"
            "    - 3\n"
            "    -\n"
            "      - 4\n"
            "  -\n"
            "    []\n"
            "  - {}\n"
            "  - ~\n"
            "  - true\n"
            "  - false\n"
            "  - 1.25\n"
            "  - -7\n"
            "  - x\n");
  EXPECT_EQ(dump_yaml(json::object()), "{}\n");
  EXPECT_EQ(dump_yaml(nullptr), "{}\n");
}

// A key over 1024 bytes is written as an explicit key ("? key", ": value").
TEST(YamlDumpTest, LongKeysAreExplicit) {
  const std::string key(1025, 'k');
  EXPECT_EQ(dump_yaml({{key, "v"}, {"a", 1}}), "a: 1\n? " + key + "\n: v\n");
  EXPECT_EQ(dump_yaml({{key, {1, 2}}}), "? " + key + "\n: - 1\n  - 2\n");
  const std::string value(1025, 'v');
  EXPECT_EQ(dump_yaml({{"k", value}}), "k: " + value + "\n");
}

TEST(YamlDumpTest, LayerTextAndRoundTrip) {
  const Layer layer = Layer::from_yaml(R"(
summary: redis layer
services:
  redis:
    override: replace
    command: redis-server /etc/redis.conf --port "6379"
    startup: enabled
    after: [network]
    environment: {REDIS_PORT: "6379", EMPTY: "", MODE: "yes", NOTE: "a: b # c"}
    user-id: 999
    backoff-factor: 1.5
checks:
  up:
    override: replace
    level: alive
    tcp: {port: 6379}
)");
  const std::string text = layer.to_yaml();
  EXPECT_EQ(text,
            "checks:\n"
            "  up:\n"
            "    level: alive\n"
            "    override: replace\n"
            "    tcp:\n"
            "      port: 6379\n"
            "services:\n"
            "  redis:\n"
            "    after:\n"
            "      - network\n"
            "    backoff-factor: 1.5\n"
            "    command: redis-server /etc/redis.conf --port \"6379\"\n"
            "    environment:\n"
            "      EMPTY: \"\"\n"
            "      MODE: \"yes\"\n"
            "      NOTE: \"a: b # c\"\n"
            "      REDIS_PORT: \"6379\"\n"
            "    override: replace\n"
            "    startup: enabled\n"
            "    user-id: 999\n"
            "summary: redis layer\n");
  EXPECT_EQ(Layer::from_yaml(text), layer);
}

TEST(YamlLoadTest, NodesKeepKindQuotingStyleAndPosition) {
  const YamlNode root = load_yaml(
      "plain: ~\n"
      "quoted: \"null\"\n"
      "tagged: !!str x\n"
      "flow: [a, {b: c}]\n"
      "block:\n"
      "  - 1\n");
  ASSERT_TRUE(root.is_map());
  EXPECT_FALSE(root.is_flow());
  EXPECT_TRUE(root["plain"].is_null());
  EXPECT_TRUE(root["quoted"].is_scalar());
  EXPECT_TRUE(root["quoted"].is_quoted());
  EXPECT_EQ(root["quoted"].scalar(), "null");
  EXPECT_EQ(root["tagged"].tag(), "tag:yaml.org,2002:str");
  EXPECT_FALSE(root["tagged"].is_quoted());
  EXPECT_TRUE(root["flow"].is_flow());
  EXPECT_TRUE(root["flow"][1].is_flow());
  EXPECT_EQ(root["flow"].line(), 3);
  EXPECT_EQ(root["flow"].column(), 6);
  EXPECT_FALSE(root["block"].is_flow());
  EXPECT_EQ(root["block"][0].scalar(), "1");
  EXPECT_EQ(root["block"][0].tag(), "?");
  EXPECT_EQ(root["block"][0].line(), 5);
  EXPECT_EQ(root["block"][0].column(), 4);
  EXPECT_FALSE(root["missing"].is_defined());
}

TEST(YamlLoadTest, SyntaxErrorsNameLineAndColumn) {
  try {
    (void)load_yaml("a: b\n  c: d\n");
    FAIL() << "no error";
  } catch (const ops::detail::YamlSyntaxError& e) {
    EXPECT_STREQ(e.what(), "mapping values are not allowed in this context");
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 3);
  }
  try {
    (void)Layer::from_yaml("summary: [unclosed\n");
    FAIL() << "no error";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot parse layer YAML: line 2, column 1: while parsing a flow sequence: did "
                 "not find expected ',' or ']'");
  }
  try {
    (void)Layer::from_yaml("? [a]\n: b\n");
    FAIL() << "no error";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot parse layer YAML: line 1, column 3: a mapping key must be a string, not "
                 "a list");
  }
}

// ---- typing, null words and keys: the one rule of each ----

TEST(YamlTypingTest, PlainScalarValuesUnderYaml11And12) {
  EXPECT_EQ(yaml_plain_value(""), json(nullptr));
  EXPECT_EQ(yaml_plain_value("~"), json(nullptr));
  EXPECT_EQ(yaml_plain_value("Null"), json(nullptr));
  EXPECT_EQ(yaml_plain_value("True"), json(true));
  EXPECT_EQ(yaml_plain_value("on"), json(true));
  EXPECT_EQ(yaml_plain_value("NO"), json(false));
  EXPECT_EQ(yaml_plain_value("42"), json(42));
  EXPECT_EQ(yaml_plain_value("-42"), json(-42));
  EXPECT_EQ(yaml_plain_value("+42"), json(42));
  EXPECT_EQ(yaml_plain_value("0"), json(0));
  EXPECT_EQ(yaml_plain_value("1_000"), json(1000));
  EXPECT_EQ(yaml_plain_value("0x1F"), json(31));
  EXPECT_EQ(yaml_plain_value("-0x1f"), json(-31));
  EXPECT_EQ(yaml_plain_value("0o17"), json(15));
  EXPECT_EQ(yaml_plain_value("017"), json(15));
  EXPECT_EQ(yaml_plain_value("0b101"), json(5));
  EXPECT_EQ(yaml_plain_value("1:30"), json(90));
  EXPECT_EQ(yaml_plain_value("-1:30"), json(-90));
  EXPECT_EQ(yaml_plain_value("9223372036854775807"), json(std::numeric_limits<long long>::max()));
  EXPECT_EQ(yaml_plain_value("-9223372036854775808"), json(std::numeric_limits<long long>::min()));
  EXPECT_EQ(yaml_plain_value("9223372036854775808"), json(9223372036854775808.0));
  EXPECT_TRUE(yaml_plain_value("9223372036854775808")->is_number_float());
  EXPECT_EQ(yaml_plain_value("1.5"), json(1.5));
  EXPECT_EQ(yaml_plain_value("1."), json(1.0));
  EXPECT_EQ(yaml_plain_value(".5"), json(0.5));
  EXPECT_EQ(yaml_plain_value("-.5"), json(-0.5));
  EXPECT_EQ(yaml_plain_value("1.5e+3"), json(1500.0));
  EXPECT_EQ(yaml_plain_value("1e5"), json(100000.0));
  EXPECT_EQ(yaml_plain_value("08"), json(8.0));
  EXPECT_EQ(yaml_plain_value("1_000.5"), json(1000.5));
  EXPECT_EQ(yaml_plain_value("1:30.5"), json(90.5));
  EXPECT_EQ(yaml_plain_value(".inf"), json(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(yaml_plain_value("-.INF"), json(-std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(std::isnan(yaml_plain_value(".NaN")->get<double>()));
  EXPECT_EQ(yaml_plain_value("2024-01-31"), json("2024-01-31"));
  EXPECT_EQ(yaml_plain_value("2024-01-31 12:00:00Z"), json("2024-01-31 12:00:00Z"));
  for (const char* text : {"inf", "nan", "y", "TrUe", "1.2.3", "0x", "1_0e5", "-", "1:60"}) {
    EXPECT_EQ(yaml_plain_value(text), std::nullopt) << text;
  }
}

TEST(YamlTypingTest, NullWords) {
  for (const char* word : {"", "~", "null", "Null", "NULL"}) EXPECT_TRUE(is_yaml_null_word(word));
  for (const char* word : {"nULL", "none", "None", "nil", " ", "~~"}) {
    EXPECT_FALSE(is_yaml_null_word(word)) << word;
  }
}

TEST(YamlTypingTest, MappingKeysAsText) {
  const YamlNode root = load_yaml("~: a\n'x': b\n1: c\n? [l]\n: d\n? {m: n}\n: e\n");
  ASSERT_EQ(root.size(), 5u);
  EXPECT_EQ(yaml_key_text(root.entries()[0].first), "null");
  EXPECT_EQ(yaml_key_text(root.entries()[1].first), "x");
  EXPECT_EQ(yaml_key_text(root.entries()[2].first), "1");
  try {
    (void)yaml_key_text(root.entries()[3].first);
    FAIL() << "no error";
  } catch (const YamlSyntaxError& e) {
    EXPECT_STREQ(e.what(), "a mapping key must be a string, not a list");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 2);
  }
  try {
    (void)yaml_key_text(root.entries()[4].first);
    FAIL() << "no error";
  } catch (const YamlSyntaxError& e) {
    EXPECT_STREQ(e.what(), "a mapping key must be a string, not a mapping");
    EXPECT_EQ(e.line(), 5);
  }
  // A layer reads a null key as "null", as yaml-cpp did.
  EXPECT_EQ(Layer::from_yaml("services:\n  ~: {command: x}\n").services.count("null"), 1u);
}

// ---- limits: nesting and alias expansion ----

// The YamlSyntaxError `text` is refused with: "what@line:column", 0-based.
std::string load_error(const std::string& text) {
  try {
    (void)load_yaml(text);
  } catch (const YamlSyntaxError& e) {
    return std::string(e.what()) + "@" + std::to_string(e.line()) + ":" +
           std::to_string(e.column());
  }
  return "no error";
}

TEST(YamlLimitsTest, NestingDeeperThan1000LevelsIsRefused) {
  EXPECT_EQ(ops::detail::kYamlMaxDepth, 1000);
  // 1000 levels load; the 1001st is refused where it starts.
  const YamlNode deepest = load_yaml(std::string(1000, '[') + std::string(1000, ']'));
  EXPECT_TRUE(deepest.is_sequence());
  EXPECT_EQ(load_error(std::string(1001, '[') + std::string(1001, ']')),
            "lists and mappings nested deeper than 1000 levels@0:1000");
  // Far deeper (and unclosed): the same error, no stack overflow.
  EXPECT_EQ(load_error(std::string(100000, '[')),
            "lists and mappings nested deeper than 1000 levels@0:1000");
  std::string maps;
  for (int i = 0; i < 2000; ++i) maps += "{a: ";
  EXPECT_EQ(load_error(maps), "lists and mappings nested deeper than 1000 levels@0:4000");
  try {
    (void)Layer::from_yaml("services: " + std::string(2000, '['));
    FAIL() << "no error";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot parse layer YAML: line 1, column 1010: lists and mappings nested deeper "
                 "than 1000 levels");
  }
}

// An alias counts as deep as the node it names: no alias chain nests a walk
// of the tree past the limit.
TEST(YamlLimitsTest, AliasesCountTowardsTheNesting) {
  const std::string deep = std::string(999, '[') + std::string(999, ']');
  EXPECT_TRUE(load_yaml("a: &a " + deep + "\nb: *a\n")["b"].is_sequence());
  EXPECT_EQ(load_error("a: &a " + deep + "\nb: [*a]\n"),
            "lists and mappings nested deeper than 1000 levels@1:4");
}

TEST(YamlLimitsTest, BillionLaughsIsRefusedQuickly) {
  EXPECT_EQ(ops::detail::kYamlMaxAliasNodes, 100000u);
  // Ten times more at each of nine levels: 10^9 strings once expanded.
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const std::string alias = std::string("*") + static_cast<char>(level - 1);
    text += std::string(1, level) + ": &" + level + " [" + alias;
    for (int i = 1; i < 10; ++i) text += ", " + alias;
    text += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(load_error(text), "excessive aliasing: aliases expand to more than 100000 nodes@4:35");
  try {
    (void)Layer::from_yaml(text);
    FAIL() << "no error";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot parse layer YAML: line 5, column 36: excessive aliasing: aliases expand "
                 "to more than 100000 nodes");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// The cap counts the nodes aliases stand for: exactly 100,000 load, one
// more does not; a document without aliases is never refused for its size.
TEST(YamlLimitsTest, AliasNodesUpToTheCapLoad) {
  const std::string anchor = "a: &a [x, x, x, x, x, x, x, x, x]\n";  // 10 nodes
  std::string uses = "b: [*a";
  for (int i = 1; i < 10000; ++i) uses += ", *a";
  EXPECT_EQ(load_yaml(anchor + uses + "]\n")["b"].size(), 10000u);
  EXPECT_EQ(load_error(anchor + uses + ", x, *a]\n"),
            "excessive aliasing: aliases expand to more than 100000 nodes@1:40007");
  std::string big = "[x";
  for (int i = 1; i < 200000; ++i) big += ", x";
  EXPECT_EQ(load_yaml(big + "]").size(), 200000u);
}

TEST(YamlLimitsTest, LayerWithALegitimateAliasLoads) {
  const Layer layer = Layer::from_yaml(
      "services:\n"
      "  a: &svc {override: replace, command: run, environment: {MODE: x}}\n"
      "  b: *svc\n");
  ASSERT_EQ(layer.services.size(), 2u);
  EXPECT_EQ(layer.services.at("a").command, "run");
  EXPECT_EQ(layer.services.at("b").command, "run");
  EXPECT_EQ(layer.services.at("b").environment.at("MODE"), "x");
}

}  // namespace
