// Pebble configuration and information types: JSON and YAML conversion,
// layer combination, errors, durations.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "ops/detail/pebble_model.hpp"
#include "ops/detail/yaml.hpp"
#include "ops/pebble.hpp"

namespace ops::pebble {

using nlohmann::json;

std::string socket_path(std::string_view container_name) {
  const char* dir = std::getenv(kSocketDirEnv);
  std::string base = (dir != nullptr && *dir != '\0') ? dir : "/charm/containers";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "/" + std::string(container_name) + "/pebble.socket";
}

// ---------------------------------------------------------------- errors

APIError::APIError(json body, int code, std::string status, std::string message)
    : Error(message),
      body_(std::move(body)),
      code_(code),
      status_(std::move(status)),
      message_(std::move(message)) {}

PathError::PathError(std::string kind, std::string message)
    : Error(kind + " - " + message), kind_(std::move(kind)), message_(std::move(message)) {}

namespace {

std::string change_error_text(const std::string& err, const Change& change) {
  std::string text = err;
  bool any_log = false;
  for (std::size_t i = 0; i < change.tasks.size(); ++i) {
    const auto& task = change.tasks[i];
    if (task.log.empty()) continue;
    any_log = true;
    text += "\n----- Logs from task " + std::to_string(i) + " -----\n";
    for (std::size_t k = 0; k < task.log.size(); ++k) {
      if (k > 0) text += "\n";
      text += task.log[k];
    }
  }
  if (any_log) text += "\n-----";
  return text;
}

constexpr std::size_t kExecErrorMaxOutput = 1024;

std::string quote_output(const std::string& out) {
  std::string shown = json(out.substr(0, kExecErrorMaxOutput)).dump();
  if (out.size() > kExecErrorMaxOutput) shown += " [truncated]";
  return shown;
}

std::string exec_error_text(const std::vector<std::string>& command, int exit_code,
                            const std::optional<std::string>& out,
                            const std::optional<std::string>& err) {
  std::string text =
      "non-zero exit code " + std::to_string(exit_code) + " executing " + json(command).dump();
  if (out) text += ", stdout=" + quote_output(*out);
  if (err) text += ", stderr=" + quote_output(*err);
  return text;
}

}  // namespace

ChangeError::ChangeError(std::string err, const Change& change)
    : Error(change_error_text(err, change)),
      err_(std::move(err)),
      change_(std::make_shared<const Change>(change)) {}

ExecError::ExecError(std::vector<std::string> command, int exit_code,
                     std::optional<std::string> stdout_text, std::optional<std::string> stderr_text)
    : Error(exec_error_text(command, exit_code, stdout_text, stderr_text)),
      command_(std::move(command)),
      exit_code_(exit_code),
      stdout_(std::move(stdout_text)),
      stderr_(std::move(stderr_text)) {}

// -------------------------------------------------------------- durations

std::string format_duration(Duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3fs", d.count());
  return buf;
}

Duration parse_duration(std::string_view text) {
  const std::string original(text);
  auto bad = [&]() { return ProtocolError("invalid duration \"" + original + "\""); };
  if (text.empty()) throw bad();
  double sign = 1;
  if (text.front() == '-' || text.front() == '+') {
    if (text.front() == '-') sign = -1;
    text.remove_prefix(1);
  }
  if (text == "0") return Duration(0);
  if (text.empty()) throw bad();
  double total = 0;
  while (!text.empty()) {
    std::size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.'))
      ++n;
    if (n == 0) throw bad();
    const std::string number(text.substr(0, n));
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) throw bad();
    text.remove_prefix(n);
    std::size_t u = 0;
    while (u < text.size() && !std::isdigit(static_cast<unsigned char>(text[u])) && text[u] != '.')
      ++u;
    const std::string_view unit = text.substr(0, u);
    double scale = 0;
    if (unit == "ns") {
      scale = 1e-9;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = 1e-6;
    } else if (unit == "ms") {
      scale = 1e-3;
    } else if (unit == "s") {
      scale = 1;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "h") {
      scale = 3600;
    } else {
      throw bad();
    }
    total += value * scale;
    text.remove_prefix(u);
  }
  return Duration(sign * total);
}

// ---------------------------------------------------- lenient JSON helpers
//
// Layers may come from YAML, where every scalar is text; numbers and booleans
// are therefore accepted either as JSON numbers or as their text.

namespace {

[[noreturn]] void bad_field(const std::string& field, const json& value, const char* expected) {
  throw ProtocolError("field \"" + field + "\": expected " + expected + ", got " + value.dump());
}

std::string as_string(const std::string& field, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  bad_field(field, v, "a string");
}

std::int64_t as_int(const std::string& field, const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  bad_field(field, v, "an integer");
}

double as_double(const std::string& field, const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  bad_field(field, v, "a number");
}

bool as_bool(const std::string& field, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  bad_field(field, v, "a boolean");
}

void check_object(const std::string& what, const json& j) {
  if (!j.is_object()) bad_field(what, j, "a mapping");
}

void read(const json& j, const char* key, std::optional<std::string>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_string(key, *it);
}
void read(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_string(key, *it);
}
void read(const json& j, const char* key, std::optional<std::int64_t>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_int(key, *it);
}
void read(const json& j, const char* key, std::int64_t& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_int(key, *it);
}
void read(const json& j, const char* key, int& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = static_cast<int>(as_int(key, *it));
}
void read(const json& j, const char* key, std::optional<double>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_double(key, *it);
}
void read(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = as_bool(key, *it);
}
void read(const json& j, const char* key, std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array()) bad_field(key, *it, "a list");
  out.clear();
  for (const auto& item : *it) out.push_back(as_string(key, item));
}
void read(const json& j, const char* key, std::map<std::string, std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_object()) bad_field(key, *it, "a mapping");
  out.clear();
  for (const auto& [k, v] : it->items()) out[k] = v.is_null() ? "" : as_string(key, v);
}
// Requires the field: a missing field is a protocol error.
template <typename T>
void require(const json& j, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key)) {
    throw ProtocolError(std::string("missing field \"") + key + "\" in " + j.dump());
  }
  read(j, key, out);
}

template <typename T>
void write(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void write(json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}
void write(json& j, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}

// Merge helpers of combine(), as Pebble's Merge methods (internals/plan):
// a string replaces when set and not empty, an integer when set and not
// zero (ids: when set), a duration or factor when set; lists append, keeping
// duplicates; maps merge key by key. `override` itself is never merged: the
// combined entry keeps the one it was created (or last replaced) with.
void merge(std::optional<std::string>& base, const std::optional<std::string>& other) {
  if (other && !other->empty()) base = other;
}
void merge_nonzero(std::optional<std::int64_t>& base, const std::optional<std::int64_t>& other) {
  if (other && *other != 0) base = other;
}
template <typename T>
void merge_set(std::optional<T>& base, const std::optional<T>& other) {
  if (other) base = other;
}
void merge(std::vector<std::string>& base, const std::vector<std::string>& other) {
  base.insert(base.end(), other.begin(), other.end());
}
void merge(std::map<std::string, std::string>& base,
           const std::map<std::string, std::string>& other) {
  for (const auto& [k, v] : other) base[k] = v;
}

bool replaces(const std::optional<std::string>& override) {
  return override && *override == "replace";
}

// YAML -> JSON. Scalars become strings (or null); the lenient readers above
// turn them into numbers where a field needs one. YAML is read by
// ops/detail/yaml.hpp, which keeps yaml-cpp's view of a node (these rules
// were written against yaml-cpp's YAML::Load).
using ops::detail::YamlNode;
using ops::detail::YamlSyntaxError;

using ops::detail::yaml_key_text;

json yaml_to_json(const YamlNode& node) {
  switch (node.type()) {
    case YamlNode::Type::kUndefined:
    case YamlNode::Type::kNull:
      return nullptr;
    case YamlNode::Type::kScalar: {
      const std::string& s = node.scalar();
      // A plain null is a null node already; this also takes an explicitly
      // tagged null word (!!str null), which yaml-cpp's rule read as null
      // too, but not a tagged empty scalar (!!str alone), which it read as "".
      if (!node.is_quoted() && !s.empty() && ops::detail::is_yaml_null_word(s)) return nullptr;
      return s;
    }
    case YamlNode::Type::kSequence: {
      json out = json::array();
      for (const YamlNode& item : node.items()) out.push_back(yaml_to_json(item));
      return out;
    }
    case YamlNode::Type::kMap: {
      json out = json::object();
      for (const auto& [key, value] : node.entries()) out[yaml_key_text(key)] = yaml_to_json(value);
      return out;
    }
  }
  return nullptr;
}

json parse_yaml(std::string_view text, const char* what) {
  json j;
  try {
    j = yaml_to_json(ops::detail::load_yaml(text));
  } catch (const YamlSyntaxError& e) {
    throw ProtocolError(std::string("cannot parse ") + what + " YAML: line " +
                        std::to_string(e.line() + 1) + ", column " +
                        std::to_string(e.column() + 1) + ": " + e.what());
  }
  if (j.is_null()) return json::object();
  if (!j.is_object()) throw ProtocolError(std::string(what) + " YAML must be a mapping");
  return j;
}

template <typename T>
void read_named(const json& j, const char* key, std::map<std::string, T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_object()) bad_field(key, *it, "a mapping");
  out.clear();
  for (const auto& [name, value] : it->items()) {
    T item{};
    if (!value.is_null()) {
      try {
        from_json(value, item);
      } catch (const ProtocolError& e) {
        throw ProtocolError(std::string(key) + " \"" + name + "\": " + e.what());
      }
    }
    out[name] = item;
  }
}

template <typename T>
void write_named(json& j, const char* key, const std::map<std::string, T>& items) {
  if (items.empty()) return;
  json& out = j[key] = json::object();
  for (const auto& [name, item] : items) out[name] = item;
}

template <typename T>
void combine_named(std::map<std::string, T>& base, const std::map<std::string, T>& other) {
  for (const auto& [name, item] : other) {
    auto it = base.find(name);
    if (it == base.end()) {
      base[name] = item;
    } else {
      it->second.combine(item);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- Service

void Service::combine(const Service& other) {
  if (replaces(other.override)) {
    *this = other;
    return;
  }
  merge(summary, other.summary);
  merge(description, other.description);
  merge(command, other.command);
  merge(startup, other.startup);
  merge(after, other.after);
  merge(before, other.before);
  merge(requires_, other.requires_);
  merge(environment, other.environment);
  merge(user, other.user);
  merge_set(user_id, other.user_id);
  merge(group, other.group);
  merge_set(group_id, other.group_id);
  merge(working_dir, other.working_dir);
  merge(on_success, other.on_success);
  merge(on_failure, other.on_failure);
  merge(on_check_failure, other.on_check_failure);
  merge_set(backoff_delay, other.backoff_delay);
  merge_set(backoff_factor, other.backoff_factor);
  merge_set(backoff_limit, other.backoff_limit);
  merge_set(kill_delay, other.kill_delay);
}

void to_json(json& j, const Service& v) {
  j = json::object();
  write(j, "summary", v.summary);
  write(j, "description", v.description);
  write(j, "override", v.override);
  write(j, "command", v.command);
  write(j, "startup", v.startup);
  write(j, "after", v.after);
  write(j, "before", v.before);
  write(j, "requires", v.requires_);
  write(j, "environment", v.environment);
  write(j, "user", v.user);
  write(j, "user-id", v.user_id);
  write(j, "group", v.group);
  write(j, "group-id", v.group_id);
  write(j, "working-dir", v.working_dir);
  write(j, "on-success", v.on_success);
  write(j, "on-failure", v.on_failure);
  write(j, "on-check-failure", v.on_check_failure);
  write(j, "backoff-delay", v.backoff_delay);
  write(j, "backoff-factor", v.backoff_factor);
  write(j, "backoff-limit", v.backoff_limit);
  write(j, "kill-delay", v.kill_delay);
}

void from_json(const json& j, Service& v) {
  check_object("service", j);
  v = Service{};
  read(j, "summary", v.summary);
  read(j, "description", v.description);
  read(j, "override", v.override);
  read(j, "command", v.command);
  read(j, "startup", v.startup);
  read(j, "after", v.after);
  read(j, "before", v.before);
  read(j, "requires", v.requires_);
  read(j, "environment", v.environment);
  read(j, "user", v.user);
  read(j, "user-id", v.user_id);
  read(j, "group", v.group);
  read(j, "group-id", v.group_id);
  read(j, "working-dir", v.working_dir);
  read(j, "on-success", v.on_success);
  read(j, "on-failure", v.on_failure);
  read(j, "on-check-failure", v.on_check_failure);
  read(j, "backoff-delay", v.backoff_delay);
  read(j, "backoff-factor", v.backoff_factor);
  read(j, "backoff-limit", v.backoff_limit);
  read(j, "kill-delay", v.kill_delay);
}

// ------------------------------------------------------------------ Check

void Check::combine(const Check& other) {
  if (replaces(other.override)) {
    *this = other;
    return;
  }
  merge(level, other.level);
  merge(startup, other.startup);
  merge_set(period, other.period);
  merge_set(timeout, other.timeout);
  merge_nonzero(threshold, other.threshold);
  if (other.http) {
    if (!http) http.emplace();
    merge(http->url, other.http->url);
    merge(http->headers, other.http->headers);
  }
  if (other.tcp) {
    if (!tcp) tcp.emplace();
    merge_nonzero(tcp->port, other.tcp->port);
    merge(tcp->host, other.tcp->host);
  }
  if (other.exec) {
    if (!exec) exec.emplace();
    merge(exec->command, other.exec->command);
    merge(exec->service_context, other.exec->service_context);
    merge(exec->environment, other.exec->environment);
    merge(exec->user, other.exec->user);
    merge_set(exec->user_id, other.exec->user_id);
    merge(exec->group, other.exec->group);
    merge_set(exec->group_id, other.exec->group_id);
    merge(exec->working_dir, other.exec->working_dir);
  }
}

void to_json(json& j, const Check& v) {
  j = json::object();
  write(j, "override", v.override);
  write(j, "level", v.level);
  write(j, "startup", v.startup);
  write(j, "period", v.period);
  write(j, "timeout", v.timeout);
  write(j, "threshold", v.threshold);
  if (v.http) {
    json h = json::object();
    write(h, "url", v.http->url);
    write(h, "headers", v.http->headers);
    j["http"] = h;
  }
  if (v.tcp) {
    json t = json::object();
    write(t, "port", v.tcp->port);
    write(t, "host", v.tcp->host);
    j["tcp"] = t;
  }
  if (v.exec) {
    json e = json::object();
    write(e, "command", v.exec->command);
    write(e, "service-context", v.exec->service_context);
    write(e, "environment", v.exec->environment);
    write(e, "user", v.exec->user);
    write(e, "user-id", v.exec->user_id);
    write(e, "group", v.exec->group);
    write(e, "group-id", v.exec->group_id);
    write(e, "working-dir", v.exec->working_dir);
    j["exec"] = e;
  }
}

void from_json(const json& j, Check& v) {
  check_object("check", j);
  v = Check{};
  read(j, "override", v.override);
  read(j, "level", v.level);
  read(j, "startup", v.startup);
  read(j, "period", v.period);
  read(j, "timeout", v.timeout);
  read(j, "threshold", v.threshold);
  if (auto it = j.find("http"); it != j.end() && !it->is_null()) {
    check_object("http", *it);
    HttpCheck h;
    read(*it, "url", h.url);
    read(*it, "headers", h.headers);
    v.http = h;
  }
  if (auto it = j.find("tcp"); it != j.end() && !it->is_null()) {
    check_object("tcp", *it);
    TcpCheck t;
    read(*it, "port", t.port);
    read(*it, "host", t.host);
    v.tcp = t;
  }
  if (auto it = j.find("exec"); it != j.end() && !it->is_null()) {
    check_object("exec", *it);
    ExecCheck e;
    read(*it, "command", e.command);
    read(*it, "service-context", e.service_context);
    read(*it, "environment", e.environment);
    read(*it, "user", e.user);
    read(*it, "user-id", e.user_id);
    read(*it, "group", e.group);
    read(*it, "group-id", e.group_id);
    read(*it, "working-dir", e.working_dir);
    v.exec = e;
  }
}

// -------------------------------------------------------------- LogTarget

void LogTarget::combine(const LogTarget& other) {
  if (replaces(other.override)) {
    *this = other;
    return;
  }
  merge(type, other.type);
  merge(location, other.location);
  merge(services, other.services);
  merge(labels, other.labels);
}

void to_json(json& j, const LogTarget& v) {
  j = json::object();
  write(j, "override", v.override);
  write(j, "type", v.type);
  write(j, "location", v.location);
  write(j, "services", v.services);
  write(j, "labels", v.labels);
}

void from_json(const json& j, LogTarget& v) {
  check_object("log target", j);
  v = LogTarget{};
  read(j, "override", v.override);
  read(j, "type", v.type);
  read(j, "location", v.location);
  read(j, "services", v.services);
  read(j, "labels", v.labels);
}

// ------------------------------------------------------------ Layer, Plan

void Layer::combine(const Layer& other) {
  // Pebble's CombineLayers: the summary and description of the last layer.
  summary = other.summary;
  description = other.description;
  combine_named(services, other.services);
  combine_named(checks, other.checks);
  combine_named(log_targets, other.log_targets);
}

void to_json(json& j, const Layer& v) {
  j = json::object();
  write(j, "summary", v.summary);
  write(j, "description", v.description);
  write_named(j, "services", v.services);
  write_named(j, "checks", v.checks);
  write_named(j, "log-targets", v.log_targets);
}

void from_json(const json& j, Layer& v) {
  check_object("layer", j);
  v = Layer{};
  read(j, "summary", v.summary);
  read(j, "description", v.description);
  read_named(j, "services", v.services);
  read_named(j, "checks", v.checks);
  read_named(j, "log-targets", v.log_targets);
}

namespace detail {

std::vector<std::string> yaml_top_level_keys(std::string_view yaml) {
  std::vector<std::string> keys;
  try {
    const YamlNode root = ops::detail::load_yaml(yaml);
    if (!root.is_map()) return keys;
    for (const auto& entry : root.entries()) keys.push_back(yaml_key_text(entry.first));
  } catch (const YamlSyntaxError&) {
    keys.clear();  // the parser of the caller reports the syntax error
  }
  return keys;
}

namespace {

// The fields of Pebble's plan types (their yaml tags), by Go type name.
const std::set<std::string>& known_fields(const std::string& type) {
  static const std::map<std::string, std::set<std::string>> fields = {
      {"plan.Service",
       {"summary",    "description",      "startup",       "override",       "command",
        "after",      "before",           "requires",      "environment",    "user-id",
        "user",       "group-id",         "group",         "working-dir",    "on-success",
        "on-failure", "on-check-failure", "backoff-delay", "backoff-factor", "backoff-limit",
        "kill-delay"}},
      {"plan.Check",
       {"override", "level", "startup", "period", "timeout", "threshold", "http", "tcp", "exec"}},
      {"plan.HTTPCheck", {"url", "headers"}},
      {"plan.TCPCheck", {"port", "host"}},
      {"plan.ExecCheck",
       {"command", "service-context", "environment", "user-id", "user", "group-id", "group",
        "working-dir"}},
      {"plan.LogTarget", {"type", "location", "services", "override", "labels"}},
  };
  return fields.at(type);
}

bool block_collection(const YamlNode& node) {
  return (node.is_map() || node.is_sequence()) && node.size() > 0 && !node.is_flow();
}

int value_lines(const YamlNode& value);

// Lines a block collection takes when go-yaml's encoder writes it.
int collection_lines(const YamlNode& node) {
  int lines = 0;
  if (node.is_map()) {
    for (const auto& entry : node.entries()) lines += 1 + value_lines(entry.second);
  } else {
    for (const YamlNode& item : node.items()) {
      lines += block_collection(item) ? collection_lines(item) : 1 + value_lines(item);
    }
  }
  return lines;
}

// Lines a value takes after the line of its key (a block collection below
// it, a multi-line string as a literal block).
int value_lines(const YamlNode& value) {
  if (block_collection(value)) return collection_lines(value);
  if (value.is_scalar()) {
    const std::string& text = value.scalar();
    if (text.find('\n') == std::string::npos) return 0;
    int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    return text.back() == '\n' ? lines : lines + 1;
  }
  return 0;
}

// Checks the fields of `node` (decoded into Go type `type`) whose key sits
// at `line`; nested check types are checked too.
void check_fields(const YamlNode& node, const std::string& type, int line,
                  std::vector<std::string>& errors) {
  if (!node.is_map()) return;
  const bool block = block_collection(node);
  int at = block ? line + 1 : line;
  for (const auto& entry : node.entries()) {
    const std::string& key = entry.first.scalar();
    if (!known_fields(type).count(key)) {
      errors.push_back("line " + std::to_string(at) + ": field " + key + " not found in type " +
                       type);
    } else if (type == "plan.Check" && (key == "http" || key == "tcp" || key == "exec")) {
      check_fields(entry.second,
                   key == "http"  ? "plan.HTTPCheck"
                   : key == "tcp" ? "plan.TCPCheck"
                                  : "plan.ExecCheck",
                   at, errors);
    }
    if (block) at += 1 + value_lines(entry.second);
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string>> yaml_unknown_fields(std::string_view yaml) {
  YamlNode root;
  try {
    root = ops::detail::load_yaml(yaml);
  } catch (const YamlSyntaxError&) {
    return std::nullopt;  // the parser of the caller reports the syntax error
  }
  if (!root.is_map()) return std::nullopt;
  for (const auto& section : root.entries()) {
    const std::string& name = section.first.scalar();
    const char* type = name == "services"      ? "plan.Service"
                       : name == "checks"      ? "plan.Check"
                       : name == "log-targets" ? "plan.LogTarget"
                                               : nullptr;
    if (type == nullptr || !section.second.is_map()) continue;
    // Pebble re-encodes the section alone before decoding it strictly, so
    // lines count from the section's first entry.
    const bool block = block_collection(section.second);
    int line = 1;
    std::vector<std::string> errors;
    for (const auto& entry : section.second.entries()) {
      check_fields(entry.second, type, line, errors);
      if (block) line += 1 + value_lines(entry.second);
    }
    if (errors.empty()) continue;
    std::string message = "yaml: unmarshal errors:";
    for (const auto& error : errors) message += "\n  " + error;
    return std::make_pair(name, message);
  }
  return std::nullopt;
}

}  // namespace detail

Layer Layer::from_yaml(std::string_view yaml) { return parse_yaml(yaml, "layer").get<Layer>(); }

std::string Layer::to_yaml() const { return ops::detail::dump_yaml(json(*this)); }

void to_json(json& j, const Plan& v) {
  j = json::object();
  write_named(j, "services", v.services);
  write_named(j, "checks", v.checks);
  write_named(j, "log-targets", v.log_targets);
}

void from_json(const json& j, Plan& v) {
  check_object("plan", j);
  v = Plan{};
  read_named(j, "services", v.services);
  read_named(j, "checks", v.checks);
  read_named(j, "log-targets", v.log_targets);
}

Plan Plan::from_yaml(std::string_view yaml) { return parse_yaml(yaml, "plan").get<Plan>(); }

std::string Plan::to_yaml() const { return ops::detail::dump_yaml(json(*this)); }

// ------------------------------------------------------------------ enums

std::string to_string(ServiceStartup v) {
  switch (v) {
    case ServiceStartup::kEnabled:
      return "enabled";
    case ServiceStartup::kDisabled:
      return "disabled";
    case ServiceStartup::kUnknown:
      break;
  }
  return "";
}

std::string to_string(ServiceStatus v) {
  switch (v) {
    case ServiceStatus::kActive:
      return "active";
    case ServiceStatus::kInactive:
      return "inactive";
    case ServiceStatus::kError:
      return "error";
    case ServiceStatus::kBackoff:
      return "backoff";
    case ServiceStatus::kUnknown:
      break;
  }
  return "";
}

ServiceStartup service_startup_from_string(std::string_view s) {
  if (s == "enabled") return ServiceStartup::kEnabled;
  if (s == "disabled") return ServiceStartup::kDisabled;
  return ServiceStartup::kUnknown;
}

ServiceStatus service_status_from_string(std::string_view s) {
  if (s == "active") return ServiceStatus::kActive;
  if (s == "inactive") return ServiceStatus::kInactive;
  if (s == "error") return ServiceStatus::kError;
  if (s == "backoff") return ServiceStatus::kBackoff;
  return ServiceStatus::kUnknown;
}

std::string to_string(CheckLevel v) {
  switch (v) {
    case CheckLevel::kAlive:
      return "alive";
    case CheckLevel::kReady:
      return "ready";
    case CheckLevel::kUnset:
      break;
  }
  return "";
}

std::string to_string(CheckStatus v) {
  switch (v) {
    case CheckStatus::kUp:
      return "up";
    case CheckStatus::kDown:
      return "down";
    case CheckStatus::kInactive:
      return "inactive";
    case CheckStatus::kUnknown:
      break;
  }
  return "";
}

std::string to_string(FileType v) {
  switch (v) {
    case FileType::kFile:
      return "file";
    case FileType::kDirectory:
      return "directory";
    case FileType::kSymlink:
      return "symlink";
    case FileType::kSocket:
      return "socket";
    case FileType::kNamedPipe:
      return "named-pipe";
    case FileType::kDevice:
      return "device";
    case FileType::kUnknown:
      break;
  }
  return "unknown";
}

FileType file_type_from_string(std::string_view s) {
  for (auto t : {FileType::kFile, FileType::kDirectory, FileType::kSymlink, FileType::kSocket,
                 FileType::kNamedPipe, FileType::kDevice}) {
    if (to_string(t) == s) return t;
  }
  return FileType::kUnknown;
}

// ------------------------------------------------------- information JSON

void to_json(json& j, const SystemInfo& v) { j = json{{"version", v.version}}; }
void from_json(const json& j, SystemInfo& v) { require(j, "version", v.version); }

void to_json(json& j, const ServiceInfo& v) {
  j = json{{"name", v.name}, {"startup", to_string(v.startup)}, {"current", to_string(v.current)}};
}
void from_json(const json& j, ServiceInfo& v) {
  std::string startup;
  std::string current;
  require(j, "name", v.name);
  require(j, "startup", startup);
  require(j, "current", current);
  v.startup = service_startup_from_string(startup);
  v.current = service_status_from_string(current);
}

void to_json(json& j, const CheckInfo& v) {
  j = json{{"name", v.name},
           {"status", to_string(v.status)},
           {"failures", v.failures},
           {"threshold", v.threshold},
           {"startup", v.startup}};
  if (v.level != CheckLevel::kUnset) j["level"] = to_string(v.level);
  write(j, "change-id", v.change_id);
}
void from_json(const json& j, CheckInfo& v) {
  std::string level;
  std::string status;
  require(j, "name", v.name);
  require(j, "status", status);
  read(j, "level", level);
  read(j, "startup", v.startup);
  read(j, "failures", v.failures);
  read(j, "threshold", v.threshold);
  read(j, "change-id", v.change_id);
  v.level = level == "alive"   ? CheckLevel::kAlive
            : level == "ready" ? CheckLevel::kReady
                               : CheckLevel::kUnset;
  v.status = status == "up"         ? CheckStatus::kUp
             : status == "down"     ? CheckStatus::kDown
             : status == "inactive" ? CheckStatus::kInactive
                                    : CheckStatus::kUnknown;
}

void to_json(json& j, const Task& v) {
  j = json{{"id", v.id},
           {"kind", v.kind},
           {"summary", v.summary},
           {"status", v.status},
           {"log", v.log},
           {"progress",
            {{"label", v.progress.label}, {"done", v.progress.done}, {"total", v.progress.total}}},
           {"spawn-time", v.spawn_time},
           {"data", v.data}};
  write(j, "ready-time", v.ready_time);
}
void from_json(const json& j, Task& v) {
  check_object("task", j);
  v = Task{};
  require(j, "id", v.id);
  require(j, "kind", v.kind);
  read(j, "summary", v.summary);
  require(j, "status", v.status);
  read(j, "log", v.log);
  if (auto it = j.find("progress"); it != j.end() && it->is_object()) {
    read(*it, "label", v.progress.label);
    read(*it, "done", v.progress.done);
    read(*it, "total", v.progress.total);
  }
  read(j, "spawn-time", v.spawn_time);
  read(j, "ready-time", v.ready_time);
  if (auto it = j.find("data"); it != j.end() && it->is_object()) v.data = *it;
}

void to_json(json& j, const Change& v) {
  j = json{
      {"id", v.id},       {"kind", v.kind},   {"summary", v.summary},       {"status", v.status},
      {"tasks", v.tasks}, {"ready", v.ready}, {"spawn-time", v.spawn_time}, {"data", v.data}};
  write(j, "err", v.err);
  write(j, "ready-time", v.ready_time);
}
void from_json(const json& j, Change& v) {
  check_object("change", j);
  v = Change{};
  require(j, "id", v.id);
  require(j, "kind", v.kind);
  read(j, "summary", v.summary);
  require(j, "status", v.status);
  require(j, "ready", v.ready);
  read(j, "err", v.err);
  read(j, "spawn-time", v.spawn_time);
  read(j, "ready-time", v.ready_time);
  if (auto it = j.find("tasks"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) v.tasks.push_back(t.get<Task>());
  }
  if (auto it = j.find("data"); it != j.end() && it->is_object()) v.data = *it;
}

void to_json(json& j, const FileInfo& v) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(v.permissions));
  j = json{{"path", v.path},
           {"name", v.name},
           {"type", to_string(v.type)},
           {"permissions", mode},
           {"last-modified", v.last_modified}};
  write(j, "size", v.size);
  write(j, "user-id", v.user_id);
  write(j, "user", v.user);
  write(j, "group-id", v.group_id);
  write(j, "group", v.group);
}
void from_json(const json& j, FileInfo& v) {
  check_object("file info", j);
  v = FileInfo{};
  std::string type;
  std::string mode;
  require(j, "path", v.path);
  require(j, "name", v.name);
  require(j, "type", type);
  require(j, "permissions", mode);
  read(j, "last-modified", v.last_modified);
  read(j, "size", v.size);
  read(j, "user-id", v.user_id);
  read(j, "user", v.user);
  read(j, "group-id", v.group_id);
  read(j, "group", v.group);
  v.type = file_type_from_string(type);
  char* end = nullptr;
  const long parsed = std::strtol(mode.c_str(), &end, 8);
  if (mode.empty() || end != mode.c_str() + mode.size()) {
    throw ProtocolError("field \"permissions\": expected octal text, got \"" + mode + "\"");
  }
  v.permissions = static_cast<int>(parsed);
}

void to_json(json& j, const Notice& v) {
  j = json{{"id", v.id},
           {"type", v.type},
           {"key", v.key},
           {"first-occurred", v.first_occurred},
           {"last-occurred", v.last_occurred},
           {"last-repeated", v.last_repeated},
           {"occurrences", v.occurrences}};
  j["user-id"] = v.user_id ? json(*v.user_id) : json(nullptr);
  write(j, "last-data", v.last_data);
  write(j, "repeat-after", v.repeat_after);
  write(j, "expire-after", v.expire_after);
}
void from_json(const json& j, Notice& v) {
  check_object("notice", j);
  v = Notice{};
  require(j, "id", v.id);
  read(j, "user-id", v.user_id);
  require(j, "type", v.type);
  require(j, "key", v.key);
  read(j, "first-occurred", v.first_occurred);
  read(j, "last-occurred", v.last_occurred);
  read(j, "last-repeated", v.last_repeated);
  read(j, "occurrences", v.occurrences);
  read(j, "last-data", v.last_data);
  read(j, "repeat-after", v.repeat_after);
  read(j, "expire-after", v.expire_after);
}

void to_json(json& j, const Warning& v) {
  j = json{{"message", v.message},
           {"first-added", v.first_added},
           {"last-added", v.last_added},
           {"expire-after", v.expire_after},
           {"repeat-after", v.repeat_after}};
  write(j, "last-shown", v.last_shown);
}
void from_json(const json& j, Warning& v) {
  check_object("warning", j);
  v = Warning{};
  require(j, "message", v.message);
  read(j, "first-added", v.first_added);
  read(j, "last-added", v.last_added);
  read(j, "last-shown", v.last_shown);
  read(j, "expire-after", v.expire_after);
  read(j, "repeat-after", v.repeat_after);
}

}  // namespace ops::pebble
