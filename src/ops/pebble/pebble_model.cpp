// The Pebble model shared by FakePebble and pebble-server (see
// detail/pebble_model.hpp). The rules and their messages follow Pebble's
// internals/plan (Layer.Validate, CombineLayers, Plan.Validate, StartOrder)
// and its daemon's API handlers.
#include "ops/detail/pebble_model.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>

namespace ops::pebble::detail {

namespace {

APIError bad_request(const std::string& message) { return api_error(400, message); }

// A FormatError of Layer.Validate, as POST /v1/layers reports it.
APIError layer_error(const std::string& message) {
  return bad_request("cannot parse layer YAML: " + message);
}

std::string title(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

bool is(const std::optional<std::string>& value, std::string_view text) {
  return value && *value == text;
}

// Splits a command line as Pebble's shlex does: whitespace separates words,
// single quotes are literal, double quotes allow backslash escapes, a
// backslash outside quotes escapes the next character. Throws the parse
// error's text.
std::vector<std::string> shlex_split(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') {
      const auto end = text.find('\'', i + 1);
      if (end == std::string::npos) throw std::string("EOF found when expecting closing quote");
      word += text.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      bool closed = false;
      for (++i; i < text.size(); ++i) {
        if (text[i] == '"') {
          closed = true;
          break;
        }
        if (text[i] == '\\') {
          if (i + 1 >= text.size()) throw std::string("EOF found after escape character");
          const char next = text[i + 1];
          if (next == '"' || next == '\\' || next == '$' || next == '`') {
            word += next;
            ++i;
            continue;
          }
          if (next == '\n') {
            ++i;
            continue;
          }
        }
        word += text[i];
      }
      if (!closed) throw std::string("EOF found when expecting closing quote");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) throw std::string("EOF found after escape character");
      if (text[i + 1] != '\n') word += text[i + 1];
      ++i;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// Service.ParseCommand: the command and its optional "[ default args ]"
// group. Throws the reason as text.
void check_service_command(const std::string& name, const std::string& command) {
  std::vector<std::string> args;
  try {
    args = shlex_split(command);
  } catch (const std::string& reason) {
    throw "cannot parse service " + go_quote(name) + " command: " + reason;
  }
  bool in_brackets = false;
  bool got_brackets = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string reason;
    if (in_brackets) {
      if (arg == "[") reason = "cannot nest [ ... ] groups";
      if (arg == "]") in_brackets = false;
    } else if (got_brackets) {
      reason = "cannot have any arguments after [ ... ] group";
    } else if (arg == "[") {
      if (i == 0) reason = "cannot start command with [ ... ] group";
      in_brackets = got_brackets = true;
    } else if (arg == "]") {
      reason = "cannot have ] outside of [ ... ] group";
    }
    if (!reason.empty()) throw "cannot parse service " + go_quote(name) + " command: " + reason;
  }
}

bool valid_action(const std::optional<std::string>& action, std::string_view extra) {
  if (!action) return true;
  return action->empty() || *action == "restart" || *action == "shutdown" || *action == "ignore" ||
         *action == extra;
}

// A duration field as Pebble's YAML decoder reads it.
void check_duration(const std::string& label, const char* section,
                    const std::optional<std::string>& text) {
  if (!text) return;
  try {
    static_cast<void>(parse_duration(*text));
  } catch (const Error&) {
    throw layer_error("cannot parse layer " + go_quote(label) + " section " + go_quote(section) +
                      ": invalid duration " + go_quote(*text));
  }
}

bool is_zero_duration(const std::optional<std::string>& text) {
  return text && parse_duration(*text).count() == 0;
}

const char* const kLogTargetTypes = R"("loki", "opentelemetry" or "syslog")";

bool known_log_target_type(const std::string& type) {
  return type == "loki" || type == "opentelemetry" || type == "syslog";
}

// Pebble's order(): the services to act on (with what they require, or for
// a stop what requires them), sorted so that each comes after its
// predecessors.
std::vector<std::string> order(const Plan& plan, const std::vector<std::string>& names, bool stop) {
  const auto& services = plan.services;
  std::map<std::string, std::vector<std::string>> predecessors;
  if (stop) {
    for (const auto& [name, service] : services) {
      for (const auto& required : service.requires_) predecessors[required].push_back(name);
    }
  }
  std::vector<std::string> pending = names;
  std::map<std::string, std::vector<std::string>> successors;
  std::vector<std::string> collected;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const std::string name = pending[i];
    if (successors.count(name)) continue;
    successors[name];
    collected.push_back(name);
    if (stop) {
      for (const auto& p : predecessors[name]) pending.push_back(p);
    } else {
      auto it = services.find(name);
      if (it == services.end()) throw bad_request("service " + go_quote(name) + " does not exist");
      for (const auto& r : it->second.requires_) pending.push_back(r);
    }
  }
  for (const auto& name : collected) {
    auto it = services.find(name);
    if (it == services.end()) throw bad_request("service " + go_quote(name) + " does not exist");
    auto after = it->second.after;
    auto before = it->second.before;
    if (stop) std::swap(after, before);
    for (const auto& a : after) {
      if (successors.count(a)) successors[name].push_back(a);
    }
    for (const auto& b : before) {
      if (successors.count(b)) successors[b].push_back(name);
    }
  }
  // Tarjan's strongly connected components: each component comes out after
  // the components it points to, which is the order wanted ("a after b"
  // points a at b).
  std::map<std::string, int> index;
  std::map<std::string, int> low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::string> out;
  int counter = 0;
  std::function<void(const std::string&)> connect = [&](const std::string& v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack.insert(v);
    auto succ = successors[v];
    std::sort(succ.begin(), succ.end());
    for (const auto& w : succ) {
      if (!index.count(w)) {
        connect(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack.count(w)) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] != index[v]) return;
    std::vector<std::string> component;
    for (;;) {
      std::string w = stack.back();
      stack.pop_back();
      on_stack.erase(w);
      component.push_back(w);
      if (w == v) break;
    }
    if (component.size() > 1) {
      std::sort(component.begin(), component.end());
      std::string list;
      for (const auto& c : component) list += (list.empty() ? "" : ", ") + c;
      throw bad_request("services in before/after loop: " + list);
    }
    out.push_back(v);
  };
  std::vector<std::string> roots;
  for (const auto& [name, succ] : successors) roots.push_back(name);
  for (const auto& name : roots) {
    if (!index.count(name)) connect(name);
  }
  return out;
}

}  // namespace

// ----------------------------------------------------------------- helpers

std::string status_text(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

APIError api_error(int code, const std::string& message, const std::string& kind) {
  nlohmann::json result{{"message", message}};
  if (!kind.empty()) result["kind"] = kind;
  nlohmann::json body{
      {"type", "error"}, {"status-code", code}, {"status", status_text(code)}, {"result", result}};
  return APIError(std::move(body), code, status_text(code), message);
}

std::string timestamp_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs);
  const std::time_t seconds = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(micros.count()));
  return buf;
}

std::string go_quote(const std::string& text) { return nlohmann::json(text).dump(); }

Error pull_too_large(const std::string& path) {
  return Error("cannot pull " + path + " into a string: the file is larger than " +
               std::to_string(kMaxPullSize >> 20) + " MiB (pull it into a stream instead)");
}

int parse_permissions(const std::string& text, int fallback) {
  if (text.empty()) return fallback;
  const bool octal = text.size() == 3 && std::all_of(text.begin(), text.end(),
                                                     [](char c) { return c >= '0' && c <= '7'; });
  if (!octal) {
    throw PathError("generic-file-error",
                    "permissions must be a 3-digit octal string, got " + go_quote(text));
  }
  return std::stoi(text, nullptr, 8);
}

std::string format_permissions(int mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(mode));
  return buf;
}

// -------------------------------------------------------------- validation

void validate_layer(const std::string& label, const Layer& layer) {
  if (label.rfind("pebble-", 0) == 0) {
    throw layer_error(R"(cannot use reserved label prefix "pebble-")");
  }
  for (const auto& [name, service] : layer.services) {
    if (name.empty()) throw layer_error("cannot use empty string as service name");
    if (name == "pebble") throw layer_error("cannot use reserved service name " + go_quote(name));
    if (name.front() == '-') {
      throw layer_error("cannot use service name " + go_quote(name) +
                        R"(: starting with "-" not allowed)");
    }
    try {
      check_service_command(name, service.command.value_or(""));
    } catch (const std::string& reason) {
      throw layer_error("plan service " + go_quote(name) + " command invalid: " + reason);
    }
    if (!valid_action(service.on_success, "failure-shutdown")) {
      throw layer_error("plan service " + go_quote(name) + " on-success action " +
                        go_quote(*service.on_success) + " invalid");
    }
    if (!valid_action(service.on_failure, "success-shutdown")) {
      throw layer_error("plan service " + go_quote(name) + " on-failure action " +
                        go_quote(*service.on_failure) + " invalid");
    }
    for (const auto& [check, action] : service.on_check_failure) {
      if (!valid_action(action, "success-shutdown")) {
        throw layer_error("plan service " + go_quote(name) + " on-check-failure action " +
                          go_quote(action) + " invalid");
      }
    }
    if (service.backoff_factor && *service.backoff_factor < 1) {
      char factor[32];
      std::snprintf(factor, sizeof factor, "%g", *service.backoff_factor);
      throw layer_error("plan service " + go_quote(name) +
                        " backoff-factor must be 1.0 or greater, not " + factor);
    }
    check_duration(label, "services", service.backoff_delay);
    check_duration(label, "services", service.backoff_limit);
    check_duration(label, "services", service.kill_delay);
  }
  for (const auto& [name, check] : layer.checks) {
    if (name.empty()) throw layer_error("cannot use empty string as check name");
    check_duration(label, "checks", check.period);
    check_duration(label, "checks", check.timeout);
    if (check.level && !check.level->empty() && *check.level != "alive" &&
        *check.level != "ready") {
      throw layer_error("plan check " + go_quote(name) + R"( level must be "alive" or "ready")");
    }
    if (check.startup && !check.startup->empty() && *check.startup != "enabled" &&
        *check.startup != "disabled") {
      throw layer_error("plan check " + go_quote(name) +
                        R"( startup must be "enabled" or "disabled")");
    }
    if (is_zero_duration(check.period)) {
      throw layer_error("plan check " + go_quote(name) + " period must not be zero");
    }
    if (is_zero_duration(check.timeout)) {
      throw layer_error("plan check " + go_quote(name) + " timeout must not be zero");
    }
    // Pebble is silent on a negative threshold (it would never trigger);
    // we refuse it.
    if (check.threshold && *check.threshold < 0) {
      throw layer_error("plan check " + go_quote(name) + " threshold must not be negative");
    }
    if (check.exec) {
      try {
        static_cast<void>(shlex_split(check.exec->command.value_or("")));
      } catch (const std::string& reason) {
        throw layer_error("plan check " + go_quote(name) + " command invalid: " + reason);
      }
      const bool has_user = check.exec->user || check.exec->user_id;
      const bool has_group = check.exec->group || check.exec->group_id;
      if (has_group && !has_user) {
        throw layer_error("plan check " + go_quote(name) +
                          " has invalid user/group: must specify user, not just group");
      }
    }
  }
  for (const auto& [name, target] : layer.log_targets) {
    for (const auto& [label_name, value] : target.labels) {
      if (label_name.rfind("pebble_", 0) == 0) {
        throw layer_error("log target " + go_quote(name) + ": label " + go_quote(label_name) +
                          R"( uses reserved prefix "pebble_")");
      }
    }
    if (target.type && !target.type->empty() && !known_log_target_type(*target.type)) {
      throw layer_error("log target " + go_quote(name) + " has unsupported type " +
                        go_quote(*target.type) + ", must be " + kLogTargetTypes);
    }
  }
}

Layer combine_layers(const std::vector<std::pair<std::string, Layer>>& layers) {
  Layer combined;
  for (const auto& [label, layer] : layers) {
    auto check_override = [&, &label = label](const std::optional<std::string>& override,
                                              const char* what, const std::string& name) {
      if (!override || override->empty()) {
        throw bad_request("layer " + go_quote(label) + R"( must define "override" for )" + what +
                          " " + go_quote(name));
      }
      if (*override != "merge" && *override != "replace") {
        throw bad_request("layer " + go_quote(label) + R"( has invalid "override" value for )" +
                          what + " " + go_quote(name));
      }
    };
    for (const auto& [name, s] : layer.services) check_override(s.override, "service", name);
    for (const auto& [name, c] : layer.checks) check_override(c.override, "check", name);
    for (const auto& [name, t] : layer.log_targets) check_override(t.override, "log target", name);
    combined.combine(layer);
  }
  return combined;
}

void validate_plan(const Plan& plan) {
  for (const auto& [name, service] : plan.services) {
    if (!service.command || service.command->empty()) {
      throw bad_request(R"(plan must define "command" for service )" + go_quote(name));
    }
  }
  for (const auto& [name, check] : plan.checks) {
    int types = 0;
    if (check.http) {
      if (!check.http->url || check.http->url->empty()) {
        throw bad_request(R"(plan must set "url" for http check )" + go_quote(name));
      }
      ++types;
    }
    if (check.tcp) {
      if (!check.tcp->port || *check.tcp->port == 0) {
        throw bad_request(R"(plan must set "port" for tcp check )" + go_quote(name));
      }
      ++types;
    }
    if (check.exec) {
      if (!check.exec->command || check.exec->command->empty()) {
        throw bad_request(R"(plan must set "command" for exec check )" + go_quote(name));
      }
      const auto& context = check.exec->service_context;
      if (context && !context->empty() && !plan.services.count(*context)) {
        throw bad_request("plan check " + go_quote(name) +
                          " service context specifies non-existent service " + go_quote(*context));
      }
      ++types;
    }
    if (types != 1) {
      throw bad_request(R"(plan must specify one of "http", "tcp", or "exec" for check )" +
                        go_quote(name));
    }
  }
  for (const auto& [name, target] : plan.log_targets) {
    if (!target.type || target.type->empty()) {
      throw bad_request(std::string(R"(plan must define "type" ()") + kLogTargetTypes +
                        ") for log target " + go_quote(name));
    }
    for (std::string service : target.services) {
      if (!service.empty() && service.front() == '-') service.erase(0, 1);
      if (service == "all" || plan.services.count(service)) continue;
      throw bad_request("log target " + go_quote(name) + " specifies unknown service " +
                        go_quote(service));
    }
    if (!target.location || target.location->empty()) {
      throw bad_request(R"(plan must define "location" for log target )" + go_quote(name));
    }
  }
  std::vector<std::string> all;
  for (const auto& [name, service] : plan.services) all.push_back(name);
  static_cast<void>(order(plan, all, false));
}

std::vector<std::string> start_order(const Plan& plan, const std::vector<std::string>& names) {
  return order(plan, names, false);
}

std::vector<std::string> stop_order(const Plan& plan, const std::vector<std::string>& names) {
  return order(plan, names, true);
}

// ------------------------------------------------------------------ layers

void PebbleModel::add_layer(const std::string& label, const Layer& layer, bool combine) {
  if (label.empty()) throw bad_request("label must be set");
  validate_layer(label, layer);
  auto layers = layers_;
  auto existing = std::find_if(layers.begin(), layers.end(),
                               [&](const auto& entry) { return entry.first == label; });
  if (existing != layers.end()) {
    if (!combine) throw bad_request("layer " + go_quote(label) + " already exists");
    existing->second = combine_layers({{label, existing->second}, {label, layer}});
  } else {
    layers.emplace_back(label, layer);
  }
  const Layer combined = combine_layers(layers);
  Plan plan{combined.services, combined.checks, combined.log_targets};
  validate_plan(plan);
  layers_ = std::move(layers);
  plan_ = std::move(plan);
}

void PebbleModel::add_layer_yaml(const std::string& label, std::string_view yaml, bool combine) {
  if (label.empty()) throw bad_request("label must be set");
  Layer layer;
  // Pebble decodes the top level with KnownFields: an unknown section is an
  // error (a typo such as "service:" would otherwise be dropped silently).
  for (const auto& key : yaml_top_level_keys(yaml)) {
    if (key != "summary" && key != "description" && key != "services" && key != "checks" &&
        key != "log-targets") {
      throw layer_error("cannot parse layer " + go_quote(label) + ": unknown section " +
                        go_quote(key));
    }
  }
  if (const auto unknown = yaml_unknown_fields(yaml)) {
    throw layer_error("cannot parse layer " + go_quote(label) + " section " +
                      go_quote(unknown->first) + ": " + unknown->second);
  }
  try {
    layer = Layer::from_yaml(yaml);
  } catch (const Error& e) {
    throw layer_error("cannot parse layer " + go_quote(label) + ": " + e.what());
  }
  add_layer(label, layer, combine);
}

// ---------------------------------------------------------------- services

ServicePlan PebbleModel::plan_services(
    const std::string& action, const std::vector<std::string>& names,
    const std::function<ServiceStatus(const std::string&)>& status) const {
  ServicePlan out;
  out.action = action;
  out.services = names;
  auto active = [&](const std::string& name) { return status(name) == ServiceStatus::kActive; };
  auto wrap = [&](auto&& compute) {
    try {
      return compute();
    } catch (const APIError& e) {
      throw bad_request("cannot " + action + " services: " + e.message());
    }
  };
  if (action == "replan" || action == "autostart") {
    if (!names.empty()) throw bad_request(action + " accepts no service names");
    std::vector<std::string> enabled;
    for (const auto& [name, service] : plan_.services) {
      if (is(service.startup, "enabled")) enabled.push_back(name);
    }
    if (action == "autostart") {
      if (enabled.empty()) throw api_error(400, "no default services", "no-default-services");
      out.services = enabled;
      for (const auto& name : wrap([&] { return start_order(plan_, enabled); })) {
        if (!active(name)) out.ops.push_back({"start", name});
      }
      return out;
    }
    // replan: restart what runs with an outdated configuration, start what
    // is enabled and not running.
    std::vector<std::string> restart;
    for (const auto& [name, service] : plan_.services) {
      auto started = started_with_.find(name);
      if (active(name) && started != started_with_.end() && !(started->second == service)) {
        restart.push_back(name);
      }
    }
    std::set<std::string> touched;
    if (!restart.empty()) {
      for (const auto& name : wrap([&] { return stop_order(plan_, restart); })) {
        if (active(name)) {
          out.ops.push_back({"stop", name});
          touched.insert(name);
        }
      }
    }
    std::vector<std::string> to_start = enabled;
    for (const auto& name : touched) to_start.push_back(name);
    for (const auto& name : wrap([&] { return start_order(plan_, to_start); })) {
      if (!active(name) || touched.count(name)) {
        out.ops.push_back({"start", name});
        touched.insert(name);
      }
    }
    out.services.assign(touched.begin(), touched.end());
    return out;
  }
  if (action != "start" && action != "stop" && action != "restart") {
    throw bad_request("invalid action " + go_quote(action));
  }
  if (names.empty()) throw bad_request("must specify services for " + action + " action");
  if (action == "start") {
    for (const auto& name : wrap([&] { return start_order(plan_, names); })) {
      out.ops.push_back({"start", name});
    }
  } else if (action == "stop") {
    for (const auto& name : wrap([&] { return stop_order(plan_, names); })) {
      out.ops.push_back({"stop", name});
    }
  } else {
    for (const auto& name : wrap([&] { return stop_order(plan_, names); })) {
      if (std::find(names.begin(), names.end(), name) != names.end() && active(name)) {
        out.ops.push_back({"stop", name});
      }
    }
    for (const auto& name : wrap([&] { return start_order(plan_, names); })) {
      out.ops.push_back({"start", name});
    }
  }
  return out;
}

std::optional<std::string> skipped_op(const ServiceOp& op, ServiceStatus status) {
  if (op.action == "start" && status == ServiceStatus::kActive) {
    return "Service " + go_quote(op.name) + " already started.";
  }
  if (op.action == "stop" && status != ServiceStatus::kActive &&
      status != ServiceStatus::kBackoff) {
    return "Service " + go_quote(op.name) + " already stopped.";
  }
  return std::nullopt;
}

void PebbleModel::service_started(const std::string& name) {
  auto it = plan_.services.find(name);
  if (it != plan_.services.end()) started_with_[name] = it->second;
}

void PebbleModel::service_stopped(const std::string& name) { started_with_.erase(name); }

std::string PebbleModel::service_summary(const ServicePlan& plan) {
  if (plan.ops.empty()) return title(plan.action) + " - no services";
  std::set<std::string> touched;
  for (const auto& op : plan.ops) touched.insert(op.name);
  const std::string first = plan.services.empty() ? plan.ops.front().name : plan.services.front();
  if (touched.size() == 1) return title(plan.action) + " service " + go_quote(first);
  return title(plan.action) + " service " + go_quote(first) + " and " +
         std::to_string(touched.size() - 1) + " more";
}

std::vector<Task> PebbleModel::service_tasks(const ServicePlan& plan) {
  std::vector<Task> tasks;
  for (const auto& op : plan.ops) {
    Task task;
    task.kind = op.action;
    task.summary = title(op.action) + " service " + go_quote(op.name);
    tasks.push_back(std::move(task));
  }
  return tasks;
}

std::string PebbleModel::run_service_plan(
    const ServicePlan& plan,
    const std::function<std::optional<std::string>(const ServiceOp&)>& apply) {
  std::string id =
      new_change(plan.action, service_summary(plan), service_tasks(plan), plan.services);
  Change& record = changes_.at(id);
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    Task& task = record.tasks[i];
    try {
      if (auto note = apply(plan.ops[i])) task.log.push_back(timestamp_now() + " INFO " + *note);
      task.status = "Done";
      if (plan.ops[i].action == "start") {
        service_started(plan.ops[i].name);
      } else {
        service_stopped(plan.ops[i].name);
      }
    } catch (const std::exception& e) {
      task.status = "Error";
      task.log.push_back(timestamp_now() + " ERROR " + e.what());
    }
    task.progress.done = 1;
    task.ready_time = timestamp_now();
  }
  make_ready(record);
  return id;
}

// ----------------------------------------------------------------- changes

std::string PebbleModel::new_change(const std::string& kind, const std::string& summary,
                                    std::vector<Task> tasks, std::vector<std::string> services) {
  std::string id = std::to_string(next_change_++);
  Change change;
  change.id = id;
  change.kind = kind;
  change.summary = summary;
  change.status = "Doing";
  change.spawn_time = timestamp_now();
  for (auto& task : tasks) {
    task.id = std::to_string(next_task_++);
    task.status = "Do";
    task.spawn_time = change.spawn_time;
    task.progress = {"", 0, 1};
  }
  change.tasks = std::move(tasks);
  if (change.tasks.empty()) {
    change.status = "Done";
    change.ready = true;
    change.ready_time = change.spawn_time;
  }
  changes_[id] = std::move(change);
  change_services_[id] = std::move(services);
  return id;
}

Change& PebbleModel::change(const std::string& id) {
  auto it = changes_.find(id);
  if (it == changes_.end()) throw api_error(404, "cannot find change with id " + go_quote(id));
  return it->second;
}

const Change* PebbleModel::find_change(const std::string& id) const {
  auto it = changes_.find(id);
  return it == changes_.end() ? nullptr : &it->second;
}

void PebbleModel::make_ready(Change& change) {
  std::string failures;
  for (auto& task : change.tasks) {
    if (task.status == "Error") {
      const std::string reason = task.log.empty() ? "failed" : task.log.back();
      const auto pos = reason.find(" ERROR ");
      failures += "\n- " + task.summary + " (" +
                  (pos == std::string::npos ? reason : reason.substr(pos + 7)) + ")";
    }
    if (!task.ready_time) task.ready_time = timestamp_now();
  }
  change.ready = true;
  change.ready_time = timestamp_now();
  if (failures.empty()) {
    change.status = "Done";
  } else {
    change.status = "Error";
    change.err = "cannot perform the following tasks:" + failures;
  }
}

std::vector<Change> PebbleModel::changes(ChangeState select, const std::string& service) const {
  std::vector<std::pair<int, const Change*>> picked;
  for (const auto& [id, change] : changes_) {
    if (select == ChangeState::kInProgress && change.ready) continue;
    if (select == ChangeState::kReady && !change.ready) continue;
    if (!service.empty()) {
      const auto& names = change_services_.at(id);
      if (std::find(names.begin(), names.end(), service) == names.end()) continue;
    }
    picked.emplace_back(std::stoi(id), &change);
  }
  std::sort(picked.begin(), picked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Change> out;
  for (const auto& [id, change] : picked) out.push_back(*change);
  return out;
}

// ------------------------------------------------------------------ checks

CheckInfo PebbleModel::info_of(const std::string& name, const Check& check) const {
  auto it = checks_.find(name);
  if (it != checks_.end()) return it->second;
  CheckInfo info;
  info.name = name;
  info.level = is(check.level, "alive")   ? CheckLevel::kAlive
               : is(check.level, "ready") ? CheckLevel::kReady
                                          : CheckLevel::kUnset;
  info.startup = check.startup.value_or("enabled");
  info.status = info.startup == "disabled" ? CheckStatus::kInactive : CheckStatus::kUp;
  info.threshold = static_cast<int>(check.threshold.value_or(3));
  return info;
}

std::vector<CheckInfo> PebbleModel::check_infos(CheckLevel level,
                                                const std::vector<std::string>& names) const {
  std::map<std::string, CheckInfo> all;
  for (const auto& [name, info] : checks_) all[name] = info;
  for (const auto& [name, check] : plan_.checks) all[name] = info_of(name, check);
  std::vector<CheckInfo> out;
  for (auto& [name, info] : all) {
    if (level != CheckLevel::kUnset && info.level != level) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> PebbleModel::run_checks(const std::string& action,
                                                 const std::vector<std::string>& names) {
  if (action != "start" && action != "stop")
    throw bad_request("invalid action " + go_quote(action));
  if (names.empty()) throw bad_request("must specify checks for " + action + " action");
  std::vector<std::string> missing;
  for (const auto& name : names) {
    if (!plan_.checks.count(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw bad_request("cannot " + action + " checks: cannot find checks in plan: " + list);
  }
  std::vector<std::string> changed;
  for (const auto& name : names) {
    CheckInfo info = info_of(name, plan_.checks.at(name));
    const bool stop = action == "stop";
    const bool stopped = info.status == CheckStatus::kInactive;
    if (stopped == stop) continue;
    info.status = stop ? CheckStatus::kInactive : CheckStatus::kUp;
    info.failures = 0;
    checks_[name] = info;
    changed.push_back(name);
  }
  return changed;
}

void PebbleModel::set_check_info(CheckInfo info) {
  const std::string name = info.name;
  checks_[name] = std::move(info);
}

void PebbleModel::set_check_status(const std::string& name, CheckStatus status, int failures) {
  CheckInfo info;
  auto plan_check = plan_.checks.find(name);
  if (plan_check != plan_.checks.end()) {
    info = info_of(name, plan_check->second);
  } else if (auto it = checks_.find(name); it != checks_.end()) {
    info = it->second;
  } else {
    info.name = name;
    info.startup = "enabled";
    info.threshold = 3;
  }
  info.status = status;
  info.failures = failures;
  checks_[name] = std::move(info);
}

// ----------------------------------------------------------------- notices

std::pair<std::string, bool> PebbleModel::notify(const std::string& type, const std::string& key,
                                                 const std::map<std::string, std::string>& data,
                                                 std::optional<Duration> repeat_after) {
  if (type != "custom") {
    throw bad_request("invalid type " + go_quote(type) + R"( (can only add "custom" notices))");
  }
  if (key.empty()) throw bad_request("key must be set");
  const std::string now = timestamp_now();
  for (auto& notice : notices_) {
    if (notice.type != type || notice.key != key) continue;
    ++notice.occurrences;
    notice.last_occurred = now;
    notice.last_data = data;
    // A repeat counts (and fires an event) only once repeat_after has
    // passed since the last repeat.
    auto& last = repeated_at_[notice.id];
    const auto clock = std::chrono::system_clock::now();
    const bool repeated = !repeat_after || clock - last >= *repeat_after;
    notice.repeat_after =
        repeat_after ? std::optional<std::string>(format_duration(*repeat_after)) : std::nullopt;
    if (repeated) {
      notice.last_repeated = now;
      last = clock;
    }
    return {notice.id, repeated};
  }
  Notice notice;
  notice.id = std::to_string(next_notice_++);
  notice.type = type;
  notice.key = key;
  notice.first_occurred = notice.last_occurred = notice.last_repeated = now;
  notice.occurrences = 1;
  notice.last_data = data;
  if (repeat_after) notice.repeat_after = format_duration(*repeat_after);
  notice.expire_after = "168h0m0s";
  repeated_at_[notice.id] = std::chrono::system_clock::now();
  notices_.push_back(notice);
  return {notice.id, true};
}

void PebbleModel::add_notice(Notice notice) {
  if (!notice.id.empty() && std::all_of(notice.id.begin(), notice.id.end(), ::isdigit)) {
    next_notice_ = std::max(next_notice_, std::stoi(notice.id) + 1);
  }
  notices_.push_back(std::move(notice));
}

const Notice& PebbleModel::notice(const std::string& id) const {
  for (const auto& notice : notices_) {
    if (notice.id == id) return notice;
  }
  throw api_error(404, "cannot find notice with ID " + go_quote(id));
}

std::vector<Notice> PebbleModel::notices(const std::vector<std::string>& types,
                                         const std::vector<std::string>& keys,
                                         const std::string& after) const {
  std::vector<Notice> out;
  for (const auto& notice : notices_) {
    if (!types.empty() && std::find(types.begin(), types.end(), notice.type) == types.end()) {
      continue;
    }
    if (!keys.empty() && std::find(keys.begin(), keys.end(), notice.key) == keys.end()) continue;
    if (!after.empty() && !(notice.last_repeated > after)) continue;
    out.push_back(notice);
  }
  return out;
}

}  // namespace ops::pebble::detail
