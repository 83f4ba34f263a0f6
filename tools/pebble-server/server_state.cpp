// The Pebble server's state and its request dispatch (see server_state.hpp).
// The endpoints live by API area: server_services.cpp (services, layers,
// plan, signals, changes), server_files.cpp, server_exec.cpp and
// server_checks.cpp (checks, notices, warnings). The plan, changes, checks,
// notices and files are the shared Pebble model of ops_pebble.
#include "server_state.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>

namespace ops::pebble_server::detail {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------- utilities

std::string status_text(int status) { return pebble::detail::status_text(status); }

Response sync_response(const json& result, int status) {
  json body{{"type", "sync"},
            {"status-code", status},
            {"status", status_text(status)},
            {"result", result}};
  return Response{status, "application/json", body.dump(), false};
}

Response error_response(int status, const std::string& message, const std::string& kind) {
  json result{{"message", message}};
  if (!kind.empty()) result["kind"] = kind;
  json body{{"type", "error"},
            {"status-code", status},
            {"status", status_text(status)},
            {"result", result}};
  return Response{status, "application/json", body.dump(), false};
}

Response async_response(const std::string& change_id, const json& result) {
  json body{{"type", "async"},
            {"status-code", 202},
            {"status", "Accepted"},
            {"change", change_id},
            {"result", result}};
  return Response{202, "application/json", body.dump(), false};
}

json parse_body(const Request& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw BadRequest{"cannot decode request body into an object"};
  }
  return body;
}

std::vector<std::string> string_list(const json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) throw BadRequest{std::string("\"") + key + "\" must be a list"};
  for (const auto& item : *it) {
    if (!item.is_string()) throw BadRequest{std::string("\"") + key + "\" must hold strings"};
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string query_value(const Request& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

std::optional<std::int64_t> optional_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw BadRequest{std::string("\"") + key + "\" must be a number"};
  return it->get<std::int64_t>();
}

std::optional<std::string> optional_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw BadRequest{std::string("\"") + key + "\" must be a string"};
  return it->get<std::string>();
}

std::string now_rfc3339() { return pebble::detail::timestamp_now(); }

std::string go_duration(pebble::Duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%gs", d.count());
  return buf;
}

// ------------------------------------------------------------------- State

State::State(std::string root_dir, std::unique_ptr<ServiceManager> services, std::string version)
    : root_(fs::weakly_canonical(root_dir).string()),
      services_(std::move(services)),
      version_(std::move(version)),
      files_([&] {
        if (!fs::is_directory(root_)) {
          throw std::runtime_error("pebble-server: root directory " + root_dir + " does not exist");
        }
        return root_;
      }()) {
  if (!services_) services_ = std::make_unique<SimulatedServiceManager>();
  worker_ = std::thread([this] { run_worker(); });
}

State::~State() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void State::set_on_change_ready(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_change_ready_ = std::move(callback);
}

void State::set_on_abort(std::function<void(const std::string&)> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_abort_ = std::move(callback);
}

Response State::handle(const Request& request, std::optional<ExecSpec>& exec) {
  try {
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    // The service list asks the manager, which may block: no lock for it.
    if (!(request.method == "GET" && request.path == "/v1/services")) lock.lock();
    return handle_locked(request, exec);
  } catch (const BadRequest& e) {
    return error_response(e.status, e.message, e.kind);
  } catch (const pebble::APIError& e) {
    return Response{e.code(), "application/json", e.body().dump(), false};
  } catch (const pebble::PathError& e) {
    return error_response(400, e.message(), e.kind());
  } catch (const std::exception& e) {
    return error_response(500, e.what());
  }
}

Response State::handle_locked(const Request& request, std::optional<ExecSpec>& exec) {
  const std::string& m = request.method;
  const std::string& p = request.path;
  if (p == "/v1/system-info" && m == "GET") {
    return sync_response({{"version", version_}, {"boot-id", "ops-cpp-pebble-server"}});
  }
  if (p == "/v1/services") {
    if (m == "GET") return get_services(request);
    if (m == "POST") return post_services(request);
  }
  if (p == "/v1/layers" && m == "POST") return post_layers(request);
  if (p == "/v1/plan" && m == "GET") return get_plan(request);
  if (p == "/v1/files") {
    if (m == "GET") return get_files(request);
    if (m == "POST") return post_files(request);
  }
  if (p == "/v1/exec" && m == "POST") return post_exec(request, exec);
  if (p == "/v1/signals" && m == "POST") return post_signals(request);
  if (p == "/v1/checks") {
    if (m == "GET") return get_checks(request);
    if (m == "POST") return post_checks(request);
  }
  if (p == "/v1/changes" && m == "GET") return get_changes(request);
  if (p.rfind("/v1/changes/", 0) == 0 && (m == "GET" || m == "POST")) {
    return change_endpoint(request);
  }
  if (p == "/v1/notices") {
    if (m == "GET") return get_notices(request);
    if (m == "POST") return post_notices(request);
  }
  if (p.rfind("/v1/notices/", 0) == 0 && m == "GET") return get_notice(request);
  if (p == "/v1/warnings" && (m == "GET" || m == "POST")) return warnings_endpoint(request);
  return error_response(404, "not found: " + m + " " + p);
}

}  // namespace ops::pebble_server::detail
