// The library's YAML module (src/ops/detail/yaml.hpp), which Pebble layers
// and plans are read and written with: the emitter's exact text (what
// yaml-cpp 0.7's emitter wrote, which these expectations were taken from),
// and the nodes the loader builds.
#include <gtest/gtest.h>

#include <string>

#include "ops/detail/yaml.hpp"
#include "ops/pebble.hpp"

namespace {

using nlohmann::json;
using ops::detail::dump_yaml;
using ops::detail::load_yaml;
using ops::detail::YamlNode;
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

// A string value YAML would read as null, a bool or a number is quoted, so
// that it reads back as the string; spellings yaml-cpp did not check
// (True) stay plain, and keys are never forced.
TEST(YamlDumpTest, QuotesStringValuesThatLookTyped) {
  const json value = {{"empty", ""},      {"tilde", "~"},   {"null", "null"}, {"Null", "Null"},
                      {"true", "true"},   {"True", "True"}, {"yes", "yes"},   {"on", "on"},
                      {"number", "6379"}, {"float", "1.5"}, {"exp", "1e3"},   {"hex", "0x1F"},
                      {"inf", "inf"}};
  EXPECT_EQ(dump_yaml(value),
            "\"Null\": \"Null\"\n"
            "True: True\n"
            "empty: \"\"\n"
            "exp: \"1e3\"\n"
            "float: \"1.5\"\n"
            "hex: \"0x1F\"\n"
            "inf: \"inf\"\n"
            "\"null\": \"null\"\n"
            "number: \"6379\"\n"
            "on: \"on\"\n"
            "tilde: \"~\"\n"
            "true: \"true\"\n"
            "yes: \"yes\"\n");
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

}  // namespace
