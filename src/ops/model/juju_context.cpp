// Reading and checking the JUJU_* environment of a dispatch.
#include "ops/juju_context.hpp"

#include <charconv>
#include <cstring>
#include <string_view>

#include "ops/errors.hpp"

extern char** environ;

namespace ops {
namespace {

using Env = std::map<std::string, std::string>;

std::optional<std::string> get(const Env& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

int parse_int(std::string_view text, const std::string& variable, const std::string& whole) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw JujuContextError(variable + "=\"" + whole + "\" is not valid: expected an integer");
  }
  return value;
}

}  // namespace

JujuContext JujuContext::from_map(const Env& env) {
  JujuContext ctx;
  ctx.dispatch_path = get(env, "JUJU_DISPATCH_PATH").value_or("");
  ctx.hook_name = get(env, "JUJU_HOOK_NAME").value_or("");
  ctx.unit_name = get(env, "JUJU_UNIT_NAME").value_or("");
  ctx.model_name = get(env, "JUJU_MODEL_NAME").value_or("");
  ctx.model_uuid = get(env, "JUJU_MODEL_UUID").value_or("");
  if (auto v = get(env, "JUJU_VERSION")) {
    try {
      ctx.version = JujuVersion(*v);
    } catch (const JujuContextError& e) {
      throw JujuContextError(std::string("JUJU_VERSION: ") + e.what());
    }
  }
  if (auto v = get(env, "JUJU_CHARM_DIR")) ctx.charm_dir = *v;

  ctx.availability_zone = get(env, "JUJU_AVAILABILITY_ZONE");
  ctx.debug = env.count("JUJU_DEBUG") > 0;
  if (auto v = get(env, "JUJU_DEBUG_AT")) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) ctx.debug_at.emplace(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (auto v = get(env, "JUJU_MACHINE_ID")) ctx.machine_id = parse_int(*v, "JUJU_MACHINE_ID", *v);
  ctx.principal_unit = get(env, "JUJU_PRINCIPAL_UNIT");

  ctx.action_name = get(env, "JUJU_ACTION_NAME");
  ctx.action_uuid = get(env, "JUJU_ACTION_UUID");
  ctx.relation_name = get(env, "JUJU_RELATION");
  if (auto v = get(env, "JUJU_RELATION_ID")) {
    std::string_view text = *v;
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos) text.remove_prefix(colon + 1);
    ctx.relation_id = parse_int(text, "JUJU_RELATION_ID", *v);
  }
  ctx.remote_unit_name = get(env, "JUJU_REMOTE_UNIT");
  ctx.remote_app_name = get(env, "JUJU_REMOTE_APP");
  ctx.relation_departing_unit_name = get(env, "JUJU_DEPARTING_UNIT");
  ctx.workload_name = get(env, "JUJU_WORKLOAD_NAME");
  ctx.notice_id = get(env, "JUJU_NOTICE_ID");
  ctx.notice_type = get(env, "JUJU_NOTICE_TYPE");
  ctx.notice_key = get(env, "JUJU_NOTICE_KEY");
  ctx.pebble_check_name = get(env, "JUJU_PEBBLE_CHECK_NAME");
  ctx.secret_id = get(env, "JUJU_SECRET_ID");
  ctx.secret_label = get(env, "JUJU_SECRET_LABEL");
  if (auto v = get(env, "JUJU_SECRET_REVISION")) {
    ctx.secret_revision = parse_int(*v, "JUJU_SECRET_REVISION", *v);
  }
  if (auto v = get(env, "JUJU_STORAGE_ID")) {
    auto slash = v->rfind('/');
    if (slash == std::string::npos || slash == 0) {
      throw JujuContextError("JUJU_STORAGE_ID=\"" + *v + "\" is not valid: expected NAME/INDEX");
    }
    ctx.storage_name = v->substr(0, slash);
    ctx.storage_index = parse_int(std::string_view(*v).substr(slash + 1), "JUJU_STORAGE_ID", *v);
  }
  return ctx;
}

std::map<std::string, std::string> JujuContext::environ_map() {
  Env env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view item = *entry;
    if (item.rfind("JUJU_", 0) != 0) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return env;
}

JujuContext JujuContext::from_environ() {
  JujuContext ctx = from_map(environ_map());
  ctx.validate();
  return ctx;
}

std::string JujuContext::app_name() const { return unit_name.substr(0, unit_name.find('/')); }

std::string JujuContext::dispatch_name() const {
  auto slash = dispatch_path.rfind('/');
  return slash == std::string::npos ? dispatch_path : dispatch_path.substr(slash + 1);
}

bool JujuContext::is_action() const { return dispatch_path.rfind("actions/", 0) == 0; }

void JujuContext::validate() const {
  auto require = [](bool present, const char* name) {
    if (!present)
      throw JujuContextError(std::string("missing required environment variable ") + name);
  };
  require(!dispatch_path.empty(), "JUJU_DISPATCH_PATH");
  require(!unit_name.empty(), "JUJU_UNIT_NAME");
  require(!model_name.empty(), "JUJU_MODEL_NAME");
  if (unit_name.find('/') == std::string::npos) {
    throw JujuContextError("JUJU_UNIT_NAME=\"" + unit_name +
                           "\" is not valid: expected APP/NUMBER");
  }

  const std::string event = dispatch_name();
  if (is_action()) {
    require(action_name.has_value(), "JUJU_ACTION_NAME");
    require(action_uuid.has_value(), "JUJU_ACTION_UUID");
    return;
  }
  if (event.ends_with("-relation-created") || event.ends_with("-relation-joined") ||
      event.ends_with("-relation-changed") || event.ends_with("-relation-departed") ||
      event.ends_with("-relation-broken")) {
    require(relation_name.has_value(), "JUJU_RELATION");
    require(relation_id.has_value(), "JUJU_RELATION_ID");
    // relation-changed for the remote application's data has no remote unit
    // (Juju sets JUJU_REMOTE_UNIT empty), so only joined and departed need one.
    if (event.ends_with("-relation-joined") || event.ends_with("-relation-departed")) {
      require(remote_unit_name.has_value(), "JUJU_REMOTE_UNIT");
    }
    if (event.ends_with("-relation-departed")) {
      require(relation_departing_unit_name.has_value(), "JUJU_DEPARTING_UNIT");
    }
    return;
  }
  if (event.ends_with("-pebble-ready") || event.ends_with("-pebble-custom-notice") ||
      event.ends_with("-pebble-check-failed") || event.ends_with("-pebble-check-recovered")) {
    require(workload_name.has_value(), "JUJU_WORKLOAD_NAME");
    if (event.ends_with("-pebble-custom-notice")) {
      require(notice_id.has_value(), "JUJU_NOTICE_ID");
      require(notice_type.has_value(), "JUJU_NOTICE_TYPE");
      require(notice_key.has_value(), "JUJU_NOTICE_KEY");
    }
    if (event.ends_with("-pebble-check-failed") || event.ends_with("-pebble-check-recovered")) {
      require(pebble_check_name.has_value(), "JUJU_PEBBLE_CHECK_NAME");
    }
    return;
  }
  if (event.ends_with("-storage-attached") || event.ends_with("-storage-detaching")) {
    require(storage_name.has_value(), "JUJU_STORAGE_ID");
    return;
  }
  if (event == "secret-changed" || event == "secret-rotate" || event == "secret-remove" ||
      event == "secret-expired") {
    require(secret_id.has_value(), "JUJU_SECRET_ID");
    if (event == "secret-remove" || event == "secret-expired") {
      require(secret_revision.has_value(), "JUJU_SECRET_REVISION");
    }
  }
}

}  // namespace ops
