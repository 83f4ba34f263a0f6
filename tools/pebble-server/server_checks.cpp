// Checks, notices and warnings of the Pebble server. Check state and
// notices are the shared model's.
#include "server_state.hpp"

namespace ops::pebble_server::detail {

using nlohmann::json;
namespace model = ops::pebble::detail;

// ------------------------------------------------------------------ checks

Response State::get_checks(const Request& request) {
  const std::string level = query_value(request, "level");
  pebble::CheckLevel wanted = pebble::CheckLevel::kUnset;
  if (level == "alive") {
    wanted = pebble::CheckLevel::kAlive;
  } else if (level == "ready") {
    wanted = pebble::CheckLevel::kReady;
  } else if (!level.empty()) {
    throw BadRequest{R"(level must be "alive" or "ready")"};
  }
  json result = json::array();
  for (const auto& info : model_.check_infos(wanted, split_commas(query_value(request, "names")))) {
    result.push_back(info);
  }
  return sync_response(result);
}

Response State::post_checks(const Request& request) {
  const json body = parse_body(request);
  const auto changed = model_.run_checks(body.value("action", ""), string_list(body, "checks"));
  return sync_response(json{{"changed", changed}});
}

void State::set_check_status(const std::string& name, pebble::CheckStatus status, int failures) {
  std::lock_guard<std::mutex> lock(mutex_);
  model_.set_check_status(name, status, failures);
}

// ----------------------------------------------------------------- notices

Response State::post_notices(const Request& request) {
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  if (action != "add") throw BadRequest{"invalid action " + model::go_quote(action)};
  std::map<std::string, std::string> data;
  if (auto it = body.find("data"); it != body.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) throw BadRequest{"data values must be strings"};
      data[k] = v.get<std::string>();
    }
  }
  std::optional<pebble::Duration> repeat_after;
  if (auto text = optional_string(body, "repeat-after")) {
    try {
      repeat_after = pebble::parse_duration(*text);
    } catch (const pebble::Error&) {
      throw BadRequest{"invalid repeat-after " + model::go_quote(*text)};
    }
  }
  const auto [id, repeated] =
      model_.notify(body.value("type", ""), body.value("key", ""), data, repeat_after);
  return sync_response(json{{"id", id}});
}

Response State::get_notices(const Request& request) {
  json result = json::array();
  for (const auto& notice :
       model_.notices(split_commas(query_value(request, "types")),
                      split_commas(query_value(request, "keys")), query_value(request, "after"))) {
    result.push_back(notice);
  }
  return sync_response(result);
}

Response State::get_notice(const Request& request) {
  return sync_response(model_.notice(request.path.substr(std::string("/v1/notices/").size())));
}

// ---------------------------------------------------------------- warnings

Response State::warnings_endpoint(const Request& request) {
  if (request.method == "GET") {
    const bool all = query_value(request, "select") == "all";
    json result = json::array();
    for (const auto& w : warnings_) {
      if (all || !w.shown) result.push_back(w.warning);
    }
    return sync_response(result);
  }
  const json body = parse_body(request);
  if (body.value("action", "") != "okay") throw BadRequest{"warnings action must be \"okay\""};
  const std::string timestamp = body.value("timestamp", "");
  int count = 0;
  for (auto& w : warnings_) {
    if (!w.shown && w.warning.last_added <= timestamp) {
      w.shown = true;
      w.warning.last_shown = now_rfc3339();
      ++count;
    }
  }
  return sync_response(count);
}

void State::add_warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string now = now_rfc3339();
  for (auto& w : warnings_) {
    if (w.warning.message == message) {
      w.warning.last_added = now;
      w.shown = false;
      return;
    }
  }
  warnings_.push_back(
      WarningRecord{{message, now, now, std::nullopt, "672h0m0s", "24h0m0s"}, false});
}

}  // namespace ops::pebble_server::detail
