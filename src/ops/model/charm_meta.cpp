// CharmMeta: parsing metadata.yaml, actions.yaml, config.yaml and charmcraft.yaml.
//
// Every error names the file, the 1-based line and the dotted field path, so
// that a charm author can fix the file without guessing. The text is read
// into nodes by the library's YAML module (ops/detail/yaml.hpp, on libyaml),
// shared with the Pebble layers.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

#include "ops/charm_meta.hpp"
#include "ops/detail/fd.hpp"
#include "ops/detail/yaml.hpp"
#include "ops/errors.hpp"

namespace ops {

std::string to_string(RelationRole role) {
  switch (role) {
    case RelationRole::kRequires:
      return "requires";
    case RelationRole::kProvides:
      return "provides";
    case RelationRole::kPeer:
      return "peer";
  }
  return "unknown";
}

namespace {

using nlohmann::json;

using detail::load_yaml;
using detail::YamlNode;
using detail::YamlSyntaxError;

// A node with the dotted path that reached it and the best line we know for
// it (its own, or its parent's when the node is absent).
struct Field {
  YamlNode node;
  std::string path;
  int line = 0;  // 0-based, as libyaml counts
};

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(int line, const std::string& path, const std::string& problem) const {
    std::string message = file_ + ":" + std::to_string(line + 1) + ": ";
    if (!path.empty()) message += path + ": ";
    throw CharmMetaError(message + problem);
  }
  [[noreturn]] void fail(const Field& field, const std::string& problem) const {
    fail(field.line, field.path, problem);
  }

  // Loads a YAML text; an empty text is an empty (null) document.
  Field load(std::string_view text) const {
    try {
      YamlNode root = load_yaml(text);
      return Field{root, "", line_of(root, 0)};
    } catch (const YamlSyntaxError& e) {
      fail(e.line(), "", std::string("invalid YAML: ") + e.what());
    }
  }

  Field child(const Field& parent, const std::string& key) const {
    std::string path = parent.path.empty() ? key : parent.path + "." + key;
    if (!parent.node.is_map()) return Field{YamlNode::null({parent.line, 0}), path, parent.line};
    YamlNode node = parent.node[key];
    return Field{node, path, line_of(node, parent.line)};
  }

  static bool present(const Field& f) { return f.node.is_defined() && !f.node.is_null(); }

  void require_map(const Field& f) const {
    if (!f.node.is_map()) fail(f, "expected a mapping, got " + kind(f.node));
  }
  // A mapping, or absent/null (treated as empty).
  bool optional_map(const Field& f) const {
    if (!present(f)) return false;
    require_map(f);
    return true;
  }

  std::string string_value(const Field& f) const {
    if (!f.node.is_scalar()) fail(f, "expected a string, got " + kind(f.node));
    return f.node.scalar();
  }
  std::string optional_string(const Field& parent, const std::string& key,
                              std::string fallback = {}) const {
    Field f = child(parent, key);
    return present(f) ? string_value(f) : std::move(fallback);
  }
  std::string required_string(const Field& parent, const std::string& key) const {
    Field f = child(parent, key);
    if (!present(f)) fail(f, "missing (required)");
    std::string value = string_value(f);
    if (value.empty()) fail(f, "must not be empty");
    return value;
  }

  bool bool_value(const Field& f) const {
    const std::optional<json> value = typed(f.node);
    if (!value || !value->is_boolean()) {
      fail(f, "expected a boolean (true or false), got " + describe(f.node));
    }
    return value->get<bool>();
  }
  bool optional_bool(const Field& parent, const std::string& key, bool fallback) const {
    Field f = child(parent, key);
    return present(f) ? bool_value(f) : fallback;
  }

  int int_value(const Field& f) const {
    const std::optional<long long> value = integer(f.node);
    if (!value || *value < std::numeric_limits<int>::min() ||
        *value > std::numeric_limits<int>::max()) {
      fail(f, "expected an integer, got " + describe(f.node));
    }
    return static_cast<int>(*value);
  }

  std::vector<std::string> string_list(const Field& f) const {
    std::vector<std::string> out;
    if (!present(f)) return out;
    if (!f.node.is_sequence()) fail(f, "expected a list of strings, got " + kind(f.node));
    for (std::size_t i = 0; i < f.node.size(); ++i) {
      Field item{f.node[i], f.path + "[" + std::to_string(i) + "]", line_of(f.node[i], f.line)};
      out.push_back(string_value(item));
    }
    return out;
  }

  // Iterates a mapping's entries as (key, Field) in document order.
  template <typename Fn>
  void each_entry(const Field& map, Fn&& fn) const {
    for (const auto& [key_node, value] : map.node.entries()) {
      std::string key = key_text(key_node, map);
      std::string path = map.path.empty() ? key : map.path + "." + key;
      // A null value sits on its key's line (libyaml marks an empty value
      // where the next token starts).
      int line = value.is_null() ? line_of(key_node, map.line) : line_of(value, map.line);
      fn(key, Field{value, path, line});
    }
  }

  // The field's YAML value as JSON, with the YAML module's typing of plain
  // scalars (YAML 1.1's, as PyYAML reads metadata for Python ops).
  json to_json(const Field& f) const { return to_json(f.node, f); }

  // A plain scalar's typed value (null, bool, number); nullopt for a string
  // or a quoted scalar.
  static std::optional<json> typed(const YamlNode& node) {
    if (!node.is_scalar() || node.is_quoted()) return std::nullopt;
    return detail::yaml_plain_value(node.scalar());
  }
  static std::optional<long long> integer(const YamlNode& node) {
    const std::optional<json> value = typed(node);
    if (!value || !value->is_number_integer()) return std::nullopt;
    return value->get<long long>();
  }
  static std::optional<double> number(const YamlNode& node) {
    const std::optional<json> value = typed(node);
    if (!value || !value->is_number()) return std::nullopt;
    return value->get<double>();
  }

  static std::string kind(const YamlNode& node) {
    switch (node.type()) {
      case YamlNode::Type::kUndefined:
      case YamlNode::Type::kNull:
        return "nothing";
      case YamlNode::Type::kScalar:
        return "a scalar";
      case YamlNode::Type::kSequence:
        return "a list";
      case YamlNode::Type::kMap:
        return "a mapping";
    }
    return "something else";
  }
  static std::string describe(const YamlNode& node) {
    if (node.is_scalar()) return "'" + node.scalar() + "'";
    return kind(node);
  }

  static int line_of(const YamlNode& node, int fallback) {
    return node.is_defined() ? node.line() : fallback;
  }

  const std::string& file() const { return file_; }

 private:
  // A mapping key by the YAML module's rule, a list or mapping as a key
  // failing with the key's line and the mapping's path.
  std::string key_text(const YamlNode& key, const Field& map) const {
    try {
      return detail::yaml_key_text(key);
    } catch (const YamlSyntaxError& e) {
      fail(e.line(), map.path, e.what());
    }
  }

  json to_json(const YamlNode& node, const Field& root) const {
    switch (node.type()) {
      case YamlNode::Type::kUndefined:
      case YamlNode::Type::kNull:
        return nullptr;
      case YamlNode::Type::kScalar:
        return typed(node).value_or(json(node.scalar()));
      case YamlNode::Type::kSequence: {
        json out = json::array();
        for (const YamlNode& item : node.items()) out.push_back(to_json(item, root));
        return out;
      }
      case YamlNode::Type::kMap: {
        json out = json::object();
        for (const auto& [key, value] : node.entries()) {
          out[key_text(key, root)] = to_json(value, root);
        }
        return out;
      }
    }
    return nullptr;
  }

  std::string file_;
};

RelationMeta parse_relation(const Parser& p, const std::string& name, RelationRole role,
                            const Field& f) {
  RelationMeta meta;
  meta.relation_name = name;
  meta.role = role;
  if (f.node.is_scalar()) {
    // Short form: "endpoint: interface".
    meta.interface_name = p.string_value(f);
    if (meta.interface_name.empty()) p.fail(f, "missing interface");
    return meta;
  }
  if (!f.node.is_map()) {
    p.fail(f, "expected a mapping with an 'interface' key, got " + Parser::kind(f.node));
  }
  meta.interface_name = p.required_string(f, "interface");
  Field limit = p.child(f, "limit");
  if (Parser::present(limit)) {
    meta.limit = p.int_value(limit);
    if (*meta.limit < 0) p.fail(limit, "must not be negative");
  }
  Field scope = p.child(f, "scope");
  if (Parser::present(scope)) {
    meta.scope = p.string_value(scope);
    if (meta.scope != "global" && meta.scope != "container") {
      p.fail(scope, "expected 'global' or 'container', got '" + meta.scope + "'");
    }
  }
  meta.optional = p.optional_bool(f, "optional", false);
  return meta;
}

// Juju's storage count grammar (internal/charm/meta.go, storageCountC): an
// integer m > 0 (m..m), or "m-n", "m-" or "m+" (m..unbounded). The maximum
// must not be 0 (Meta.Check).
void parse_multiple_range(const Parser& p, const Field& f, StorageMeta& meta) {
  const std::string text = p.string_value(f);
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (digits(text)) {  // an int, or a string schema.Int() parses
    const int m = std::stoi(text);
    if (m <= 0) p.fail(f, "invalid count " + text + " (must be at least 1)");
    meta.multiple_min = m;
    meta.multiple_max = m;
    return;
  }
  const std::size_t sep = text.find_first_of("-+");
  const std::string low = text.substr(0, sep);
  if (sep == std::string::npos || !digits(low)) {
    p.fail(f, "value '" + text + "' does not match 'm', 'm-n', 'm-' or 'm+'");
  }
  const std::string rest = text.substr(sep + 1);
  meta.multiple_min = std::stoi(low);
  if (rest.empty()) return;  // "m-" or "m+": no upper bound
  if (text[sep] == '+' || !digits(rest)) {
    p.fail(f, "value '" + text + "' does not match 'm', 'm-n', 'm-' or 'm+'");
  }
  meta.multiple_max = std::stoi(rest);
  if (*meta.multiple_max == 0) p.fail(f, "invalid maximum count 0");
}

// Juju's size grammar (utils.ParseSize): a non-negative number with an
// optional suffix M, G, T, P, E, Z or Y, each alone or followed by "B" or "iB".
void check_size(const Parser& p, const Field& f, const std::string& text) {
  const std::size_t end = text.find_first_not_of("0123456789.");
  const std::string number = text.substr(0, end);
  const std::string suffix = end == std::string::npos ? "" : text.substr(end);
  bool suffix_ok = suffix.empty();
  for (char unit : std::string_view("MGTPEZY")) {
    const std::string base(1, unit);
    if (suffix == base || suffix == base + "B" || suffix == base + "iB") suffix_ok = true;
  }
  if (!suffix_ok) {
    p.fail(f, "invalid multiplier suffix '" + suffix + "', expected one of M, G, T, P, E, Z, Y");
  }
  char* parsed_end = nullptr;
  errno = 0;
  const double value = number.empty() ? -1 : std::strtod(number.c_str(), &parsed_end);
  if (number.empty() || parsed_end != number.c_str() + number.size() || errno == ERANGE ||
      value < 0) {
    p.fail(f, "expected a non-negative number, got '" + number + "'");
  }
}

StorageMeta parse_storage(const Parser& p, const std::string& name, const Field& f) {
  p.require_map(f);
  StorageMeta meta;
  meta.storage_name = name;
  meta.type = p.required_string(f, "type");
  if (meta.type != "filesystem" && meta.type != "block") {
    p.fail(p.child(f, "type"), "expected 'filesystem' or 'block', got '" + meta.type + "'");
  }
  Field location = p.child(f, "location");
  if (Parser::present(location)) {
    meta.location = p.string_value(location);
    if (meta.type != "filesystem") {
      p.fail(location, "location may not be specified for \"type: " + meta.type + "\"");
    }
  }
  meta.description = p.optional_string(f, "description");
  meta.shared = p.optional_bool(f, "shared", false);
  meta.read_only = p.optional_bool(f, "read-only", false);
  meta.minimum_size = p.optional_string(f, "minimum-size");
  if (!meta.minimum_size.empty()) check_size(p, p.child(f, "minimum-size"), meta.minimum_size);
  Field properties = p.child(f, "properties");
  meta.properties = p.string_list(properties);
  for (std::size_t i = 0; i < meta.properties.size(); ++i) {
    if (meta.properties[i] != "transient") {
      p.fail(Field{properties.node[i], properties.path + "[" + std::to_string(i) + "]",
                   Parser::line_of(properties.node[i], properties.line)},
             "expected 'transient' (the only storage property Juju knows), got '" +
                 meta.properties[i] + "'");
    }
  }
  Field multiple = p.child(f, "multiple");
  if (p.optional_map(multiple)) {
    Field range = p.child(multiple, "range");
    if (!Parser::present(range)) p.fail(range, "missing (required when 'multiple' is given)");
    parse_multiple_range(p, range, meta);
  }
  return meta;
}

ContainerMeta parse_container(const Parser& p, const std::string& name, const Field& f,
                              const std::map<std::string, StorageMeta>& storages) {
  ContainerMeta meta;
  meta.name = name;
  if (!p.optional_map(f)) return meta;
  Field resource = p.child(f, "resource");
  if (Parser::present(resource)) meta.resource = p.string_value(resource);
  Field bases = p.child(f, "bases");
  if (Parser::present(bases)) {
    if (!bases.node.is_sequence())
      p.fail(bases, "expected a list, got " + Parser::kind(bases.node));
    if (meta.resource) p.fail(bases, "a container may specify a resource or bases, not both");
    for (std::size_t i = 0; i < bases.node.size(); ++i) {
      Field base{bases.node[i], bases.path + "[" + std::to_string(i) + "]",
                 Parser::line_of(bases.node[i], bases.line)};
      p.require_map(base);
      ContainerBase b;
      b.os_name = p.required_string(base, "name");
      b.channel = p.required_string(base, "channel");
      Field architectures = p.child(base, "architectures");
      if (!Parser::present(architectures)) p.fail(architectures, "missing (required)");
      b.architectures = p.string_list(architectures);
      meta.bases.push_back(std::move(b));
    }
  }
  for (const char* key : {"uid", "gid"}) {
    Field id = p.child(f, key);
    if (!Parser::present(id)) continue;
    const int value = p.int_value(id);
    if (value >= 1000 && value < 10000) {
      p.fail(id, "invalid " + std::string(key) + " " + std::to_string(value) + ": " + key +
                     " cannot be in reserved range 1000-9999");
    }
    (std::string_view(key) == "uid" ? meta.uid : meta.gid) = value;
  }
  Field mounts = p.child(f, "mounts");
  if (!Parser::present(mounts)) return meta;
  if (!mounts.node.is_sequence())
    p.fail(mounts, "expected a list, got " + Parser::kind(mounts.node));
  for (std::size_t i = 0; i < mounts.node.size(); ++i) {
    Field mount{mounts.node[i], mounts.path + "[" + std::to_string(i) + "]",
                Parser::line_of(mounts.node[i], mounts.line)};
    p.require_map(mount);
    const std::string storage = p.required_string(mount, "storage");
    if (storages.find(storage) == storages.end()) {
      p.fail(p.child(mount, "storage"), "no storage named '" + storage + "' is declared");
    }
    // Juju refuses a mount without its location ("location must be specified on mount").
    const std::string location = p.required_string(mount, "location");
    auto [it, inserted] = meta.mounts.try_emplace(storage, ContainerStorageMeta{storage, {}});
    it->second.locations.push_back(location);
  }
  return meta;
}

ResourceMeta parse_resource(const Parser& p, const std::string& name, const Field& f) {
  p.require_map(f);
  ResourceMeta meta;
  meta.resource_name = name;
  meta.type = p.optional_string(f, "type", "file");
  if (meta.type != "file" && meta.type != "oci-image") {
    p.fail(p.child(f, "type"), "expected 'file' or 'oci-image', got '" + meta.type + "'");
  }
  Field filename = p.child(f, "filename");
  if (Parser::present(filename)) meta.filename = p.string_value(filename);
  if (meta.type == "file") {
    if (!meta.filename || meta.filename->empty()) p.fail(filename, "resource missing filename");
    if (meta.filename->find('/') != std::string::npos) {
      p.fail(filename, "filename cannot contain \"/\" (got '" + *meta.filename + "')");
    }
  }
  meta.description = p.optional_string(f, "description");
  return meta;
}

// website/source/issues/docs, or the same under `links:` (ops' _load_links).
void parse_links(const Parser& p, const Field& root, CharmMeta& meta) {
  Field links = p.child(root, "links");
  const bool has_links = p.optional_map(links);
  auto one_or_many = [&](const char* key, const char* links_key) {
    const bool top = Parser::present(p.child(root, key));
    const Field f = top || !has_links ? p.child(root, key) : p.child(links, links_key);
    if (!Parser::present(f)) return std::vector<std::string>{};
    if (f.node.is_scalar()) return std::vector<std::string>{p.string_value(f)};
    return p.string_list(f);
  };
  meta.links.websites = one_or_many("website", "website");
  meta.links.sources = one_or_many("source", "source");
  meta.links.issues = one_or_many("issues", "issues");
  const bool top_docs = Parser::present(p.child(root, "docs"));
  const Field docs =
      top_docs || !has_links ? p.child(root, "docs") : p.child(links, "documentation");
  if (Parser::present(docs)) meta.links.documentation = p.string_value(docs);
  if (has_links) {
    Field contact = p.child(links, "contact");
    if (Parser::present(contact)) meta.maintainers.push_back(p.string_value(contact));
  }
}

// Juju refuses metadata mixing v1-only keys (series, deployment,
// min-juju-version) with v2-only keys (containers, assumes, charm-user).
void check_unambiguous_format(const Parser& p, const Field& root) {
  std::vector<std::string> v1, v2;
  for (const char* key : {"series", "deployment", "min-juju-version"}) {
    if (p.child(root, key).node.is_defined()) v1.emplace_back(key);
  }
  for (const char* key : {"assumes", "charm-user", "containers"}) {
    if (p.child(root, key).node.is_defined()) v2.emplace_back(key);
  }
  if (v1.empty() || v2.empty()) return;
  auto join = [](const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& key : keys) out += (out.empty() ? "\"" : ", \"") + key + "\"";
    return out;
  };
  p.fail(p.child(root, v1.front()),
         "ambiguous metadata: keys " + join(v1) + " cannot be used with " + join(v2));
}

// A Juju version number: major.minor.patch or major.minor-tag+build... (version.Parse).
bool is_juju_version(const std::string& text) {
  std::size_t i = 0;
  auto number = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (!number() || i >= text.size() || text[i++] != '.' || !number()) return false;
  if (i < text.size() && text[i] == '-') {  // major.minor-tagpatch
    ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    if (i == start || !number()) return false;
  } else if (i < text.size() && text[i] == '.') {
    ++i;
    if (!number()) return false;
  } else {
    return false;
  }
  if (i < text.size() && text[i] == '.') {  // .build
    ++i;
    if (!number()) return false;
  }
  return i == text.size();
}

// Juju reserves the endpoint name "juju" and the "juju-" prefix (except
// for container-scoped requires of subordinates), and "juju*" interfaces
// for provides and peers, unless the charm's own name starts with "juju-".
void check_reserved(const Parser& p, const CharmMeta& meta, const RelationMeta& rel,
                    const Field& entry) {
  if (meta.name.rfind("juju-", 0) == 0) return;
  auto reserved = [](const std::string& name) {
    return name == "juju" || name.rfind("juju-", 0) == 0;
  };
  const bool subordinate_exception =
      meta.subordinate && rel.role == RelationRole::kRequires && rel.scope == "container";
  if (!subordinate_exception && reserved(rel.relation_name)) {
    p.fail(entry,
           "charm '" + meta.name + "' using a reserved relation name: '" + rel.relation_name + "'");
  }
  if (rel.role != RelationRole::kRequires && reserved(rel.interface_name)) {
    p.fail(entry, "charm '" + meta.name + "' relation '" + rel.relation_name +
                      "' using a reserved interface: '" + rel.interface_name + "'");
  }
}

DeviceMeta parse_device(const Parser& p, const std::string& name, const Field& f) {
  p.require_map(f);
  DeviceMeta device;
  device.name = name;
  device.type = p.required_string(f, "type");
  device.description = p.optional_string(f, "description");
  for (const char* key : {"countmin", "countmax"}) {
    Field count = p.child(f, key);
    if (!Parser::present(count)) continue;
    const int value = p.int_value(count);
    if (value < 0) p.fail(count, "invalid device count " + std::to_string(value));
    (std::string_view(key) == "countmin" ? device.count_min : device.count_max) = value;
  }
  if (device.count_min > device.count_max) {
    p.fail(f, "maximum count " + std::to_string(device.count_max) +
                  " can not be smaller than minimum count " + std::to_string(device.count_min));
  }
  return device;
}

// Parses the metadata keys (metadata.yaml, or the top of charmcraft.yaml).
void parse_metadata(const Parser& p, const Field& root, CharmMeta& meta) {
  if (!root.node.is_map())
    p.fail(root, "expected a mapping at the top, got " + Parser::kind(root.node));
  meta.name = p.required_string(root, "name");
  meta.display_name = p.optional_string(root, "display-name");
  if (meta.display_name.empty()) meta.display_name = p.optional_string(root, "title");
  meta.summary = p.optional_string(root, "summary");
  meta.description = p.optional_string(root, "description");
  Field maintainer = p.child(root, "maintainer");
  if (Parser::present(maintainer)) meta.maintainers.push_back(p.string_value(maintainer));
  for (auto& m : p.string_list(p.child(root, "maintainers"))) meta.maintainers.push_back(m);
  meta.tags = p.string_list(p.child(root, "tags"));
  meta.series = p.string_list(p.child(root, "series"));
  meta.categories = p.string_list(p.child(root, "categories"));
  meta.terms = p.string_list(p.child(root, "terms"));
  meta.subordinate = p.optional_bool(root, "subordinate", false);
  parse_links(p, root, meta);
  check_unambiguous_format(p, root);
  Field min_juju = p.child(root, "min-juju-version");
  if (Parser::present(min_juju)) {
    meta.min_juju_version = p.string_value(min_juju);
    if (!is_juju_version(*meta.min_juju_version)) {
      p.fail(min_juju, "invalid min-juju-version '" + *meta.min_juju_version +
                           "' (expected a version like 2.9.0)");
    }
  }
  Field charm_user = p.child(root, "charm-user");
  if (Parser::present(charm_user)) {
    meta.charm_user = p.string_value(charm_user);
    if (meta.charm_user != "root" && meta.charm_user != "sudoer" && meta.charm_user != "non-root") {
      p.fail(charm_user, "invalid charm-user '" + meta.charm_user +
                             "' expected one of root, sudoer or non-root");
    }
  }

  // Juju's schema: a mapping of binding names to nothing.
  Field bindings = p.child(root, "extra-bindings");
  if (Parser::present(bindings)) {
    if (!bindings.node.is_map()) {
      p.fail(bindings, "expected a mapping, got " + Parser::kind(bindings.node));
    }
    if (bindings.node.size() == 0)
      p.fail(bindings, "extra bindings cannot be empty when specified");
    p.each_entry(bindings, [&](const std::string& key, const Field& value) {
      if (Parser::present(value))
        p.fail(value, "expected nothing (null), got " + Parser::describe(value.node));
      meta.extra_bindings.push_back(key);
    });
  }

  struct Section {
    const char* key;
    RelationRole role;
    std::map<std::string, RelationMeta>* out;
  };
  const Section sections[] = {{"requires", RelationRole::kRequires, &meta.requires_relations},
                              {"provides", RelationRole::kProvides, &meta.provides_relations},
                              {"peers", RelationRole::kPeer, &meta.peer_relations}};
  std::map<std::string, std::string> endpoint_section;
  for (const Section& section : sections) {
    Field f = p.child(root, section.key);
    if (!p.optional_map(f)) continue;
    p.each_entry(f, [&](const std::string& name, const Field& entry) {
      auto [it, inserted] = endpoint_section.emplace(name, section.key);
      if (!inserted) {
        p.fail(entry, "endpoint name '" + name + "' is already declared under '" + it->second +
                          "'; endpoint names must be unique");
      }
      RelationMeta rel = parse_relation(p, name, section.role, entry);
      check_reserved(p, meta, rel, entry);
      section.out->emplace(name, rel);
      meta.relations.emplace(name, std::move(rel));
    });
  }

  Field storage = p.child(root, "storage");
  if (p.optional_map(storage)) {
    p.each_entry(storage, [&](const std::string& name, const Field& entry) {
      meta.storages.emplace(name, parse_storage(p, name, entry));
    });
  }
  Field containers = p.child(root, "containers");
  if (p.optional_map(containers)) {
    p.each_entry(containers, [&](const std::string& name, const Field& entry) {
      meta.containers.emplace(name, parse_container(p, name, entry, meta.storages));
    });
  }
  Field resources = p.child(root, "resources");
  if (p.optional_map(resources)) {
    p.each_entry(resources, [&](const std::string& name, const Field& entry) {
      meta.resources.emplace(name, parse_resource(p, name, entry));
    });
  }
  for (const auto& [name, container] : meta.containers) {
    if (!container.resource) continue;
    const auto resource = meta.resources.find(*container.resource);
    if (resource == meta.resources.end()) {
      p.fail(p.child(p.child(containers, name), "resource"),
             "no resource named '" + *container.resource + "' is declared");
    }
    if (resource->second.type != "oci-image") {
      p.fail(p.child(p.child(containers, name), "resource"),
             "referenced resource '" + *container.resource + "' is not a oci-image");
    }
  }
  Field payloads = p.child(root, "payloads");
  if (p.optional_map(payloads)) {
    p.each_entry(payloads, [&](const std::string& name, const Field& entry) {
      p.require_map(entry);
      meta.payloads.emplace(name, PayloadMeta{name, p.required_string(entry, "type")});
    });
  }
  Field devices = p.child(root, "devices");
  if (p.optional_map(devices)) {
    p.each_entry(devices, [&](const std::string& name, const Field& entry) {
      meta.devices.emplace(name, parse_device(p, name, entry));
    });
  }
  for (const std::string& binding : meta.extra_bindings) {
    if (meta.relations.count(binding) != 0) {
      p.fail(p.child(bindings, binding),
             "relation '" + binding + "' cannot be used in extra bindings");
    }
  }
  if (meta.subordinate) {
    const bool container_scoped =
        std::any_of(meta.requires_relations.begin(), meta.requires_relations.end(),
                    [](const auto& entry) { return entry.second.scope == "container"; });
    if (!container_scoped) {
      p.fail(p.child(root, "subordinate"),
             "subordinate charm '" + meta.name +
                 "' lacks a \"requires\" relation with container scope");
    }
  }
  Field assumes = p.child(root, "assumes");
  if (Parser::present(assumes)) {
    if (!assumes.node.is_sequence())
      p.fail(assumes, "expected a list, got " + Parser::kind(assumes.node));
    meta.assumes = p.to_json(assumes);
  }
}

// Parses the actions mapping (actions.yaml's top, or charmcraft.yaml's `actions:`).
void parse_actions(const Parser& p, const Field& actions, CharmMeta& meta) {
  if (!p.optional_map(actions)) return;
  p.each_entry(actions, [&](const std::string& name, const Field& f) {
    ActionMeta action;
    action.name = name;
    if (p.optional_map(f)) {
      action.title = p.optional_string(f, "title");
      action.description = p.optional_string(f, "description");
      Field params = p.child(f, "params");
      if (p.optional_map(params)) action.parameters = p.to_json(params);
      action.required = p.string_list(p.child(f, "required"));
      action.additional_properties = p.optional_bool(f, "additionalProperties", true);
    }
    meta.actions.emplace(name, std::move(action));
  });
}

// Checks an option's default against its type and converts it to JSON.
nlohmann::json parse_default(const Parser& p, const Field& f, const std::string& type) {
  if (type == "string" || type == "secret") {
    if (!f.node.is_scalar())
      p.fail(f, "expected a string (the option's type), got " + Parser::kind(f.node));
    return f.node.scalar();
  }
  if (type == "boolean") return p.bool_value(f);
  if (type == "int") {
    const std::optional<long long> value = Parser::integer(f.node);
    if (!value)
      p.fail(f, "expected an integer (the option's type), got " + Parser::describe(f.node));
    return *value;
  }
  // float: integers are fine too.
  const std::optional<double> value = Parser::number(f.node);
  if (!value) p.fail(f, "expected a number (the option's type), got " + Parser::describe(f.node));
  return *value;
}

// Parses the config mapping whose `options:` holds the options.
void parse_config(const Parser& p, const Field& config, CharmMeta& meta) {
  if (!p.optional_map(config)) return;
  Field options = p.child(config, "options");
  if (!p.optional_map(options)) return;
  p.each_entry(options, [&](const std::string& name, const Field& f) {
    p.require_map(f);
    ConfigOption option;
    option.name = name;
    Field type = p.child(f, "type");
    if (!Parser::present(type)) p.fail(type, "missing (required)");
    option.type = p.string_value(type);
    static const char* const kTypes[] = {"string", "int", "float", "boolean", "secret"};
    if (std::find(std::begin(kTypes), std::end(kTypes), option.type) == std::end(kTypes)) {
      p.fail(type, "unknown option type '" + option.type +
                       "' (expected string, int, float, boolean or secret)");
    }
    option.description = p.optional_string(f, "description");
    Field def = p.child(f, "default");
    if (Parser::present(def)) option.default_value = parse_default(p, def, option.type);
    meta.config.emplace(name, std::move(option));
  });
}

}  // namespace

const std::string& ContainerStorageMeta::location() const {
  if (locations.size() != 1) {
    throw Error("container has " + std::to_string(locations.size()) +
                " mount points for storage '" + storage + "': use locations");
  }
  return locations.front();
}

namespace {

// The file's bytes, nullopt when it does not exist. With the system calls
// rather than a stream: every dispatch reads these files.
std::optional<std::string> read_file(const std::filesystem::path& path) {
  const detail::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int error = errno;
    if (error == ENOENT) return std::nullopt;
    throw CharmMetaError(path.string() + ": cannot be read: " + std::strerror(error));
  }
  try {
    return detail::read_all(fd.get(), path.native());
  } catch (const std::system_error& e) {
    throw CharmMetaError(path.string() + ": cannot be read: " + std::strerror(e.code().value()));
  }
}

}  // namespace

CharmMeta CharmMeta::from_yaml(std::string_view metadata, std::string_view actions,
                               std::string_view config) {
  CharmMeta meta;
  Parser metadata_parser("metadata.yaml");
  parse_metadata(metadata_parser, metadata_parser.load(metadata), meta);
  Parser actions_parser("actions.yaml");
  Field actions_root = actions_parser.load(actions);
  if (Parser::present(actions_root) && !actions_root.node.is_map()) {
    actions_parser.fail(actions_root,
                        "expected a mapping at the top, got " + Parser::kind(actions_root.node));
  }
  parse_actions(actions_parser, actions_root, meta);
  Parser config_parser("config.yaml");
  Field config_root = config_parser.load(config);
  if (Parser::present(config_root) && !config_root.node.is_map()) {
    config_parser.fail(config_root,
                       "expected a mapping at the top, got " + Parser::kind(config_root.node));
  }
  parse_config(config_parser, config_root, meta);
  return meta;
}

CharmMeta CharmMeta::from_charmcraft_yaml(std::string_view charmcraft) {
  CharmMeta meta;
  Parser p("charmcraft.yaml");
  Field root = p.load(charmcraft);
  parse_metadata(p, root, meta);
  parse_actions(p, p.child(root, "actions"), meta);
  parse_config(p, p.child(root, "config"), meta);
  return meta;
}

CharmMeta CharmMeta::from_charm_dir(const std::filesystem::path& dir) {
  std::optional<std::string> metadata = read_file(dir / "metadata.yaml");
  std::optional<std::string> charmcraft = read_file(dir / "charmcraft.yaml");
  if (!metadata) {
    if (!charmcraft) {
      throw CharmMetaError(dir.string() +
                           ": not a charm directory: neither metadata.yaml nor charmcraft.yaml "
                           "exists");
    }
    return from_charmcraft_yaml(*charmcraft);
  }
  std::optional<std::string> actions = read_file(dir / "actions.yaml");
  std::optional<std::string> config = read_file(dir / "config.yaml");
  CharmMeta meta = from_yaml(*metadata, actions.value_or(""), config.value_or(""));
  // Like Python ops: actions and config missing from their own files may
  // come from charmcraft.yaml.
  if (charmcraft && (!actions || !config)) {
    Parser p("charmcraft.yaml");
    Field root = p.load(*charmcraft);
    if (Parser::present(root) && root.node.is_map()) {
      if (!actions) parse_actions(p, p.child(root, "actions"), meta);
      if (!config) parse_config(p, p.child(root, "config"), meta);
    }
  }
  return meta;
}

}  // namespace ops
